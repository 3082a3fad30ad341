package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outgoing webhooks end to end: a receiver written here (the JDK's HTTP server) checks the
 * signature with its own HMAC, answers 500 or hangs when told to, and records what arrived. The
 * node runs with private targets allowed (the receiver is on 127.0.0.1) and short back-off.
 */
class WebhookTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path home;
  static RunningNode node;
  static Api api;
  static String admin;
  static String token;
  static HttpServer receiver;
  static String receiverUrl;

  /** What one receiver path got: every attempt, in arrival order. */
  record Hit(String event, String delivery, String signature, byte[] body, Instant at) {
    JsonNode json() throws Exception {
      return JSON.readTree(body);
    }
  }

  static final Map<String, List<Hit>> hits = new ConcurrentHashMap<>();
  /** Per path: how many first attempts of each delivery to fail with 500 (flaky) or to hang (slow). */
  static final Map<String, AtomicInteger> attemptsByDelivery = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.createContext("/", WebhookTest::receive);
    receiver.start();
    receiverUrl = "http://127.0.0.1:" + receiver.getAddress().getPort();
    Map<String, Object> options = TestNodes.options(home);
    options.put("devflow.webhooks.allow-private-targets", true);
    options.put("devflow.webhooks.backoff-min", "100ms");
    options.put("devflow.webhooks.backoff-max", "400ms");
    options.put("devflow.webhooks.timeout", "1s");
    node = TestNodes.start(options);
    api = new Api(node.baseUrl());
    admin = node.createdAdminToken().orElseThrow();
    token = api.tenantWithToken(admin, "hooks", "admin");
  }

  @AfterAll
  static void stop() {
    node.close();
    receiver.stop(0);
  }

  private static void receive(HttpExchange x) throws java.io.IOException {
    byte[] body = x.getRequestBody().readAllBytes();
    String path = x.getRequestURI().getPath();
    String delivery = x.getRequestHeaders().getFirst("X-DevFlow-Delivery");
    hits.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(new Hit(
        x.getRequestHeaders().getFirst("X-DevFlow-Event"), delivery,
        x.getRequestHeaders().getFirst("X-DevFlow-Signature"), body, Instant.now()));
    int attempt = attemptsByDelivery.computeIfAbsent(path + delivery, k -> new AtomicInteger()).incrementAndGet();
    int status = 200;
    if (path.startsWith("/flaky") && attempt <= 2) {
      status = 500;
    }
    if (path.startsWith("/hang") && attempt == 1) {
      try {
        Thread.sleep(3_000); // longer than the node's 1 s timeout
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    x.sendResponseHeaders(status, -1);
    x.close();
  }

  private static void putHook(String tenantName, String name, String path, String types, String secret) throws Exception {
    Api.Response r = api.call("PUT", "/api/v1/tenants/" + tenantName + "/webhooks/" + name, token,
        "{\"url\":\"" + receiverUrl + path + "\",\"types\":" + types + ",\"secret\":\"" + secret + "\"}");
    assertEquals(201, r.status(), r.body());
    assertFalse(r.body().contains(secret), "the secret is never returned");
  }

  private static void createRepo(String name) throws Exception {
    Api.Response r = api.post("/api/v1/tenants/hooks/repos", token, "{\"name\":\"" + name + "\"}");
    assertEquals(201, r.status(), r.body());
  }

  private static List<Hit> hitsOf(String path) {
    return hits.getOrDefault(path, List.of());
  }

  private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; received " + received() + "; logged " + logged());
      }
      Thread.sleep(50);
    }
  }

  /** What the receiver got so far, for a failure message: per path, each attempt's event and time. */
  private static String received() {
    StringBuilder out = new StringBuilder();
    hits.forEach((path, list) -> {
      out.append(path).append(" [");
      for (Hit h : list) {
        String body = new String(h.body(), StandardCharsets.UTF_8);
        out.append(h.event()).append(' ').append(body, 0, Math.min(body.length(), 80)).append(" at ").append(h.at()).append("; ");
      }
      out.append("] ");
    });
    return out.toString();
  }

  /** The node's delivery log of every webhook, for a failure message. */
  private static String logged() {
    StringBuilder out = new StringBuilder();
    try {
      for (JsonNode hook : api.get("/api/v1/tenants/hooks/webhooks", token).json().get("items")) {
        String name = hook.get("name").asText();
        out.append(name).append(' ').append(api.get("/api/v1/tenants/hooks/webhooks/" + name + "/deliveries", token).body())
            .append(' ');
      }
    } catch (Exception e) {
      out.append("(cannot read: ").append(e).append(')');
    }
    return out.toString();
  }

  private static String hmac(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Test
  void eventsArriveSignedInFeedOrderOnlyOfTheChosenTypes() throws Exception {
    putHook("hooks", "signed", "/signed", "[\"repo.created\"]", "top-secret");
    for (int i = 0; i < 5; i++) {
      createRepo("signed-" + i);
    }
    api.call("DELETE", "/api/v1/tenants/hooks/repos/signed-0", token, null);
    waitFor("5 deliveries", () -> hitsOf("/signed").size() >= 5);
    List<Hit> got = hitsOf("/signed");
    List<String> repos = new ArrayList<>();
    long lastId = 0;
    for (Hit h : got) {
      assertEquals(hmac("top-secret", h.body()), h.signature(), "signature of " + new String(h.body(), StandardCharsets.UTF_8));
      assertEquals("repo.created", h.event());
      JsonNode body = h.json();
      assertEquals("repo.created", body.get("type").asText());
      assertEquals("hooks", body.get("data").get("tenant").asText());
      assertTrue(body.get("id").asLong() > lastId, "feed order");
      lastId = body.get("id").asLong();
      assertNotNull(h.delivery());
      repos.add(body.get("data").get("repo").asText());
    }
    assertEquals(List.of("signed-0", "signed-1", "signed-2", "signed-3", "signed-4"), repos.subList(0, 5));
    // The delete (repo.deleted) is not a chosen type: after it the log has exactly five entries.
    Api.Response log = api.get("/api/v1/tenants/hooks/webhooks/signed/deliveries", token);
    assertEquals(200, log.status());
    assertEquals(5, log.json().get("items").size(), log.body());
    assertEquals("delivered", log.json().get("items").get(0).get("outcome").asText());
    assertEquals(200, log.json().get("items").get(0).get("statusCode").asInt());
  }

  @Test
  void failedDeliveriesAreRetriedAndLaterEventsWaitTheirTurn() throws Exception {
    putHook("hooks", "flaky", "/flaky", "[\"repo.*\"]", "flaky-secret");
    for (int i = 0; i < 3; i++) {
      createRepo("flaky-" + i);
    }
    waitFor("3 events delivered after 2 failures each", () -> hitsOf("/flaky").size() >= 9);
    List<Hit> got = hitsOf("/flaky");
    assertEquals(9, got.size(), "each event: 500, 500, 200");
    List<String> order = new ArrayList<>();
    for (Hit h : got) {
      order.add(h.json().get("data").get("repo").asText());
    }
    assertEquals(List.of("flaky-0", "flaky-0", "flaky-0", "flaky-1", "flaky-1", "flaky-1",
        "flaky-2", "flaky-2", "flaky-2"), order, "no event overtakes one still being retried");
    assertEquals(got.get(0).delivery(), got.get(2).delivery(), "retries keep the delivery id");
    JsonNode items = api.get("/api/v1/tenants/hooks/webhooks/flaky/deliveries", token).json().get("items");
    assertEquals(9, items.size());
    // Newest first: the last event's three attempts.
    assertEquals("delivered", items.get(0).get("outcome").asText());
    assertEquals(3, items.get(0).get("attempt").asInt());
    assertEquals("retrying", items.get(1).get("outcome").asText());
    assertEquals(500, items.get(1).get("statusCode").asInt());
  }

  @Test
  void aHangingReceiverTimesOutAndIsRetriedWithoutHoldingUpOtherWebhooks() throws Exception {
    putHook("hooks", "hang", "/hang", "[\"repo.created\"]", "hang-secret");
    putHook("hooks", "beside", "/beside", "[\"repo.created\"]", "beside-secret");
    createRepo("hang-0");
    waitFor("the other webhook's delivery", () -> hitsOf("/beside").stream().anyMatch(h -> h.body().length > 0
        && new String(h.body(), StandardCharsets.UTF_8).contains("hang-0")));
    waitFor("the hanging webhook's retry", () -> hitsOf("/hang").size() >= 2);
    waitFor("the retry logged", () -> {
      try {
        return api.get("/api/v1/tenants/hooks/webhooks/hang/deliveries", token).json().get("items").size() >= 2;
      } catch (Exception e) {
        return false;
      }
    });
    JsonNode items = api.get("/api/v1/tenants/hooks/webhooks/hang/deliveries", token).json().get("items");
    JsonNode first = items.get(items.size() - 1);
    assertEquals("retrying", first.get("outcome").asText());
    assertTrue(first.get("error").asText().contains("timeout"), first.toString());
    assertFalse(first.has("statusCode"), "no response, no status");
    assertEquals("delivered", items.get(0).get("outcome").asText());
  }

  @Test
  void definitionsCanBeReadChangedAndDeleted() throws Exception {
    putHook("hooks", "crud", "/crud", "[]", "first-secret");
    Api.Response changed = api.call("PUT", "/api/v1/tenants/hooks/webhooks/crud", token,
        "{\"url\":\"" + receiverUrl + "/crud2\",\"types\":[\"pipeline.*\"],\"secret\":\"second-secret\"}");
    assertEquals(200, changed.status(), changed.body());
    Api.Response one = api.get("/api/v1/tenants/hooks/webhooks/crud", token);
    assertEquals(receiverUrl + "/crud2", one.json().get("url").asText());
    assertEquals("pipeline.*", one.json().get("types").get(0).asText());
    assertFalse(one.body().contains("secret\""), one.body());
    assertTrue(api.get("/api/v1/tenants/hooks/webhooks", token).body().contains("\"crud\""));
    Api.Response bad = api.call("PUT", "/api/v1/tenants/hooks/webhooks/crud", token,
        "{\"url\":\"" + receiverUrl + "\",\"types\":[\"repo.pulled\"],\"secret\":\"x\"}");
    assertEquals(400, bad.status());
    assertEquals("types", bad.json().get("field").asText());
    Api.Response noSecret = api.call("PUT", "/api/v1/tenants/hooks/webhooks/crud", token,
        "{\"url\":\"" + receiverUrl + "\"}");
    assertEquals("secret", noSecret.json().get("field").asText());
    assertEquals(204, api.call("DELETE", "/api/v1/tenants/hooks/webhooks/crud", token, null).status());
    assertEquals(404, api.get("/api/v1/tenants/hooks/webhooks/crud", token).status());
    assertEquals(404, api.call("DELETE", "/api/v1/tenants/hooks/webhooks/crud", token, null).status());
    assertEquals(404, api.get("/api/v1/tenants/hooks/webhooks/crud/deliveries", token).status());
  }
}
