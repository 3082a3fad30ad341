package dev.devflow.agents.llm;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.llm.LlmStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real embedded PostgreSQL per test class, a fresh {@link OpenAiTestServer} per test, and a
 * tenant named after the test so that cache entries and usage of one test never reach another.
 */
abstract class GatewayTestBase {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static LlmStore store;
  static ExecutorService blocking;

  OpenAiTestServer server;
  String tenant;
  private final List<LlmGateway> gateways = new ArrayList<>();

  @BeforeAll
  static void startDatabase() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    store = new LlmStore(db);
    blocking = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "llm-blocking");
      t.setDaemon(true);
      return t;
    });
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    blocking.shutdownNow();
    db.close();
    pg.close();
  }

  @BeforeEach
  void startServer(TestInfo info) throws Exception {
    server = OpenAiTestServer.start();
    tenant = info.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void stopServer() {
    gateways.forEach(LlmGateway::close);
    server.close();
  }

  /**
   * A gateway on the test server with quick back-off (Retry-After still honoured up to 2 s) and
   * {@code extra} HOCON over it, e.g. {@code fallback-models = ["backup"]}.
   */
  LlmGateway gateway(String extra) {
    LlmSettings settings = LlmSettings.fromConfig(ConfigFactory.parseString(extra).withFallback(
        ConfigFactory.parseString("base-url = \"" + server.baseUrl() + "\"\n"
            + "api-key = \"sk-test-key-0123456789\"\nmodel = \"primary\"\nembedding-model = \"embedder\"\n"
            + "timeout = 5s\nbackoff-min = 20ms\nbackoff-max = 2s\n")));
    LlmGateway gw = new LlmGateway(settings, store, blocking);
    gateways.add(gw);
    return gw;
  }

  ChatRequest ask(String text) {
    return new ChatRequest(tenant, "reviewer", null, List.of(ChatMessage.system("be brief"), ChatMessage.user(text)),
        null, null, true, 0);
  }

  /**
   * The month's spend of {@code agent} (null: the tenant's) once it counts {@code calls} calls:
   * without a budget the gateway writes its bookkeeping after the answer has returned.
   */
  Spend spendAfter(LlmGateway gw, String agent, long calls) throws InterruptedException {
    java.time.YearMonth month = java.time.YearMonth.now(java.time.ZoneOffset.UTC);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Spend s = gw.spend(tenant, agent, month);
    while (s.calls() < calls && System.nanoTime() < deadline) {
      Thread.sleep(20);
      s = gw.spend(tenant, agent, month);
    }
    return s;
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("call failed: " + e.getCause(), e.getCause());
    }
  }

  /** The exception a call failed with; fails the test when it succeeds or hangs. */
  static <E extends LlmException> E failure(Class<E> type, CompletionStage<?> stage) throws Exception {
    try {
      Object value = stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
      return fail("expected " + type.getSimpleName() + " but got " + value);
    } catch (ExecutionException e) {
      return assertInstanceOf(type, e.getCause());
    } catch (TimeoutException e) {
      return fail("the call hung");
    }
  }
}
