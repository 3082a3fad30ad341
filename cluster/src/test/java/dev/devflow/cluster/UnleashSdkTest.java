package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Unleash Node SDK ({@code unleash-client} from npm) reading DevFlow's client API: for
 * 10,000 users its {@code isEnabled} and {@code getVariant} must equal DevFlow's own evaluate API,
 * flag by flag; ETags give 304; the SDK registers and sends metrics; a bad token is a 401 the
 * SDK survives; in streaming mode it sees a plan change without polling.
 */
class UnleashSdkTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final int USERS = 10_000;
  static final List<String> FLAGS = List.of("rollout", "beta-users", "eu-only", "enterprise-thing", "semver-gate", "missing");

  @TempDir static Path home;
  static RunningNode node;
  static Api api;
  static String admin;
  static String token;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    EventSourceClient.install();
    node = TestNodes.start(TestNodes.options(home));
    api = new Api(node.baseUrl());
    admin = node.createdAdminToken().orElseThrow();
    assertEquals(201, api.post("/api/v1/tenants", admin, "{\"name\":\"sdk\",\"plan\":\"team\"}").status());
    token = api.token(admin, "sdk", "write");
    put("rollout", "{\"enabled\":true,\"strategies\":[{\"name\":\"flexibleRollout\",\"parameters\":"
        + "{\"rollout\":\"30\",\"stickiness\":\"default\",\"groupId\":\"rollout\"}}],"
        + "\"variants\":[{\"name\":\"a\",\"weight\":200},{\"name\":\"b\",\"weight\":300,\"payload\":{\"type\":\"string\",\"value\":\"B\"}},"
        + "{\"name\":\"c\",\"weight\":500}]}");
    put("beta-users", "{\"enabled\":true,\"strategies\":[{\"name\":\"userWithId\",\"parameters\":{\"userIds\":\"user-1, user-5,user-42\"}}]}");
    put("eu-only", "{\"enabled\":true,\"strategies\":[{\"name\":\"flexibleRollout\",\"parameters\":{\"rollout\":\"60\",\"groupId\":\"eu\"},"
        + "\"constraints\":[{\"contextName\":\"region\",\"operator\":\"IN\",\"values\":[\"eu\"]}],"
        + "\"variants\":[{\"name\":\"x\",\"weight\":1},{\"name\":\"y\",\"weight\":3}]}]}");
    put("enterprise-thing", "{\"enabled\":true,\"minPlan\":\"enterprise\",\"strategies\":[{\"name\":\"default\"}]}");
    put("semver-gate", "{\"enabled\":true,\"strategies\":[{\"name\":\"default\",\"constraints\":"
        + "[{\"contextName\":\"appVersion\",\"operator\":\"SEMVER_GTE\",\"value\":\"2.0.0\"}]}]}");
    awaitCatalog(5);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static void put(String key, String body) throws Exception {
    Api.Response r = api.call("PUT", "/api/v1/tenants/sdk/flags/" + key, token, body);
    assertTrue(r.status() == 201 || r.status() == 200, key + ": " + r.body());
  }

  /** The node's catalog has all flags once /api/client/features lists them. */
  static void awaitCatalog(int flags) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Api.Response r;
    while ((r = features(token)).json().get("features").size() < flags) {
      assertTrue(System.nanoTime() < deadline, "flags never reached the catalog: " + r.body());
      Thread.sleep(20);
    }
  }

  static Api.Response features(String tok) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/client/features"))
        .header("Authorization", tok).GET().build(), HttpResponse.BodyHandlers.ofString());
    return new Api.Response(r.statusCode(), r.body(), r);
  }

  static ObjectNode context(int i) {
    ObjectNode c = JSON.createObjectNode().put("userId", "user-" + i);
    c.putObject("properties").put("region", i % 2 == 0 ? "eu" : "us").put("appVersion", i % 3 == 0 ? "2.1.0" : "1.9.0");
    return c;
  }

  /** Runs the SDK script and hands each printed line to {@code lines}; returns the exit code. */
  static int sdk(ObjectNode options, Consumer<JsonNode> lines) throws Exception {
    options.put("url", node.baseUrl() + "/api/");
    Process p = new ProcessBuilder("node", EventSourceClient.JS_DIR.resolve("unleash-check.mjs").toString(), options.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.accept(JSON.readTree(line));
      }
    }
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the SDK script did not finish");
    return p.exitValue();
  }

  @Test
  void theSdkAgreesWithDevFlowForTenThousandUsers() throws Exception {
    ObjectNode o = JSON.createObjectNode().put("token", token).put("mode", "evaluate").put("users", USERS);
    FLAGS.forEach(o.withArray("flags")::add);
    JsonNode[] results = new JsonNode[1];
    List<String> errors = new ArrayList<>();
    int code = sdk(o, line -> {
      switch (line.get("kind").asText()) {
        case "results" -> results[0] = line.get("results");
        case "error" -> errors.add(line.get("message").asText());
        default -> { }
      }
    });
    assertEquals(0, code, "SDK errors: " + errors);
    assertTrue(errors.isEmpty(), errors.toString());

    // DevFlow's server-side answers through the evaluate API, 16 requests at a time.
    JsonNode[] server = new JsonNode[USERS];
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int i = 0; i < USERS; i++) {
      int user = i;
      ObjectNode body = JSON.createObjectNode();
      body.set("context", context(user));
      FLAGS.forEach(body.withArray("keys")::add);
      inFlight.acquire();
      calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/tenants/sdk/flags/evaluate"))
              .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> inFlight.release())
          .thenAccept(r -> {
            try {
              server[user] = JSON.readTree(r.body());
            } catch (Exception ex) {
              throw new IllegalStateException(r.body(), ex);
            }
          }));
    }
    CompletableFuture.allOf(calls.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);

    int enabledSomewhere = 0;
    Map<String, Integer> onPerFlag = new java.util.HashMap<>();
    for (String flag : FLAGS) {
      JsonNode list = results[0].get(flag);
      int on = 0;
      for (int i = 0; i < USERS; i++) {
        JsonNode sdk = list.get(i);
        JsonNode dev = server[i].get(flag);
        assertEquals(sdk.get(0).asBoolean(), dev.get("enabled").asBoolean(), flag + " enabled for user-" + i);
        assertEquals(sdk.get(1).asText(), dev.get("variant").asText(), flag + " variant for user-" + i);
        on += sdk.get(0).asBoolean() ? 1 : 0;
      }
      System.out.printf("flag %-16s on for %5d of %d users (SDK and DevFlow agree)%n", flag, on, USERS);
      enabledSomewhere += on > 0 && on < USERS ? 1 : 0;
      onPerFlag.put(flag, on);
    }
    assertTrue(enabledSomewhere >= 3, "the data set must split users, or agreement proves little");
    assertEquals(3, onPerFlag.get("beta-users"), "user-1, user-5 and user-42");
    assertEquals(0, onPerFlag.get("enterprise-thing"), "the plan gate: team is below enterprise");

    // The SDK registered itself and flushed its metrics.
    JsonNode instances = api.get("/api/v1/tenants/sdk/sdk-instances", token).json().get("items");
    assertTrue(instances.toString().contains("sdk-test-1"), instances.toString());
    assertTrue(instances.toString().contains("unleash-node-sdk"), instances.toString());
  }

  @Test
  void tenThousandFlagsInATenantAreServedWhole() throws Exception {
    assertEquals(201, api.post("/api/v1/tenants", admin, "{\"name\":\"many\",\"plan\":\"team\"}").status());
    String t = api.token(admin, "many", "write");
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<HttpResponse<String>>> puts = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      inFlight.acquire();
      String body = "{\"enabled\":true,\"strategies\":[{\"name\":\"flexibleRollout\",\"parameters\":{\"rollout\":\""
          + (i % 101) + "\"}}]}";
      puts.add(http.sendAsync(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/tenants/many/flags/f" + i))
              .header("Authorization", "Bearer " + t).header("Content-Type", "application/json")
              .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> inFlight.release()));
    }
    for (CompletableFuture<HttpResponse<String>> put : puts) {
      assertEquals(201, put.get(60, TimeUnit.SECONDS).statusCode());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonNode features;
    do {
      assertTrue(System.nanoTime() < deadline, "10,000 flags never all reached the catalog");
      Thread.sleep(100);
      features = features(t).json().get("features");
    } while (features.size() < 10_000);
    assertEquals(10_000, features.size());
    java.util.Set<String> names = new java.util.HashSet<>();
    features.forEach(f -> names.add(f.get("name").asText()));
    assertEquals(10_000, names.size(), "each flag once");
    // The SDK takes the whole set: f100 has rollout 100 (on for everyone), f0 rollout 0 (off).
    ObjectNode o = JSON.createObjectNode().put("token", t).put("mode", "evaluate").put("users", 50);
    o.withArray("flags").add("f100").add("f0");
    JsonNode[] results = new JsonNode[1];
    assertEquals(0, sdk(o, line -> {
      if (line.get("kind").asText().equals("results")) {
        results[0] = line.get("results");
      }
    }));
    results[0].get("f100").forEach(r -> assertTrue(r.get(0).asBoolean()));
    results[0].get("f0").forEach(r -> assertFalse(r.get(0).asBoolean()));
  }

  @Test
  void etagsGive304AndBadTokensGive401() throws Exception {
    Api.Response first = features(token);
    assertEquals(200, first.status());
    String etag = first.raw().headers().firstValue("etag").orElseThrow();
    HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/client/features"))
        .header("Authorization", token).header("If-None-Match", etag).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(304, again.statusCode());
    assertEquals(401, features("dft_sdk_00_nope").status());
    assertEquals(403, features(admin).status(), "the cluster admin has no flags of its own");

    ObjectNode o = JSON.createObjectNode().put("token", "dft_sdk_00_nope").put("mode", "evaluate").put("users", 3)
        .put("timeoutMs", 4000);
    o.withArray("flags").add("beta-users");
    List<String> errors = new ArrayList<>();
    sdk(o, line -> {
      if (line.get("kind").asText().equals("error")) {
        errors.add(line.get("message").asText());
      }
    });
    assertTrue(errors.stream().anyMatch(e -> e.contains("401")), "the SDK reports the 401: " + errors);
  }

  @Test
  void aPlanChangeReachesAStreamingSdkAtOnce() throws Exception {
    assertEquals(201, api.post("/api/v1/tenants", admin, "{\"name\":\"sdk-plan\",\"plan\":\"free\"}").status());
    String t = api.token(admin, "sdk-plan", "write");
    assertEquals(201, api.call("PUT", "/api/v1/tenants/sdk-plan/flags/paid", t,
        "{\"enabled\":true,\"minPlan\":\"team\",\"strategies\":[{\"name\":\"default\"}]}").status());
    ObjectNode o = JSON.createObjectNode().put("token", t).put("mode", "watch").put("streaming", true)
        .put("refreshMs", 600_000).put("timeoutMs", 30_000);
    o.withArray("flags").add("paid");
    List<JsonNode> values = new java.util.concurrent.CopyOnWriteArrayList<>();
    long[] patchedAt = new long[1];
    Thread watcher = new Thread(() -> {
      try {
        sdk(o, line -> {
          values.add(line);
          if (line.get("kind").asText().equals("value") && !line.get("enabled").asBoolean() && patchedAt[0] == 0) {
            try {
              patchedAt[0] = System.currentTimeMillis();
              assertEquals(200, api.call("PATCH", "/api/v1/tenants/sdk-plan", admin, "{\"plan\":\"team\"}").status());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
          if (line.get("kind").asText().equals("value") && line.get("enabled").asBoolean()) {
            System.out.printf("streaming SDK saw the plan change %d ms after the PATCH was sent%n",
                line.get("atMs").asLong() - patchedAt[0]);
          }
        });
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    watcher.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
    while (values.stream().noneMatch(v -> v.get("kind").asText().equals("value") && v.get("enabled").asBoolean())) {
      assertTrue(System.nanoTime() < deadline, "the SDK never saw the flag turn on: " + values);
      Thread.sleep(20);
    }
    assertFalse(values.stream().anyMatch(v -> v.get("kind").asText().equals("error")), values.toString());
  }
}
