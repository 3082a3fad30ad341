package dev.devflow.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.agents.llm.LlmGateway;
import dev.devflow.agents.llm.LlmSettings;
import dev.devflow.agents.llm.OpenAiTestServer;
import dev.devflow.agents.llm.OpenAiTestServer.Reply;
import dev.devflow.agents.review.DiffLimits;
import dev.devflow.agents.review.Reviewer;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.agents.StoredReview;
import dev.devflow.persistence.llm.LlmStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Agent entity with the real reviewer: a real bare repository written by the git CLI, a real
 * PostgreSQL for the gateway's accounting and the reviews, and an OpenAI-compatible test server
 * standing in for the model (the only double). The journal is Pekko's in-memory test journal, so
 * a restart replays exactly what the entity persisted.
 */
class AgentTaskTest {

  static final String GOOD = "{\"summary\":\"One nit.\",\"comments\":[{\"path\":\"app.py\",\"line\":2,"
      + "\"severity\":\"warning\",\"body\":\"Name this better.\"}]}";

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static AgentStore agents;
  static LlmStore llmStore;
  static GitStorage git;
  static ExecutorService blocking;
  static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString("pekko.actor.testkit.typed.single-expect-default = 10s"))
      .withFallback(ConfigFactory.load()));

  OpenAiTestServer server;
  LlmGateway gateway;
  String tenant;
  Path work;

  @BeforeAll
  static void startDatabase() throws Exception {
    pg = EmbeddedDatabase.start(home.resolve("pg"));
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    agents = new AgentStore(db);
    llmStore = new LlmStore(db);
    git = new GitStorage(home.resolve("git"));
    blocking = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() throws Exception {
    testKit.shutdownTestKit();
    blocking.shutdownNow();
    db.close();
    pg.close();
  }

  @BeforeEach
  void setUp(TestInfo info) throws Exception {
    tenant = info.getTestMethod().orElseThrow().getName().toLowerCase().replaceAll("[^a-z0-9]", "").substring(0, 20);
    server = OpenAiTestServer.start();
    server.defaultReply(r -> Reply.chat(r.model(), GOOD, 1000, 200));
    git.create(tenant, "site", "main");
    work = home.resolve("work-" + tenant);
    sh(home, "git", "init", "-q", "-b", "main", work.toString());
    Files.writeString(work.resolve("app.py"), "import os\nprint('hello')\n");
    commitAndPush("first");
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    server.close();
  }

  EventSourcedBehaviorTestKit<Agent.Command, Agent.Event, Agent.State> agent(String llmConfig) {
    gateway = new LlmGateway(LlmSettings.fromConfig(ConfigFactory.parseString(llmConfig).withFallback(
        ConfigFactory.parseString("base-url = \"" + server.baseUrl() + "\"\nmodel = \"primary\"\n"
            + "backoff-min = 20ms\nbackoff-max = 1s\nprices { primary { input-per-million = 1.0, "
            + "output-per-million = 2.0 } }"))), llmStore, blocking);
    Reviewer reviewer = new Reviewer(gateway, git, agents, DiffLimits.DEFAULT, blocking);
    return EventSourcedBehaviorTestKit.create(testKit.system(), Agent.create(tenant + "/bot", reviewer));
  }

  static AgentConfig config(double budget) {
    return new AgentConfig("reviewer", "site", null, null, budget);
  }

  /** Changes app.py, pushes, and returns the push as a task. */
  ReviewTask push(String id) throws Exception {
    String before = sh(work, "git", "rev-parse", "HEAD").trim();
    Files.writeString(work.resolve("app.py"), "import os\nx = 1  # " + id + "\nprint('hello')\n");
    commitAndPush(id);
    String after = sh(work, "git", "rev-parse", "HEAD").trim();
    return new ReviewTask(id, "site", "refs/heads/main", before, after, Instant.now());
  }

  void commitAndPush(String message) throws Exception {
    sh(work, "git", "add", "-A");
    sh(work, "git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", message);
    sh(work, "git", "push", "-q", git.dir(tenant, "site").toString(), "HEAD:refs/heads/main");
  }

  static String sh(Path cwd, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    return out;
  }

  static Agent.State await(EventSourcedBehaviorTestKit<Agent.Command, Agent.Event, Agent.State> a,
      Predicate<Agent.State> done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Agent.State s = a.getState();
    while (!done.test(s)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("agent never got there: " + s);
      }
      Thread.sleep(50);
      s = a.getState();
    }
    return s;
  }

  static void configure(EventSourcedBehaviorTestKit<Agent.Command, Agent.Event, Agent.State> a, AgentConfig c) {
    a.<StatusReply<Agent.Summary>>runCommand(r -> new Agent.Configure(c, r));
  }

  void start(EventSourcedBehaviorTestKit<Agent.Command, Agent.Event, Agent.State> a, ReviewTask t) {
    a.<StatusReply<Done>>runCommand(r -> new Agent.StartTask(t, r));
  }

  @Test
  void aPushIsReviewedOnceAndTheReviewStored() throws Exception {
    var a = agent("");
    configure(a, config(0));
    assertEquals(AgentStatus.IDLE, a.getState().status());
    ReviewTask task = push("second");
    start(a, task);
    Agent.State s = await(a, st -> st.pending().isEmpty());
    assertEquals(1, s.reviewsPosted(), s.toString());
    assertEquals(AgentStatus.IDLE, s.status());
    List<StoredReview> reviews = agents.reviews(tenant, "site", null, 10);
    assertEquals(1, reviews.size());
    assertTrue(reviews.get(0).review().contains("Name this better."), reviews.get(0).review());
    assertEquals("primary", reviews.get(0).model());
    assertTrue(reviews.get(0).costUsd() > 0, "priced: 1000 in + 200 out");
    assertTrue(server.requests().get(0).lastMessage().contains("+x = 1  # second"), "the diff went to the model");

    // The same push handed over again (the trigger crashed before saving its offset): nothing new.
    var again = a.<StatusReply<Done>>runCommand(r -> new Agent.StartTask(task, r));
    assertTrue(again.events().isEmpty());
    assertEquals(1, server.requests().size());
  }

  @Test
  void anAgentRestartedMidCallPostsExactlyOneReview() throws Exception {
    var a = agent("");
    configure(a, config(0));
    server.enqueue(Reply.chat("primary", GOOD, 10, 10).withDelay(Duration.ofSeconds(2)));
    start(a, push("slow"));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (server.requests().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, server.requests().size(), "the first call is in flight");
    // The entity and its worker die mid-call (as when their node dies); the restarted entity
    // finds TaskStarted without an outcome and runs the task again.
    a.restart();
    Agent.State s = await(a, st -> st.pending().isEmpty());
    Thread.sleep(2500); // the first call's late answer arrives at nobody
    s = a.getState();
    assertEquals(1, s.reviewsPosted());
    assertEquals(0, s.tasksFailed());
    assertTrue(server.requests().size() >= 2, "the task ran again after the restart");
    assertEquals(1, agents.reviews(tenant, "site", null, 10).size());
  }

  @Test
  void aCrashedWorkerIsRestartedByItsSupervisorAndTheTaskStillPostsOnce() throws Exception {
    var a = agent("");
    configure(a, config(0));
    ReviewTask task = push("crash");
    // The repository is away when the worker starts: reading the diff throws, the worker crashes;
    // its supervisor starts it again a second later, when the repository is back.
    Path repo = git.dir(tenant, "site");
    Path away = repo.resolveSibling("site-away");
    Files.move(repo, away);
    LoggingTestKit.error(TaskWorker.TaskCrashedException.class).expect(testKit.system(), () -> {
      start(a, task);
      return null;
    });
    Files.move(away, repo);
    Agent.State s = await(a, st -> st.pending().isEmpty());
    assertEquals(1, s.reviewsPosted());
    assertEquals(0, s.tasksFailed());
    assertEquals(1, server.requests().size());
  }

  @Test
  void unusableOutputGetsOneRepairThenTheTaskFails() throws Exception {
    var a = agent("");
    configure(a, config(0));
    server.enqueue(Reply.chat("primary", "Sure! Here is my review: looks good", 10, 10));
    server.enqueue(Reply.chat("primary", "{\"summary\":\"x\",\"comments\":[{\"path\":\"nope.py\",\"line\":1,"
        + "\"severity\":\"info\",\"body\":\"b\"}]}", 10, 10));
    start(a, push("bad"));
    Agent.State s = await(a, st -> st.pending().isEmpty());
    assertEquals(0, s.reviewsPosted());
    assertEquals(1, s.tasksFailed());
    assertEquals(AgentStatus.FAILING, s.status());
    assertTrue(s.statusReason().contains("nope.py"), s.statusReason());
    assertEquals(2, server.requests().size(), "one call, one repair");
    assertTrue(server.requests().get(1).lastMessage().toLowerCase().contains("summary")
        || server.requests().get(1).lastMessage().toLowerCase().contains("json"), "the repair says what was wrong");

    // The agent keeps going: the next push is reviewed (a repair that works counts as a review).
    server.enqueue(Reply.chat("primary", "not json at all", 10, 10));
    start(a, push("good"));
    s = await(a, st -> st.pending().isEmpty());
    assertEquals(1, s.reviewsPosted());
    assertEquals(AgentStatus.IDLE, s.status());
  }

  @Test
  void aSpentBudgetPausesTheAgentWithoutCallingTheModel() throws Exception {
    var a = agent("");
    // One call costs 1000 * 1.0 / 1e6 + 200 * 2.0 / 1e6 = $0.0014: the first review spends it all.
    configure(a, config(0.001));
    start(a, push("one"));
    assertEquals(1, await(a, st -> st.pending().isEmpty()).reviewsPosted());
    start(a, push("two"));
    Agent.State s = await(a, st -> st.pending().isEmpty());
    assertEquals(AgentStatus.PAUSED_BUDGET, s.status());
    assertTrue(s.statusReason().contains("budget"), s.statusReason());
    assertEquals(1, server.requests().size(), "no call over budget");

    // A bigger budget lets it work again.
    configure(a, config(10));
    assertEquals(AgentStatus.IDLE, a.getState().status());
    start(a, push("three"));
    assertEquals(2, await(a, st -> st.pending().isEmpty()).reviewsPosted());
  }

  @Test
  void withoutAnEndpointTheAgentSaysUnconfiguredAndNothingCrashes() throws Exception {
    var a = agent("base-url = \"\"");
    configure(a, config(0));
    assertEquals(AgentStatus.UNCONFIGURED, a.getState().status());
    assertTrue(a.getState().statusReason().contains("DEVFLOW_LLM_BASE_URL"), a.getState().statusReason());
    start(a, push("one"));
    Agent.State s = await(a, st -> st.pending().isEmpty());
    assertEquals(1, s.tasksFailed());
    assertEquals(AgentStatus.UNCONFIGURED, s.status());
    assertTrue(server.requests().isEmpty());
  }

  @Test
  void pushesFromBeforeTheAgentExistedAreNotReviewed() throws Exception {
    ReviewTask old = push("old");
    Thread.sleep(5);
    var a = agent("");
    configure(a, config(0));
    var r = a.<StatusReply<Done>>runCommand(c -> new Agent.StartTask(old, c));
    assertTrue(r.events().isEmpty());
    assertTrue(server.requests().isEmpty());
  }
}
