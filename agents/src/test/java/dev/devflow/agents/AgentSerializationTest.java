package dev.devflow.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.actors.SerializationFixtures;
import dev.devflow.agents.review.Review;
import dev.devflow.agents.review.ReviewComment;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Agent events keep reading from their golden fixtures; commands and replies cross nodes through Kryo. */
class AgentSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-27T10:00:00Z");
  static final AgentConfig CONFIG = new AgentConfig("reviewer", "site", "gpt-4o-mini", "Be brief.", 5.0);
  static final ReviewTask TASK = new ReviewTask("push:41:0", "site", "refs/heads/main", "a".repeat(40), "b".repeat(40), AT);

  private static final Map<String, Agent.Event> CURRENT = Map.of(
      "AgentConfigured.v1", new Agent.AgentConfigured("acme", "reviewer", CONFIG, AT),
      "TaskStarted.v1", new Agent.TaskStarted(TASK, AT),
      "ReviewPosted.v1", new Agent.ReviewPosted(TASK.id(), "site", "refs/heads/main", TASK.before(), TASK.after(),
          new Review("Looks fine.", List.of(new ReviewComment("app.py", 3, "warning", "Unused import."))), 2,
          "gpt-4o-mini", 0.0012, AT),
      "TaskFailed.v1", new Agent.TaskFailed(TASK.id(), "monthly budget spent", 0.0, AT),
      "StatusChanged.v1", new Agent.StatusChanged(AgentStatus.PAUSED_BUDGET, "monthly budget spent", AT));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "agent", CURRENT);
  }

  @Test
  void commandsAndRepliesCrossNodesThroughKryo() {
    Agent.Summary s = new Agent.Summary("acme", "reviewer", CONFIG, "idle", null, 0, 1, 0,
        List.of(TaskRecord.running(TASK, AT).finished("posted", null, 0.001, AT)), true, AT, AT);
    for (Object message : List.of(s, TASK, CONFIG)) {
      var serializer = serialization.findSerializerFor(message);
      assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
      byte[] bytes = serialization.serialize(message).get();
      assertEquals(message, serialization.deserialize(bytes, serializer.identifier(),
          Serializers.manifestFor(serializer, message)).get());
    }
  }
}
