package dev.devflow.actors.flag.unleash;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What {@code getVariant} answers, as the SDKs do: the variant (or {@code disabled}), whether it is
 * enabled, its payload, and whether the feature itself was on.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VariantResult(
    String name, boolean enabled, UnleashFeatures.Payload payload, @JsonProperty("feature_enabled") boolean featureEnabled) {

  public static final String DISABLED = "disabled";

  static VariantResult disabled(boolean featureEnabled) {
    return new VariantResult(DISABLED, false, null, featureEnabled);
  }
}
