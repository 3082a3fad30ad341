package dev.devflow.actors.flag;

import dev.devflow.actors.flag.unleash.FeatureSet;
import dev.devflow.actors.flag.unleash.UnleashContext;
import dev.devflow.actors.flag.unleash.UnleashEvaluator;
import dev.devflow.actors.flag.unleash.UnleashFeatures;
import dev.devflow.actors.flag.unleash.VariantResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server-side evaluation for the evaluate API and Unleash's frontend API: this node's catalog,
 * the plan gate, Unleash's semantics. Never asks an entity. Each user who gets a variant of a
 * flag is reported to the {@link ExposureSink} (A/B results).
 *
 * <p>Thread-safe.
 */
public final class FlagEvaluation {

  /** One flag's answer; {@code variant} is {@code disabled} when the flag has none for the user. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Result(boolean enabled, String variant, UnleashFeatures.Payload payload) {}

  /** Receives exposures; must not block (called on every evaluation). */
  public interface ExposureSink {
    void exposed(String tenant, String flag, String variant, String userId);

    ExposureSink NONE = (t, f, v, u) -> { };
  }

  private final FlagCatalog catalog;
  private final ExposureSink exposures;

  public FlagEvaluation(FlagCatalog catalog, ExposureSink exposures) {
    this.catalog = catalog;
    this.exposures = exposures;
  }

  /** Evaluates {@code keys} (all the tenant's flags when null); unknown keys are off. */
  public Map<String, Result> evaluate(String tenant, UnleashContext ctx, List<String> keys) {
    FeatureSet set = catalog.of(tenant).clientFeatures();
    List<String> names = keys != null ? keys : set.all().stream().map(UnleashFeatures.Feature::name).toList();
    Map<String, Result> out = new LinkedHashMap<>();
    String userId = ctx.field("userId");
    for (String name : names) {
      VariantResult v = UnleashEvaluator.getVariant(set, name, ctx);
      boolean enabled = v.featureEnabled();
      out.put(name, new Result(enabled, v.name(), v.payload()));
      if (enabled && v.enabled() && userId != null) {
        exposures.exposed(tenant, name, v.name(), userId);
      }
    }
    return out;
  }
}
