package dev.devflow.actors.flag.unleash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Edge cases of the ported operators that the specification suite does not pin down. */
class SemverAndOperatorsTest {

  private static UnleashFeatures.Constraint c(String field, String op, String value, List<String> values) {
    return new UnleashFeatures.Constraint(field, op, values, value, false, false);
  }

  private static UnleashContext ctx(String field, String value) {
    return new UnleashContext(Map.of(), Map.of(field, value));
  }

  @Test
  void prereleasesSortBeforeTheirRelease() {
    Semver rc1 = Semver.parse("1.0.0-rc.1").orElseThrow();
    Semver rc2 = Semver.parse("1.0.0-rc.2").orElseThrow();
    Semver alpha10 = Semver.parse("1.0.0-alpha.10").orElseThrow();
    Semver alpha9 = Semver.parse("1.0.0-alpha.9").orElseThrow();
    Semver release = Semver.parse("1.0.0+build.5").orElseThrow();
    assertTrue(rc1.compareTo(rc2) < 0);
    assertTrue(rc2.compareTo(release) < 0);
    assertTrue(alpha9.compareTo(alpha10) < 0, "numeric identifiers compare as numbers");
    assertTrue(Semver.parse("1.0.0-1").orElseThrow().compareTo(Semver.parse("1.0.0-a").orElseThrow()) < 0);
    assertFalse(Semver.parse("1.2").isPresent());
    assertFalse(Semver.parse("01.2.3").isPresent());
  }

  @Test
  void numbersFollowJavaScript() {
    assertEquals(0.0, ConstraintOperators.jsNumber(" "));
    assertTrue(Double.isNaN(ConstraintOperators.jsNumber("1f")), "Java would read 1f; JavaScript does not");
    assertTrue(ConstraintOperators.matches(c("n", "NUM_GTE", "1e3", null), ctx("n", "1000")));
    assertFalse(ConstraintOperators.matches(c("n", "NUM_EQ", "5", null), ctx("m", "5")));
  }

  @Test
  void cidrAndRegex() {
    assertTrue(ConstraintOperators.matches(c("ip", "IN_CIDR", null, List.of("10.0.0.0/8")), ctx("ip", "10.1.2.3")));
    assertTrue(ConstraintOperators.matches(c("ip", "IN_CIDR", null, List.of("2001:db8::/32")), ctx("ip", "2001:db8::1")));
    assertFalse(ConstraintOperators.matches(c("ip", "IN_CIDR", null, List.of("10.0.0.0/8")), ctx("ip", "example.com")));
    assertTrue(ConstraintOperators.matches(c("u", "REGEX", "^[[:^digit:]]+$", null), ctx("u", "abc")));
    assertFalse(ConstraintOperators.matches(c("u", "REGEX", "(?<=a)b", null), ctx("u", "ab")), "look-behind is not RE2");
    assertTrue(ConstraintOperators.matches(c("u", "REGEX", "^a\\\\1$", null), ctx("u", "a\\1")), "an escaped backslash is not a backreference");
  }
}
