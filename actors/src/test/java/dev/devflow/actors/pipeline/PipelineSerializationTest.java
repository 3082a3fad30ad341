package dev.devflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.actors.SerializationFixtures;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** CI events and snapshots keep reading from their golden fixtures; messages cross nodes through Kryo. */
class PipelineSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-27T10:00:00Z");

  static final PipelineInfo INFO = new PipelineInfo("acme", "web", 42, ".devflow/workflows/ci.yml", "ci",
      "on: push\njobs: {}\n", "refs/heads/main", "a".repeat(40), "b".repeat(40), "push", "acme", null, AT, null);
  static final PipelineJob JOB = new PipelineJob("test-1", "test", "test (18)", "{\"node\":18}", List.of("linux"),
      List.of("build"), Status.SUCCEEDED, 2, "lease-1", "runner-a", AT, AT, AT, Map.of("v", "1.2"), null, false);
  static final JobQueue.QueuedJob QUEUED = new JobQueue.QueuedJob("acme", "acme/web/42", "test-1", 2,
      List.of("linux"), 10, AT);

  private static final Map<String, Object> CURRENT = current();

  private static Map<String, Object> current() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("PipelineCreated.v1", new Pipeline.PipelineCreated(INFO, List.of(JOB)));
    m.put("PipelineCreatedWithError.v1", new Pipeline.PipelineCreated(new PipelineInfo("acme", "web", 43, "bad.yml",
        "bad.yml", "on: [", "refs/heads/main", "a".repeat(40), null, "push", "acme",
        new PipelineInfo.WorkflowError("bad.yml", 1, 5, "unexpected end"), AT, null), List.of()));
    m.put("JobQueued.v1", new Pipeline.JobQueued("test-1", 1, AT));
    m.put("JobStarted.v1", new Pipeline.JobStarted("test-1", 1, "lease-1", "runner-a", AT));
    m.put("JobFinished.v1", new Pipeline.JobFinished("test-1", 1, "lease-1", Status.FAILED, Map.of("v", "1"),
        "step 2: the process exited with code 1", true, AT));
    m.put("CancelRequested.v1", new Pipeline.CancelRequested(AT));
    m.put("PipelineFinished.v1", new Pipeline.PipelineFinished("failed", AT));
    m.put("PipelineState.v1", new Pipeline.State(INFO, Map.of("test-1", JOB), "running", false, null));
    m.put("JobEnqueued.v1", new JobQueue.JobEnqueued(QUEUED));
    m.put("JobLeased.v1", new JobQueue.JobLeased(new JobQueue.Lease("lease-1", QUEUED, "r-1", "runner-a", AT)));
    m.put("LeaseEnded.v1", new JobQueue.LeaseEnded("lease-1", "expired", AT));
    m.put("JobWithdrawn.v1", new JobQueue.JobWithdrawn(QUEUED.ref(), AT));
    m.put("JobQueueState.v1", new JobQueue.State(Map.of(QUEUED.ref(), QUEUED),
        Map.of("lease-1", new JobQueue.Lease("lease-1", QUEUED, "r-1", "runner-a", AT))));
    m.put("PipelineRegistered.v1", new RepoPipelines.PipelineRegistered("push:12:0:ci.yml",
        new RepoPipelines.Entry(42, "ci.yml", "ci", "refs/heads/main", "a".repeat(40), "push", AT)));
    return m;
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventAndSnapshotReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "pipeline", CURRENT);
  }

  @Test
  void messagesCrossNodesThroughKryo() {
    for (Object message : List.of(
        new Pipeline.Summary(INFO, "running", List.of(JOB), null),
        new Pipeline.JobWork(INFO, "test-1", "test", 1, "{\"node\":18}", "{}"),
        new JobQueue.Enqueue(QUEUED),
        new Pipeline.FinishJob("test-1", 1, "lease-1", Status.SUCCEEDED, new java.util.LinkedHashMap<>(Map.of("v", "1")),
            null, false, null),
        new JobQueue.Release("lease-1", true),
        new JobQueue.CancelPipeline("acme/web/42", List.of("lease-1")),
        new JobQueue.Assignment(new JobQueue.Lease("lease-1", QUEUED, "r-1", "runner-a", AT)),
        new JobQueue.StopJobs(List.of("lease-1"), "cancelled"),
        new JobQueue.RunnerList(List.of(new JobQueue.RunnerView("r-1", "runner-a", List.of("linux"), 2, List.of(), AT)),
            3),
        new RepoPipelines.Listing(List.of(new RepoPipelines.Entry(1, "ci.yml", "ci", "refs/heads/main", "a", "push",
            AT))))) {
      var serializer = serialization.findSerializerFor(message);
      assertEquals("KryoSerializer", serializer.getClass().getSimpleName(), message.getClass().getName());
      byte[] bytes = serialization.serialize(message).get();
      assertEquals(message,
          serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get());
    }
  }
}
