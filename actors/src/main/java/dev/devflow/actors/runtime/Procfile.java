package dev.devflow.actors.runtime;

import java.util.LinkedHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a Heroku Procfile: one {@code type: command} per line, where type matches
 * {@code [A-Za-z0-9_-]+} and command is the rest of the line (trimmed, non-empty, run later by
 * bash). Blank lines and lines whose first non-blank character is {@code #} are ignored. A type
 * declared twice, a line of another shape, or a file without any type is an error naming the line.
 *
 * <p>Stateless and thread-safe.
 */
public final class Procfile {

  public static final String FILE = "Procfile";

  private static final Pattern LINE = Pattern.compile("^([^:]*?)\\s*:(.*)$");
  private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_-]+");

  private Procfile() {}

  /** The process types in file order, each with its command. */
  public static LinkedHashMap<String, String> parse(String text) throws ManifestException {
    LinkedHashMap<String, String> types = new LinkedHashMap<>();
    LinkedHashMap<String, Integer> lineOf = new LinkedHashMap<>();
    String[] lines = text == null ? new String[0] : text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int n = i + 1;
      String line = lines[i].strip();
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1).strip();
      }
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new ManifestException(FILE, n, "expected 'type: command', got '" + abbreviate(line) + "'");
      }
      String type = m.group(1);
      String command = m.group(2).strip();
      if (type.isEmpty()) {
        throw new ManifestException(FILE, n, "a process type is missing before ':'");
      }
      if (!TYPE.matcher(type).matches()) {
        throw new ManifestException(FILE, n, "process type '" + abbreviate(type)
            + "' may only contain letters, digits, '_' and '-'");
      }
      if (command.isEmpty()) {
        throw new ManifestException(FILE, n, "process type '" + type + "' has no command");
      }
      Integer first = lineOf.putIfAbsent(type, n);
      if (first != null) {
        throw new ManifestException(FILE, n, "process type '" + type + "' is declared twice (first at line " + first + ")");
      }
      types.put(type, command);
    }
    if (types.isEmpty()) {
      throw new ManifestException(FILE, 0, "declares no process type (expected lines like 'web: python3 app.py')");
    }
    return types;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
