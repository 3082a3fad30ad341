package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A/B results over HTTP on a real node: users evaluated through the evaluate API are exposed to
 * the variant they got; conversions posted to the analytics API count for the users who sent the
 * goal event after their exposure; the results answer per variant. Also the SDK metrics path.
 */
class ExperimentApiTest {

  @TempDir static Path home;
  static RunningNode node;
  static Api api;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.options(home));
    api = new Api(node.baseUrl());
    String admin = node.createdAdminToken().orElseThrow();
    token = api.tenantWithToken(admin, "ab", "write");
    Api.Response put = api.call("PUT", "/api/v1/tenants/ab/flags/checkout", token,
        "{\"enabled\":true,\"strategies\":[{\"name\":\"default\"}],"
            + "\"variants\":[{\"name\":\"control\",\"weight\":500},{\"name\":\"blue\",\"weight\":500}]}");
    assertEquals(201, put.status(), put.body());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void exposuresAndConversionsBecomeResultsPerVariant() throws Exception {
    Map<String, String> variantOf = new HashMap<>();
    // The deadline is for the flag to reach this node's catalog, not for the 200 calls after it.
    // Propagation is pushed (NOTIFY) and takes milliseconds; a missed wake-up falls back to the
    // projection's and the hub's 5 s safety polls, which on a busy 2-core CI machine with a cold
    // JVM once added up to more than 10 s. 30 s still fails a flag that never arrives.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!evaluate("u0").get("enabled").asBoolean()) {
      assertTrue(System.nanoTime() < deadline, "the flag never reached the catalog");
      Thread.sleep(20);
    }
    for (int i = 0; i < 200; i++) {
      JsonNode r = evaluate("u" + i);
      assertTrue(r.get("enabled").asBoolean(), r.toString());
      variantOf.put("u" + i, r.get("variant").asText());
    }
    // Every blue user converts, one control user in four does.
    StringBuilder events = new StringBuilder("[");
    int expectedBlue = 0;
    int expectedControl = 0;
    for (int i = 0; i < 200; i++) {
      String v = variantOf.get("u" + i);
      boolean converts = v.equals("blue") || i % 4 == 0;
      if (converts) {
        events.append(events.length() > 1 ? "," : "").append("{\"event\":\"purchase\",\"userId\":\"u").append(i).append("\"}");
        if (v.equals("blue")) {
          expectedBlue++;
        } else {
          expectedControl++;
        }
      }
    }
    Api.Response posted = api.post("/api/v1/tenants/ab/analytics/events", token, events.append("]").toString());
    assertEquals(202, posted.status(), posted.body());
    Api.Response bad = api.post("/api/v1/tenants/ab/analytics/events", token, "[{\"event\":\"purchase\"}]");
    assertEquals(400, bad.status());
    assertTrue(bad.json().get("field").asText().contains("userId"), bad.body());

    long blueUsers = variantOf.values().stream().filter("blue"::equals).count();
    int wantBlue = expectedBlue;
    int wantControl = expectedControl;
    // Exposures are written in batches off the request path: wait until all 200 are counted.
    JsonNode results = null;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < until) {
      Api.Response r = api.get("/api/v1/tenants/ab/flags/checkout/results?goal=purchase", token);
      assertEquals(200, r.status(), r.body());
      results = r.json();
      long exposed = 0;
      for (JsonNode v : results.get("variants")) {
        exposed += v.get("exposedUsers").asLong();
      }
      if (exposed == 200) {
        break;
      }
      Thread.sleep(100);
    }
    assertEquals("control", results.get("control").asText());
    for (JsonNode v : results.get("variants")) {
      if (v.get("variant").asText().equals("blue")) {
        assertEquals(blueUsers, v.get("exposedUsers").asLong());
        assertEquals(wantBlue, v.get("convertedUsers").asLong());
        assertTrue(v.get("pValue").asDouble() < 0.001, v.toString());
        assertTrue(v.get("differenceToControl").asDouble() > 0.5, v.toString());
      } else {
        assertEquals(200 - blueUsers, v.get("exposedUsers").asLong());
        assertEquals(wantControl, v.get("convertedUsers").asLong());
      }
    }
    assertEquals(400, api.get("/api/v1/tenants/ab/flags/checkout/results", token).status(), "goal is required");
  }

  private static JsonNode evaluate(String user) throws Exception {
    return api.post("/api/v1/tenants/ab/flags/evaluate", token,
        "{\"context\":{\"userId\":\"" + user + "\"},\"keys\":[\"checkout\"]}").json().get("checkout");
  }
}
