package dev.devflow.actors.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.actors.SerializationFixtures;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Flag events keep reading from their golden fixtures; commands and replies cross nodes through Kryo. */
class FlagSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");

  private static final Map<String, FeatureFlag.Event> CURRENT = Map.of(
      "FlagDefined.v1", new FeatureFlag.FlagDefined("acme", "new-checkout", FeatureFlagTest.ROLLOUT, 1, AT),
      "FlagToggled.v1", new FeatureFlag.FlagToggled(false, FeatureFlagTest.ROLLOUT.withEnabled(false), 2, AT),
      "FlagArchived.v1", new FeatureFlag.FlagArchived(3, AT));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "flag", CURRENT);
  }

  @Test
  void definitionsAndSummariesCrossNodesThroughKryo() {
    FeatureFlag.Summary s = new FeatureFlag.Summary("acme", "new-checkout", FeatureFlagTest.ROLLOUT, 4, true, AT, AT);
    var serializer = serialization.findSerializerFor(s);
    assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
    byte[] bytes = serialization.serialize(s).get();
    assertEquals(s, serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, s)).get());
  }
}
