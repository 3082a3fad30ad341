package dev.devflow.actors.ci.workflow.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A list of GitHub filter patterns ("Filter pattern cheat sheet"): {@code *} matches any characters
 * but {@code /}, {@code **} any characters ({@code **}{@code /} also none), {@code ?} makes the
 * preceding character optional, {@code +} repeats it, {@code [a-z0-9]} matches one listed character,
 * {@code \} escapes, and a leading {@code !} negates. Patterns apply in order and the last one that
 * matches a name decides, so {@code ['*.md', '!README.md']} matches {@code a.md} but not
 * {@code README.md}. Immutable and thread-safe.
 */
public final class GlobFilter {

  private record Rule(boolean negative, Pattern pattern) {}

  private final List<Rule> rules;

  private GlobFilter(List<Rule> rules) {
    this.rules = rules;
  }

  public static GlobFilter of(List<String> patterns) {
    List<Rule> rules = new ArrayList<>();
    for (String p : patterns) {
      boolean negative = p.startsWith("!");
      rules.add(new Rule(negative, compile(negative ? p.substring(1) : p)));
    }
    return new GlobFilter(List.copyOf(rules));
  }

  /** Whether the last pattern matching {@code name} is a positive one. */
  public boolean matches(String name) {
    boolean matched = false;
    for (Rule r : rules) {
      if (r.pattern().matcher(name).matches()) {
        matched = !r.negative();
      }
    }
    return matched;
  }

  /** Whether every pattern is negated: GitHub requires at least one positive pattern. */
  public static boolean onlyNegative(List<String> patterns) {
    return !patterns.isEmpty() && patterns.stream().allMatch(p -> p.startsWith("!"));
  }

  /** The regular expression for one pattern (without its {@code !}). */
  public static Pattern compile(String glob) {
    List<String> atoms = new ArrayList<>();
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i);
      if (c == '\\' && i + 1 < glob.length()) {
        atoms.add(Pattern.quote(String.valueOf(glob.charAt(i + 1))));
        i += 2;
      } else if (c == '*' && glob.startsWith("**/", i)) {
        atoms.add("(?:.*/)?");
        i += 3;
      } else if (c == '*' && glob.startsWith("**", i)) {
        atoms.add(".*");
        i += 2;
      } else if (c == '*') {
        atoms.add("[^/]*");
        i++;
      } else if ((c == '?' || c == '+') && !atoms.isEmpty()) {
        String last = atoms.remove(atoms.size() - 1);
        atoms.add("(?:" + last + ")" + c);
        i++;
      } else if (c == '[' && glob.indexOf(']', i + 2) > 0) {
        int close = glob.indexOf(']', i + 2);
        atoms.add(characterClass(glob.substring(i + 1, close)));
        i = close + 1;
      } else {
        atoms.add(Pattern.quote(String.valueOf(c)));
        i++;
      }
    }
    return Pattern.compile(String.join("", atoms));
  }

  private static String characterClass(String body) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      boolean range = c == '-' && i > 0 && i + 1 < body.length();
      out.append(range || Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c);
    }
    return out.append(']').toString();
  }
}
