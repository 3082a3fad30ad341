package dev.devflow.actors.deploy;

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

/** App events keep reading from their golden fixtures; its commands and replies cross nodes through Kryo. */
class AppSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-27T10:00:00Z");
  static final AppConfig CONFIG = new AppConfig("site", "main", 2, Map.of("GREETING", "hello"), null, false);
  static final Release RELEASE = new Release(3, "c".repeat(40), Release.LIVE, null, 7L, "a".repeat(64),
      Map.of("web", "python3 app.py"), "/health", 30, Map.of("GREETING", "hello"), Map.of("MODE", "prod"), 1, AT, AT);
  static final InstanceInfo INSTANCE = new InstanceInfo("acme.site.r3.web.1a2b3c", 3, "web", "10.0.0.7", 40123, 812,
      "healthy", 1, null);

  private static final Map<String, App.Event> CURRENT = Map.of(
      "AppCreated.v1", new App.AppCreated("acme", "site", CONFIG, AT),
      "AppUpdated.v1", new App.AppUpdated(CONFIG.withInstances(3), AT),
      "ReleaseCreated.v1", new App.ReleaseCreated(RELEASE, "push:41:0"),
      "ReleaseBuildStarted.v1", new App.ReleaseBuildStarted(3, 7, AT),
      "ReleaseBuilt.v1", new App.ReleaseBuilt(3, "a".repeat(64), Map.of("web", "python3 app.py", "worker", "python3 w.py"),
          "/health", 30, Map.of("MODE", "prod"), AT),
      "ReleaseFailed.v1", new App.ReleaseFailed(3, "no Procfile", AT),
      "ReleaseLive.v1", new App.ReleaseLive(3, 2, true, AT),
      "InstanceStarted.v1", new App.InstanceStarted(INSTANCE, AT),
      "InstanceFailed.v1", new App.InstanceFailed(INSTANCE.with("failed", "crash loop"), AT),
      "AppDeleted.v1", new App.AppDeleted(AT));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "app", CURRENT);
  }

  @Test
  void repliesAndRouteUpdatesCrossNodesThroughKryo() {
    App.Summary s = new App.Summary("acme", "site", CONFIG, 3, 0, List.of(RELEASE), List.of(INSTANCE), false, AT);
    RouteUpdate u = new RouteUpdate("acme", "site", new AppEndpoints(List.of(new Endpoint("10.0.0.7", 40123)), false, 9));
    for (Object message : List.of(s, u, RELEASE, CONFIG)) {
      var serializer = serialization.findSerializerFor(message);
      assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
      byte[] bytes = serialization.serialize(message).get();
      assertEquals(message, serialization.deserialize(bytes, serializer.identifier(),
          Serializers.manifestFor(serializer, message)).get());
    }
  }
}
