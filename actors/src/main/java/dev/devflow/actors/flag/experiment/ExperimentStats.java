package dev.devflow.actors.flag.experiment;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The statistics of an A/B experiment on a flag's variants: each variant's conversion rate, and for
 * every variant but the control its difference to the control with a 95 % confidence interval and
 * the two-sided p-value of the two-proportion z-test.
 *
 * <ul>
 *   <li>rate {@code p = converted / exposed} (none without exposures);
 *   <li>difference {@code d = p_variant - p_control};
 *   <li>interval {@code d ± 1.959964 · sqrt(p_v(1-p_v)/n_v + p_c(1-p_c)/n_c)} (Wald, unpooled
 *       standard error), clipped to [-1, 1];
 *   <li>p-value {@code erfc(|z| / √2)} with {@code z = d / sqrt(p(1-p)(1/n_v + 1/n_c))}, {@code p}
 *       the pooled rate of both arms (the null hypothesis: both rates are equal); 1 when both arms
 *       convert all or none of their users (nothing to tell apart).
 * </ul>
 *
 * <p>No comparison is made when either arm has no exposures. The Wald interval is the textbook one
 * and degenerates for rates of exactly 0 or 1 (a zero-width interval); the p-value, which uses the
 * pooled rate, does not.
 *
 * <p>Pure functions; thread-safe.
 */
public final class ExperimentStats {

  public static final String TEST = "two-proportion z-test";
  public static final double CONFIDENCE = 0.95;
  /** The 97.5 % quantile of the standard normal distribution (two-sided 95 %). */
  public static final double Z_975 = 1.959963984540054;
  /** The variant taken as control when none is named and one is called so. */
  public static final String CONTROL = "control";

  private static final double SQRT_PI = Math.sqrt(Math.PI);
  private static final double SQRT_2 = Math.sqrt(2);

  private ExperimentStats() {}

  /** One variant's users: those exposed to it, and those of them who converted. */
  public record Arm(String variant, long exposed, long converted) {
    public Arm {
      if (exposed < 0 || converted < 0 || converted > exposed) {
        throw new IllegalArgumentException(
            "variant " + variant + ": need 0 <= converted <= exposed, got " + converted + " of " + exposed);
      }
    }

    /** The conversion rate; empty without exposures. */
    public Optional<Double> rate() {
      return exposed == 0 ? Optional.empty() : Optional.of((double) converted / exposed);
    }
  }

  /** A variant against the control. */
  public record Comparison(double difference, double lower, double upper, double pValue) {}

  /** One variant's result; {@code comparison} is null for the control and when undefined. */
  public record VariantResult(Arm arm, Double conversionRate, Comparison comparison) {}

  /** Every variant's result, the control first, the others in the order given. */
  public record Results(String control, List<VariantResult> variants) {}

  /**
   * The results of {@code arms} against {@code control}. A control that is not among the arms is
   * added with no exposures (so nothing is compared to it).
   */
  public static Results compute(List<Arm> arms, String control) {
    Arm c = arms.stream().filter(a -> a.variant().equals(control)).findFirst()
        .orElse(new Arm(control, 0, 0));
    List<VariantResult> out = new ArrayList<>(arms.size() + 1);
    out.add(new VariantResult(c, c.rate().orElse(null), null));
    for (Arm a : arms) {
      if (!a.variant().equals(control)) {
        out.add(new VariantResult(a, a.rate().orElse(null), compare(c, a).orElse(null)));
      }
    }
    return new Results(control, List.copyOf(out));
  }

  /**
   * The control when the caller names none: the variant called {@value #CONTROL} if there is one,
   * else the one with the most exposed users (ties: the first name in alphabetical order); empty
   * without arms.
   */
  public static Optional<String> defaultControl(List<Arm> arms) {
    if (arms.stream().anyMatch(a -> a.variant().equals(CONTROL))) {
      return Optional.of(CONTROL);
    }
    return arms.stream()
        .min(Comparator.comparingLong(Arm::exposed).reversed().thenComparing(Arm::variant))
        .map(Arm::variant);
  }

  /** {@code variant} against {@code control}; empty when either has no exposures. */
  public static Optional<Comparison> compare(Arm control, Arm variant) {
    if (control.exposed() == 0 || variant.exposed() == 0) {
      return Optional.empty();
    }
    double nc = control.exposed();
    double nv = variant.exposed();
    double pc = control.converted() / nc;
    double pv = variant.converted() / nv;
    double d = pv - pc;
    double wald = Math.sqrt(pc * (1 - pc) / nc + pv * (1 - pv) / nv);
    double pooled = (control.converted() + variant.converted()) / (nc + nv);
    double se = Math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nv));
    double pValue = se == 0 ? 1.0 : Math.min(1.0, erfc(Math.abs(d / se) / SQRT_2));
    return Optional.of(new Comparison(
        d, Math.max(-1, d - Z_975 * wald), Math.min(1, d + Z_975 * wald), pValue));
  }

  /** The standard normal cumulative distribution function. */
  public static double normalCdf(double z) {
    return 0.5 * erfc(-z / SQRT_2);
  }

  /**
   * The complementary error function, to about 1e-14 relative: Taylor's series of erf (all terms
   * positive, so no cancellation) below 2.5, the continued fraction of erfc (Lentz) from 2.5 on,
   * where 1 - erf would lose the digits that matter for small p-values.
   */
  public static double erfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x < 0) {
      return 2 - erfc(-x);
    }
    if (x < 2.5) {
      return 1 - erfSeries(x);
    }
    return erfcContinuedFraction(x);
  }

  /** erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)). */
  private static double erfSeries(double x) {
    double x2 = x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= 2 * x2 / (2 * n + 1);
      sum += term;
    }
    return 2 / SQRT_PI * Math.exp(-x2) * sum;
  }

  /** erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), for x ≥ 2.5. */
  private static double erfcContinuedFraction(double x) {
    double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0;
    for (int n = 1; n < 1000; n++) {
      double a = n / 2.0;
      d = x + a * d;
      d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
      c = x + a / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) {
        break;
      }
    }
    return Math.exp(-x * x) / (SQRT_PI * f);
  }
}
