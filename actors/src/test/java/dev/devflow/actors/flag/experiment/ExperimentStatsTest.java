package dev.devflow.actors.flag.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.actors.flag.experiment.ExperimentStats.Arm;
import dev.devflow.actors.flag.experiment.ExperimentStats.Comparison;
import dev.devflow.actors.flag.experiment.ExperimentStats.Results;
import dev.devflow.actors.flag.experiment.ExperimentStats.VariantResult;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The experiment maths against answers computed independently with Python's {@code math} module
 * (rates, Wald interval, pooled z and {@code math.erfc} for the p-value), and its edge cases.
 */
class ExperimentStatsTest {

  static final double EXACT = 1e-12;

  /**
   * Synthetic experiment: control 1,000 of 10,000 users converted (10 %), blue 1,100 of 10,000
   * (11 %), green 450 of 5,000 (9 %). Expected values from Python:
   *
   * <pre>
   * pc, pv = xc/nc, xv/nv; d = pv - pc
   * se = sqrt(pc*(1-pc)/nc + pv*(1-pv)/nv); lo, hi = d - 1.959963984540054*se, d + 1.959963984540054*se
   * p = (xc+xv)/(nc+nv); z = d / sqrt(p*(1-p)*(1/nc+1/nv)); pvalue = math.erfc(abs(z)/math.sqrt(2))
   * </pre>
   */
  @Test
  void aSyntheticExperimentHasTheKnownAnswer() {
    Results r = ExperimentStats.compute(
        List.of(new Arm("blue", 10_000, 1_100), new Arm("control", 10_000, 1_000), new Arm("green", 5_000, 450)),
        "control");
    assertEquals("control", r.control());
    assertEquals(List.of("control", "blue", "green"), r.variants().stream().map(v -> v.arm().variant()).toList());

    VariantResult control = r.variants().get(0);
    assertEquals(0.10, control.conversionRate(), EXACT);
    assertNull(control.comparison());

    VariantResult blue = r.variants().get(1);
    assertEquals(0.11, blue.conversionRate(), EXACT);
    Comparison b = blue.comparison();
    assertEquals(0.009999999999999995, b.difference(), EXACT);
    assertEquals(0.001504059131512114, b.lower(), EXACT);
    assertEquals(0.018495940868487874, b.upper(), EXACT);
    assertEquals(0.02107518927379784, b.pValue(), 1e-12);      // z = 2.3066347738170103

    VariantResult green = r.variants().get(2);
    assertEquals(0.09, green.conversionRate(), EXACT);
    Comparison g = green.comparison();
    assertEquals(-0.010000000000000009, g.difference(), EXACT);
    assertEquals(-0.01987401766603732, g.lower(), EXACT);
    assertEquals(-0.00012598233396269795, g.upper(), EXACT);
    assertEquals(0.05072653613630456, g.pValue(), 1e-12);      // z = -1.9537859535030628
  }

  @Test
  void significanceAgreesWithTheInterval() {
    // The Wald interval and the pooled test differ slightly, but on this data both say the same.
    Results r = ExperimentStats.compute(
        List.of(new Arm("control", 10_000, 1_000), new Arm("blue", 10_000, 1_100), new Arm("green", 5_000, 450)),
        "control");
    Comparison blue = r.variants().get(1).comparison();
    Comparison green = r.variants().get(2).comparison();
    assertTrue(blue.pValue() < 0.05 && blue.lower() > 0);
    assertTrue(green.pValue() > 0.05, "green is not significant at 5 %");
  }

  @Test
  void identicalArmsDifferByNothing() {
    Comparison c = ExperimentStats.compare(new Arm("control", 1000, 50), new Arm("b", 1000, 50)).orElseThrow();
    assertEquals(0.0, c.difference(), 0);
    assertEquals(1.0, c.pValue(), EXACT);
    assertEquals(-0.019103365880544242, c.lower(), EXACT);
    assertEquals(0.019103365880544242, c.upper(), EXACT);
  }

  @Test
  void noConversionsAnywhereAndAllConversionsEverywhereAreNotSignificant() {
    Comparison none = ExperimentStats.compare(new Arm("control", 500, 0), new Arm("b", 700, 0)).orElseThrow();
    assertEquals(new Comparison(0, 0, 0, 1.0), none);
    Comparison all = ExperimentStats.compare(new Arm("control", 500, 500), new Arm("b", 700, 700)).orElseThrow();
    assertEquals(new Comparison(0, 0, 0, 1.0), all);
  }

