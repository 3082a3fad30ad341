package dev.devflow.actors.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.actors.webhook.WebhookDispatcher;
import dev.devflow.persistence.feed.FeedRecord;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The feed's and webhooks' cross-node messages go through Kryo and come back equal. */
class FeedSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void publishedBatches() {
    roundTrip(new FeedHub.Publish(List.of(
        new FeedRecord("acme", 7, "repo.created", "{\"tenant\":\"acme\"}", Instant.parse("2026-11-26T10:00:00Z")))));
  }

  @Test
  void webhookChanges() {
    roundTrip(new WebhookDispatcher.Changed("acme", "ci"));
  }

  private static void roundTrip(Object message) {
    var serializer = serialization.findSerializerFor(message);
    assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
    byte[] bytes = serialization.serialize(message).get();
    assertEquals(message,
        serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get());
  }
}
