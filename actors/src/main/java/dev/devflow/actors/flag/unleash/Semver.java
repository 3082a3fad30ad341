package dev.devflow.actors.flag.unleash;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Semantic versions compared as node-semver compares them (the Unleash SDKs' library):
 * {@code MAJOR.MINOR.PATCH}, optional {@code -pre.release} and {@code +build} (ignored in
 * comparisons); a pre-release sorts before its release; numeric identifiers compare as numbers and
 * before alphanumeric ones.
 */
public record Semver(long major, long minor, long patch, List<String> prerelease) implements Comparable<Semver> {

  private static final String NUM = "(0|[1-9]\\d*)";
  private static final String PRE_ID = "(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)";
  private static final Pattern FULL = Pattern.compile(
      "^v?" + NUM + "\\." + NUM + "\\." + NUM
          + "(?:-(" + PRE_ID + "(?:\\." + PRE_ID + ")*))?"
          + "(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$");

  /** Parses as node-semver's {@code valid} does (surrounding spaces and a leading {@code v} allowed). */
  public static Optional<Semver> parse(String s) {
    if (s == null) {
      return Optional.empty();
    }
    String t = s.trim();
    if (t.length() > 256) {
      return Optional.empty();
    }
    Matcher m = FULL.matcher(t);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      List<String> pre = m.group(4) == null ? List.of() : List.of(m.group(4).split("\\."));
      return Optional.of(new Semver(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3)), new ArrayList<>(pre)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public int compareTo(Semver o) {
    int c = Long.compare(major, o.major);
    if (c == 0) {
      c = Long.compare(minor, o.minor);
    }
    if (c == 0) {
      c = Long.compare(patch, o.patch);
    }
    if (c != 0) {
      return c;
    }
    if (prerelease.isEmpty() || o.prerelease.isEmpty()) {
      return Boolean.compare(prerelease.isEmpty(), o.prerelease.isEmpty());
    }
    for (int i = 0; ; i++) {
      if (i >= prerelease.size() && i >= o.prerelease.size()) {
        return 0;
      }
      if (i >= prerelease.size()) {
        return -1;
      }
      if (i >= o.prerelease.size()) {
        return 1;
      }
      int d = compareIdentifiers(prerelease.get(i), o.prerelease.get(i));
      if (d != 0) {
        return d;
      }
    }
  }

  private static int compareIdentifiers(String a, String b) {
    boolean an = a.chars().allMatch(Character::isDigit);
    boolean bn = b.chars().allMatch(Character::isDigit);
    if (an && bn) {
      return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
    }
    if (an != bn) {
      return an ? -1 : 1;
    }
    return a.compareTo(b);
  }
}