  @Test
  void zeroAgainstHundredPercentIsAZeroWidthWaldIntervalButATinyPValue() {
    // Python: pooled p = 30/50, z = 7.0710678118654755, math.erfc(z/sqrt(2)) = 1.5374597944280351e-12
    Comparison c = ExperimentStats.compare(new Arm("control", 20, 0), new Arm("b", 30, 30)).orElseThrow();
    assertEquals(1.0, c.difference(), EXACT);
    assertEquals(1.0, c.lower(), EXACT);
    assertEquals(1.0, c.upper(), EXACT);
    assertEquals(1.5374597944280351e-12, c.pValue(), 1.5374597944280351e-12 * 1e-9);
  }

  @Test
  void theIntervalStaysWithinMinusOneAndOne() {
    Comparison c = ExperimentStats.compare(new Arm("control", 2, 0), new Arm("b", 2, 2)).orElseThrow();
    assertTrue(c.lower() >= -1 && c.upper() <= 1);
    Comparison tiny = ExperimentStats.compare(new Arm("control", 3, 1), new Arm("b", 2, 2)).orElseThrow();
    assertTrue(tiny.lower() >= -1 && tiny.upper() <= 1, tiny.toString());
  }

  @Test
  void zeroExposuresHaveNoRateAndNoComparison() {
    assertEquals(Optional.empty(), ExperimentStats.compare(new Arm("control", 0, 0), new Arm("b", 10, 1)));
    assertEquals(Optional.empty(), ExperimentStats.compare(new Arm("control", 10, 1), new Arm("b", 0, 0)));
    Results r = ExperimentStats.compute(List.of(new Arm("b", 10, 1)), "control");
    assertEquals(2, r.variants().size());
    VariantResult control = r.variants().get(0);
    assertEquals(new Arm("control", 0, 0), control.arm());
    assertNull(control.conversionRate());
    assertNull(r.variants().get(1).comparison());
    assertEquals(0.1, r.variants().get(1).conversionRate(), EXACT);
  }

  @Test
  void noArmsAtAll() {
    Results r = ExperimentStats.compute(List.of(), "control");
    assertEquals(1, r.variants().size());
    assertEquals(Optional.empty(), ExperimentStats.defaultControl(List.of()));
  }

  @Test
  void theDefaultControlIsCalledControlElseTheMostExposed() {
    assertEquals(Optional.of("control"), ExperimentStats.defaultControl(
        List.of(new Arm("a", 900, 1), new Arm("control", 10, 1))));
    assertEquals(Optional.of("b"), ExperimentStats.defaultControl(
        List.of(new Arm("a", 100, 1), new Arm("b", 900, 1), new Arm("c", 900, 1))));
  }

  @Test
  void impossibleCountsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Arm("a", 10, 11));
    assertThrows(IllegalArgumentException.class, () -> new Arm("a", -1, 0));
  }

  /** Reference values: Python's {@code math.erfc}. */
  @Test
  void erfcMatchesPythonToTwelveDigits() {
    double[][] cases = {
        {0, 1.0}, {1e-10, 0.999999999887162}, {0.1, 0.8875370839817152}, {0.5, 0.4795001221869535},
        {1, 0.15729920705028513}, {1.5, 0.033894853524689274}, {2, 0.004677734981047265},
        {2.4999, 0.0004071699003334514}, {2.5, 0.0004069520174449589}, {2.5001, 0.0004067342434706798},
        {3, 2.2090496998585438e-05}, {4, 1.541725790028002e-08}, {5, 1.5374597944280351e-12},
        {6, 2.1519736712498916e-17}, {8, 1.1224297172982928e-29}, {10, 2.088487583762545e-45},
        {15, 7.212994172451206e-100}, {20, 5.3958656116079005e-176}, {26, 5.663192408856143e-296},
        {-0.5, 1.5204998778130465}, {-2, 1.9953222650189528}, {-6, 2.0},
    };
    for (double[] c : cases) {
      double got = ExperimentStats.erfc(c[0]);
      assertEquals(c[1], got, Math.abs(c[1]) * 1e-12, "erfc(" + c[0] + ")");
    }
    assertEquals(0.0, ExperimentStats.erfc(40), 0);
    assertEquals(2.0, ExperimentStats.erfc(-40), 0);
  }

  @Test
  void theNormalCdfIsSymmetricAndKnowsItsQuantile() {
    assertEquals(0.5, ExperimentStats.normalCdf(0), EXACT);
    assertEquals(0.975, ExperimentStats.normalCdf(ExperimentStats.Z_975), 1e-15);
    assertEquals(0.025, ExperimentStats.normalCdf(-ExperimentStats.Z_975), 1e-15);
    for (double z = -8; z <= 8; z += 0.37) {
      assertEquals(1.0, ExperimentStats.normalCdf(z) + ExperimentStats.normalCdf(-z), 1e-15);
    }
  }
}
