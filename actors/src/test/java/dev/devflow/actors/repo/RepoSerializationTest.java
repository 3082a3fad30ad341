package dev.devflow.actors.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.actors.SerializationFixtures;
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

/** Repository events keep reading from their golden fixtures; replies cross nodes through Kryo. */
class RepoSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization =
      SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");
  private static final Repo.CommitInfo COMMIT =
      new Repo.CommitInfo("1".repeat(40), "Dev <dev@example.com>", AT, "add a.txt");

  private static final Map<String, Repo.Event> CURRENT = Map.of(
      "RepositoryCreated.v1", new Repo.RepositoryCreated("acme", "web", "main", "the site", "private", AT),
      "RefsUpdated.v1", new Repo.RefsUpdated(List.of(
          new Repo.RefChange("refs/heads/main", null, "1".repeat(40), List.of(COMMIT), 1),
          new Repo.RefChange("refs/heads/old", "2".repeat(40), null, List.of(), 0)), AT),
      "RepositoryDeleted.v1", new Repo.RepositoryDeleted(AT),
      "SettingsChanged.v1", new Repo.SettingsChanged("the site", "internal", List.of("main", "release/*"), AT));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "repo", CURRENT);
  }

  @Test
  void summariesCrossNodesThroughKryo() {
    Repo.Summary s = new Repo.Summary("acme", "web", "main", null, "private", List.of("refs/heads/main"),
        Map.of("refs/heads/main", "1".repeat(40)), AT);
    var serializer = serialization.findSerializerFor(s);
    assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
    byte[] bytes = serialization.serialize(s).get();
    assertEquals(s, serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, s)).get());
  }
}
