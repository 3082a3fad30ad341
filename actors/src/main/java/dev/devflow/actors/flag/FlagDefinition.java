package dev.devflow.actors.flag;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.util.List;
import java.util.Map;

/**
 * A flag's definition as the API takes it (API.md "Feature flags") and the journal keeps it. The
 * strategy, constraint and variant fields have Unleash's names and meanings, so the same JSON is
 * what Unleash SDKs read from {@code /api/client/features} (after the plan gate).
 *
 * <p>This is DevFlow's persisted contract; the evaluator's model of Unleash's wire format
 * ({@code flag.eval}) is converted from it by field name, so either can evolve.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlagDefinition(
    boolean enabled, String description, String minPlan, List<Strategy> strategies, List<Variant> variants)
    implements CrossNodeMessage, StoredJson {

  public FlagDefinition {
    strategies = strategies == null ? List.of() : List.copyOf(strategies);
    variants = variants == null ? List.of() : List.copyOf(variants);
  }

  /** The same definition switched on or off. */
  public FlagDefinition withEnabled(boolean on) {
    return new FlagDefinition(on, description, minPlan, strategies, variants);
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Strategy(
      String name, Map<String, String> parameters, List<Constraint> constraints, List<Variant> variants,
      List<Integer> segments)
      implements CrossNodeMessage, StoredJson {
    public Strategy {
      parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
      constraints = constraints == null ? List.of() : List.copyOf(constraints);
      variants = variants == null ? List.of() : List.copyOf(variants);
      segments = segments == null ? List.of() : List.copyOf(segments);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Constraint(
      String contextName, String operator, List<String> values, String value, Boolean inverted,
      Boolean caseInsensitive)
      implements CrossNodeMessage, StoredJson {
    public Constraint {
      values = values == null ? List.of() : List.copyOf(values);
      inverted = Boolean.TRUE.equals(inverted);
      caseInsensitive = Boolean.TRUE.equals(caseInsensitive);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  /** {@code weight} is required (the API refuses a variant without one). */
  public record Variant(
      String name, Integer weight, String weightType, String stickiness, Payload payload, List<Override> overrides)
      implements CrossNodeMessage, StoredJson {
    public Variant {
      overrides = overrides == null ? List.of() : List.copyOf(overrides);
    }
  }

  public record Payload(String type, String value) implements CrossNodeMessage, StoredJson {}

  public record Override(String contextName, List<String> values) implements CrossNodeMessage, StoredJson {
    public Override {
      values = values == null ? List.of() : List.copyOf(values);
    }
  }
}
