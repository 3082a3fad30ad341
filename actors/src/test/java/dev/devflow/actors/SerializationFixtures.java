package dev.devflow.actors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializers;

/**
 * Golden serialized events: each fixture in {@code serialization/<entity>/} holds bytes a
 * serializer wrote (serializer id, manifest, payload) and is never edited; a new shape gets a new
 * fixture. Run a fixture test with {@code -Ddevflow.fixtures.write=<dir>} to write the missing ones.
 */
public final class SerializationFixtures {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SerializationFixtures() {}

  /** Writes missing fixtures when asked to, else checks every fixture reads as its value. */
  public static void verify(Serialization serialization, String entity, Map<String, ?> current)
      throws IOException {
    String dir = System.getProperty("devflow.fixtures.write");
    for (var e : current.entrySet()) {
      if (dir != null) {
        write(serialization, Path.of(dir, e.getKey() + ".json"), e.getValue());
      } else if (!e.getValue().equals(read(serialization, entity, e.getKey()))) {
        throw new AssertionError(entity + "/" + e.getKey() + " no longer reads as " + e.getValue());
      }
    }
  }

  public static Object read(Serialization serialization, String entity, String fixture) throws IOException {
    String resource = "/serialization/" + entity + "/" + fixture + ".json";
    try (InputStream in = SerializationFixtures.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("missing fixture " + resource);
      }
      JsonNode node = JSON.readTree(in);
      byte[] payload = JSON.writeValueAsBytes(node.get("payload"));
      return serialization.deserialize(payload, node.get("serializerId").asInt(), node.get("manifest").asText()).get();
    }
  }

  private static void write(Serialization serialization, Path file, Object value) throws IOException {
    if (Files.exists(file)) {
      return;
    }
    var s = serialization.findSerializerFor(value);
    ObjectNode node = JSON.createObjectNode();
    node.put("serializerId", s.identifier());
    node.put("manifest", Serializers.manifestFor(s, value));
    node.set("payload", JSON.readTree(new String(serialization.serialize(value).get(), StandardCharsets.UTF_8)));
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
  }
}
