package dev.devflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Pipeline entity's fencing and runner-lost retries (its messages to the job queue stay in the
 * sharding buffer here: this node forms no cluster).
 */
class PipelineEntityTest {

  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString("pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0"))
      .withFallback(ConfigFactory.load()));

  private static final String YAML = """
      on: push
      jobs:
        build: {runs-on: linux, steps: [{run: make}]}
      """;

  private EventSourcedBehaviorTestKit<Pipeline.Command, Pipeline.Event, Pipeline.State> pipeline;

  static {
    // The queue's sharding proxy buffers what the pipeline sends it (no cluster is formed).
    JobQueue.init(testKit.system(), new JobQueue.Settings(java.time.Duration.ofSeconds(10), Map.of()));
  }

  @BeforeEach
  void create() {
    pipeline = EventSourcedBehaviorTestKit.create(testKit.system(),
        Pipeline.create("acme/web/1", new Pipeline.Settings(2, tenant -> 2)));
    var created = pipeline.<StatusReply<Pipeline.Summary>>runCommand(reply -> new Pipeline.Create(new PipelineInfo(
        "acme", "web", 1, "ci.yml", "ci", YAML, "refs/heads/main", "a".repeat(40), null, "push", "dev", null,
        Instant.now(), List.of()), reply));
    assertTrue(created.reply().isSuccess());
    assertEquals(Status.QUEUED, created.state().jobs().get("build").status());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private StatusReply<Pipeline.JobWork> start(int attempt, String lease) {
    return pipeline.<StatusReply<Pipeline.JobWork>>runCommand(
        reply -> new Pipeline.StartJob("build", attempt, lease, "runner", reply)).reply();
  }

  private StatusReply<Done> lost(int attempt, String lease) {
    return pipeline.<StatusReply<Done>>runCommand(
        reply -> new Pipeline.LeaseLost("build", attempt, lease, "no heartbeat", reply)).reply();
  }

  @Test
  void aJobWhoseRunnerIsLostRunsAgainTwiceThenFails() {
    assertTrue(start(1, "l1").isSuccess());
    assertTrue(lost(1, "l1").isSuccess());
    assertEquals(2, pipeline.getState().jobs().get("build").attempt());
    assertEquals(Status.QUEUED, pipeline.getState().jobs().get("build").status());
    assertTrue(start(2, "l2").isSuccess());
    lost(2, "l2");
    assertTrue(start(3, "l3").isSuccess());
    lost(3, "l3");
    PipelineJob job = pipeline.getState().jobs().get("build");
    assertEquals(Status.FAILED, job.status());
    assertTrue(job.reason().startsWith("runner lost: "), job.reason());
    assertEquals("failed", pipeline.getState().status());
  }

  @Test
  void aStaleRunnerCanNeitherStartNorFinishTheJob() {
    assertTrue(start(1, "l1").isSuccess());
    lost(1, "l1");
    assertTrue(start(1, "l1").isError(), "attempt 1 is over");
    assertTrue(start(2, "l2").isSuccess());
    var stale = pipeline.<StatusReply<Done>>runCommand(reply -> new Pipeline.FinishJob("build", 1, "l1",
        Status.SUCCEEDED, Map.of(), null, false, reply));
    assertTrue(stale.reply().isError());
    assertTrue(stale.hasNoEvents());
    var current = pipeline.<StatusReply<Done>>runCommand(reply -> new Pipeline.FinishJob("build", 2, "l2",
        Status.SUCCEEDED, Map.of(), null, false, reply));
    assertTrue(current.reply().isSuccess());
    assertEquals("succeeded", current.state().status());
    var again = pipeline.<StatusReply<Done>>runCommand(reply -> new Pipeline.FinishJob("build", 2, "l2",
        Status.FAILED, Map.of(), null, false, reply));
    assertTrue(again.reply().isSuccess(), "a repeated report is acknowledged");
    assertTrue(again.hasNoEvents(), "and changes nothing");
  }
}
