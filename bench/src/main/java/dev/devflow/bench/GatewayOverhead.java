package dev.devflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import dev.devflow.agents.llm.ChatMessage;
import dev.devflow.agents.llm.ChatRequest;
import dev.devflow.agents.llm.LlmGateway;
import dev.devflow.agents.llm.LlmSettings;
import dev.devflow.agents.llm.OpenAiTestServer;
import dev.devflow.agents.review.ReviewPrompt;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.llm.LlmStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Part 1 of {@code bench/run agents}: the {@link LlmGateway} as a library against the test model
 * answering in a fixed time, on the embedded PostgreSQL. {@code tenants × callsPerTenant} chat
 * calls with the answer cache off (every call reaches the server), {@code limit} callers per
 * tenant (the gateway's per-tenant limit, so nothing waits for a permit); latency per call minus
 * the hold. The same calls as plain {@link HttpClient} POSTs to the server are the peer: what is
 * left beyond the hold there is the HTTP call and the server itself.
 */
final class GatewayOverhead {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_KEY = "sk-bench-key-0123456789";

  /** One measured pass. */
  record Pass(String via, int calls, double seconds, List<Double> overheadMs, int maxInFlight, int minTenantMax,
      int maxTenantMax, int errors) {}

  private final OpenAiTestServer server;
  private final ModelLoad load;
  private final Duration hold;
  private final int tenants;
  private final int callsPerTenant;
  private final int limit;

  GatewayOverhead(OpenAiTestServer server, ModelLoad load, Duration hold, int tenants, int callsPerTenant, int limit) {
    this.server = server;
    this.load = load;
    this.hold = hold;
    this.tenants = tenants;
    this.callsPerTenant = callsPerTenant;
    this.limit = limit;
  }

  static String tenant(int i) {
    return String.format("t%02d", i);
  }

  /**
   * Warm-up passes, then peer, gateway with its bookkeeping executor unbounded, and with {@code
   * nodePool} threads (model calls run on the gateway's own pool either way).
   */
  List<Pass> run(Path home, int nodePool) throws Exception {
    List<Pass> passes = new ArrayList<>();
    try (EmbeddedDatabase pg = EmbeddedDatabase.start(home); Database db = Database.open(pg.settings(), 8)) {
      Migrations.migrate(db);
      LlmStore store = new LlmStore(db);
      ExecutorService unbounded = Executors.newCachedThreadPool(daemon("llm-blocking"));
      ExecutorService fixed = Executors.newFixedThreadPool(nodePool, daemon("llm-blocking-fixed"));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      LlmSettings settings = LlmSettings.fromConfig(ConfigFactory.parseString("base-url = \"" + server.baseUrl()
          + "\"\napi-key = \"" + API_KEY + "\"\nmodel = \"bench-model\"\ntimeout = 60s\n"
          + "concurrency-per-tenant = " + limit + "\n"));
      try (LlmGateway gateway = new LlmGateway(settings, store, unbounded);
          LlmGateway onFixed = new LlmGateway(settings, store, fixed)) {
        Caller viaGateway = t -> gateway.chat(request(t)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        Caller viaPeer = t -> peer(http, t);
        Caller viaFixed = t -> onFixed.chat(request(t)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        // The gateway's accounting write, alone (without a budget it is made after the answer returns).
        Caller account = t -> store.recordCall(t, "bench", YearMonth.now(ZoneOffset.UTC), "bench-model", 1200, 300, 0);
        pass("warm-up peer", viaPeer, hold.toMillis());
        pass("warm-up gateway", viaGateway, hold.toMillis());
        passes.add(pass("plain HttpClient POST (peer)", viaPeer, hold.toMillis()));
        passes.add(pass("LlmGateway, bookkeeping on an unbounded pool", viaGateway, hold.toMillis()));
        passes.add(pass("LlmGateway, bookkeeping on " + nodePool + " threads (the node's blocking dispatcher)", viaFixed,
            hold.toMillis()));
        passes.add(pass("only its accounting write (LlmStore.recordCall), no model call; whole time", account, 0));
      } finally {
        unbounded.shutdownNow();
        fixed.shutdownNow();
      }
    }
    return passes;
  }

  private interface Caller {
    void call(String tenant) throws Exception;
  }

  /** Every tenant's calls by {@code limit} callers at once; overhead = each call's time minus {@code minusMs}. */
  private Pass pass(String via, Caller caller, long minusMs) throws Exception {
    load.reset();
    List<Double> overhead = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < tenants; i++) {
      String t = tenant(i);
      AtomicInteger left = new AtomicInteger(callsPerTenant);
      for (int c = 0; c < limit; c++) {
        Thread th = new Thread(() -> {
          try {
            go.await();
            while (left.getAndDecrement() > 0) {
              long start = System.nanoTime();
              try {
                caller.call(t);
                overhead.add((System.nanoTime() - start) / 1e6 - minusMs);
              } catch (Exception e) {
                errors.incrementAndGet();
                System.err.println(via + ": " + e);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "caller-" + t + "-" + c);
        th.start();
        threads.add(th);
      }
    }
    long start = System.nanoTime();
    go.countDown();
    for (Thread th : threads) {
      th.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> sorted = new ArrayList<>(overhead);
    Collections.sort(sorted);
    int minTenant = load.maxInFlightPerTenant().values().stream().mapToInt(Integer::intValue).min().orElse(0);
    int maxTenant = load.maxInFlightPerTenant().values().stream().mapToInt(Integer::intValue).max().orElse(0);
    return new Pass(via, sorted.size(), seconds, sorted, load.maxInFlight(), minTenant, maxTenant, errors.get());
  }

  /** The messages a reviewer sends for a small push, naming the tenant's repository. */
  private static List<ChatMessage> messages(String tenant) {
    String user = "Repository: " + tenant + "\nPush: 0123456..89abcde\nFiles you may comment on:\n- app.py\n\n"
        + "----- BEGIN DIFF -----\ndiff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n"
        + " import os\n-x = 0\n+x = 1\n print('hi')\n----- END DIFF -----";
    return List.of(ChatMessage.system(ReviewPrompt.DEFAULT_INSTRUCTIONS), ChatMessage.user(user));
  }

  private static ChatRequest request(String tenant) {
    return new ChatRequest(tenant, "bench", null, messages(tenant), null, null, false, 0);
  }

  private void peer(HttpClient http, String tenant) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("model", "bench-model");
    ArrayNode msgs = body.putArray("messages");
    for (ChatMessage m : messages(tenant)) {
      msgs.addObject().put("role", m.role()).put("content", m.content());
    }
    HttpRequest r = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + API_KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("peer: " + response.statusCode() + " " + response.body());
    }
    JSON.readTree(response.body()).path("choices").get(0).path("message").path("content").asText();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
