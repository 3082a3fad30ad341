package dev.devflow.actors.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The routing table's cross-node messages go through Kryo and come back equal. */
class DeploySerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void endpoints() {
    roundTrip(new Endpoint("10.0.0.1", 8001));
    roundTrip(new AppEndpoints(List.of(new Endpoint("10.0.0.1", 8001), new Endpoint("10.0.0.2", 8002)), true, 7));
    roundTrip(new AppEndpoints(List.of(), false, 0));
  }

  private static void roundTrip(Object message) {
    var serializer = serialization.findSerializerFor(message);
    assertEquals("KryoSerializer", serializer.getClass().getSimpleName());
    byte[] bytes = serialization.serialize(message).get();
    assertEquals(message,
        serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get());
  }
}
