package dev.devflow.actors.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .env} file as docker compose and dotenv read it: {@code NAME=value} lines, optional
 * {@code export}, single or double quotes, {@code #} comments; no variable expansion.
 */
final class DotEnv {

  private DotEnv() {}

  static Map<String, String> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new SecretProviderException("cannot read the secrets file " + file + ": " + e.getMessage());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("export ")) {
        line = line.substring("export ".length()).strip();
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new SecretProviderException(file + " line " + (i + 1) + ": expected NAME=value");
      }
      String name = line.substring(0, eq).strip();
      values.put(name, unquote(line.substring(eq + 1).strip()));
    }
    return values;
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
      String inner = v.substring(1, v.length() - 1);
      return v.startsWith("\"") ? inner.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\") : inner;
    }
    int comment = v.indexOf(" #");
    return comment >= 0 ? v.substring(0, comment).strip() : v;
  }

  static void checkReadable(Path file) {
    if (!Files.isReadable(file)) {
      throw new UncheckedIOException(new IOException("the secrets file " + file + " does not exist or is not readable"));
    }
  }
}
