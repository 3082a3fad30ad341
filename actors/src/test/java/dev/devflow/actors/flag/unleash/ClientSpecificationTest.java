package dev.devflow.actors.flag.unleash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of Unleash's own client specification suite (the npm package
 * {@code @unleash/client-specification}, installed here by {@code npm ci}, never copied) run
 * against {@link UnleashEvaluator}: {@code tests} through {@code isEnabled}, {@code variantTests}
 * through {@code getVariant}. Delta-API files give events, applied as an SDK applies them.
 */
class ClientSpecificationTest {

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Path DIR = Path.of("src/test/unleash-spec");
  private static Path specs;

  @BeforeAll
  static void install() throws Exception {
    specs = DIR.resolve("node_modules/@unleash/client-specification/specifications");
    if (!Files.isDirectory(specs)) {
      Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
          .directory(DIR.toFile()).redirectErrorStream(true).start();
      String out = new String(npm.getInputStream().readAllBytes());
      if (!npm.waitFor(300, TimeUnit.SECONDS) || npm.exitValue() != 0) {
        throw new IllegalStateException("npm ci failed: " + out);
      }
    }
  }

  @TestFactory
  Stream<DynamicNode> everySpecificationCase() throws IOException {
    JsonNode index = JSON.readTree(specs.resolve("index.json").toFile());
    List<DynamicNode> files = new ArrayList<>();
    for (JsonNode name : index) {
      JsonNode spec = JSON.readTree(specs.resolve(name.asText()).toFile());
      FeatureSet set = new FeatureSet(state(spec.get("state")));
      List<DynamicNode> cases = new ArrayList<>();
      for (JsonNode t : spec.path("tests")) {
        cases.add(DynamicTest.dynamicTest(t.get("description").asText(), () ->
            assertEquals(t.get("expectedResult").asBoolean(),
                UnleashEvaluator.isEnabled(set, t.get("toggleName").asText(), context(t.get("context"))))));
      }
      for (JsonNode t : spec.path("variantTests")) {
        cases.add(DynamicTest.dynamicTest(t.get("description").asText(), () -> {
          VariantResult got = UnleashEvaluator.getVariant(set, t.get("toggleName").asText(), context(t.get("context")));
          JsonNode want = t.get("expectedResult");
          assertEquals(want.get("name").asText(), got.name(), "name");
          assertEquals(want.get("enabled").asBoolean(), got.enabled(), "enabled");
          assertEquals(want.path("feature_enabled").asBoolean(want.path("featureEnabled").asBoolean()),
              got.featureEnabled(), "feature_enabled");
          JsonNode payload = want.get("payload");
          assertEquals(payload == null ? null : JSON.treeToValue(payload, UnleashFeatures.Payload.class), got.payload(),
              "payload");
        }));
      }
      files.add(DynamicContainer.dynamicContainer(name.asText(), cases));
    }
    return files.stream();
  }

  /** A full state, or delta events applied in order as an SDK applies them. */
  private static UnleashFeatures state(JsonNode state) throws IOException {
    if (!state.has("events")) {
      return JSON.treeToValue(state, UnleashFeatures.class);
    }
    Map<String, UnleashFeatures.Feature> features = new LinkedHashMap<>();
    Map<Integer, UnleashFeatures.Segment> segments = new LinkedHashMap<>();
    for (JsonNode e : state.get("events")) {
      switch (e.get("type").asText()) {
        case "hydration" -> {
          features.clear();
          segments.clear();
          for (JsonNode f : e.path("features")) {
            features.put(f.get("name").asText(), JSON.treeToValue(f, UnleashFeatures.Feature.class));
          }
          for (JsonNode s : e.path("segments")) {
            segments.put(s.get("id").asInt(), JSON.treeToValue(s, UnleashFeatures.Segment.class));
          }
        }
        case "feature-updated" -> features.put(e.get("feature").get("name").asText(),
            JSON.treeToValue(e.get("feature"), UnleashFeatures.Feature.class));
        case "feature-removed" -> features.remove(e.get("featureName").asText());
        case "segment-updated" -> segments.put(e.get("segment").get("id").asInt(),
            JSON.treeToValue(e.get("segment"), UnleashFeatures.Segment.class));
        case "segment-removed" -> segments.remove(e.get("segmentId").asInt());
        default -> throw new IllegalStateException("unknown delta event " + e);
      }
    }
    return new UnleashFeatures(2, new ArrayList<>(features.values()), new ArrayList<>(segments.values()));
  }

  /** The spec's context object: top-level fields and {@code properties}, values as strings. */
  private static UnleashContext context(JsonNode c) {
    Map<String, String> fields = new HashMap<>();
    Map<String, String> properties = new HashMap<>();
    if (c != null) {
      c.fields().forEachRemaining(e -> {
        if (e.getKey().equals("properties")) {
          e.getValue().fields().forEachRemaining(p -> {
            if (!p.getValue().isNull()) {
              properties.put(p.getKey(), p.getValue().asText());
            }
          });
        } else if (!e.getValue().isNull()) {
          fields.put(e.getKey(), e.getValue().asText());
        }
      });
    }
    return new UnleashContext(fields, properties);
  }
}
