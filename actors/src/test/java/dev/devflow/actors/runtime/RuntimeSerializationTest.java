package dev.devflow.actors.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every runtime message crosses nodes through Kryo (ids 1600-1649 in reference.conf). */
class RuntimeSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void messagesCrossNodesThroughKryo() {
    InstanceSpec spec = new InstanceSpec("web-3-a", "acme", "web-app", 3, "web", "python3 app.py", "ab".repeat(32),
        Map.of("DATABASE_URL", "postgres://x"), "/healthz", 30, List.of("secret"));
    InstanceSpec worker = new InstanceSpec("worker-3-a", "acme", "web-app", 3, "worker", "python3 w.py", "ab".repeat(32),
        Map.of(), null, 30, List.of());
    ActorRef<InstanceEvent> events = testKit.<InstanceEvent>createTestProbe().getRef();
    ActorRef<RuntimeSupervisor.InstanceList> lists = testKit.<RuntimeSupervisor.InstanceList>createTestProbe().getRef();
    for (Object message : List.of(spec, worker,
        new InstanceEvent.Healthy("web-3-a", "node-a", 51234, 4242, 1),
        new InstanceEvent.Crashed("web-3-a", 137, 0, "exited with code 137 (signal 9)"),
        new InstanceEvent.Failed("web-3-a", "crash loop"),
        new InstanceEvent.Stopped("web-3-a"),
        new RuntimeSupervisor.StartInstance(spec, events),
        new RuntimeSupervisor.StopInstance("web-3-a", Duration.ofSeconds(10)),
        new RuntimeSupervisor.ListInstances(lists),
        new RuntimeSupervisor.InstanceList(List.of(new RuntimeSupervisor.InstanceView("web-3-a", "acme", "web-app", 3,
            "web", "healthy", 4242, 51234, 1))))) {
      var serializer = serialization.findSerializerFor(message);
      assertEquals("KryoSerializer", serializer.getClass().getSimpleName(), message.getClass().getName());
      byte[] bytes = serialization.serialize(message).get();
      assertEquals(message,
          serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get());
    }
  }
}
