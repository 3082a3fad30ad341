package dev.devflow.actors.flag.unleash;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * Unleash's client API document ({@code GET /api/client/features}) as records, with Unleash's
 * field names, so the same JSON goes to SDKs, comes from Unleash's specification suite, and is
 * what {@link UnleashEvaluator} evaluates. Unknown fields are ignored (newer servers add some).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UnleashFeatures(Integer version, List<Feature> features, List<Segment> segments) {

  public UnleashFeatures {
    features = features == null ? List.of() : features;
    segments = segments == null ? List.of() : segments;
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Feature(
      String name, String type, String project, String description, boolean enabled, Boolean stale,
      Boolean impressionData, List<Strategy> strategies, List<Variant> variants, List<Dependency> dependencies) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Strategy(
      String name, Map<String, String> parameters, List<Constraint> constraints, List<Integer> segments,
      List<Variant> variants) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Constraint(
      String contextName, String operator, List<String> values, String value, boolean inverted,
      boolean caseInsensitive) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Variant(
      String name, int weight, String weightType, String stickiness, Payload payload, List<Override> overrides) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Payload(String type, String value) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Override(String contextName, List<String> values) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Segment(int id, String name, List<Constraint> constraints) {}

  /** A parent the feature depends on; {@code enabled} null means true. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Dependency(String feature, Boolean enabled, List<String> variants) {}
}
