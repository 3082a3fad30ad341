package dev.devflow.actors.ci.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The files through which a step talks back to the runner, as on GitHub Actions: {@code
 * GITHUB_OUTPUT} (step outputs), {@code GITHUB_ENV} (variables for later steps), {@code
 * GITHUB_PATH} (directories to put before PATH) and {@code GITHUB_STEP_SUMMARY} (Markdown). They
 * are created empty before the step runs (names unique in the directory, so steps can share one)
 * and read after it ended.
 *
 * <p>Syntax of output and env files: {@code name=value} lines, and {@code name<<DELIMITER} followed
 * by the value's lines and a line that is exactly the delimiter. Empty lines are skipped; a later
 * value of a name replaces an earlier one; {@code \r\n} line ends are accepted. Anything else is an
 * {@link IOException} naming the file and line. A file over {@link #MAX_FILE_BYTES} is refused
 * rather than read into memory.
 *
 * <p>Thread-safe (immutable); reading blocks on the file system.
 */
public final class StepFiles {

  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  private final Path output;
  private final Path env;
  private final Path path;
  private final Path summary;

  private StepFiles(Path output, Path env, Path path, Path summary) {
    this.output = output;
    this.env = env;
    this.path = path;
    this.summary = summary;
  }

  /** Creates the four empty files in {@code dir}. */
  public static StepFiles create(Path dir) throws IOException {
    String id = UUID.randomUUID().toString();
    return new StepFiles(
        Files.createFile(dir.resolve("set_output_" + id)),
        Files.createFile(dir.resolve("set_env_" + id)),
        Files.createFile(dir.resolve("add_path_" + id)),
        Files.createFile(dir.resolve("step_summary_" + id)));
  }

  /** The variables naming the files, to add to the step's environment. */
  public Map<String, String> env() {
    return Map.of(
        "GITHUB_OUTPUT", output.toString(),
        "GITHUB_ENV", env.toString(),
        "GITHUB_PATH", path.toString(),
        "GITHUB_STEP_SUMMARY", summary.toString());
  }

  /** The step's outputs, in the order first set. */
  public Map<String, String> outputs() throws IOException {
    return keyValues("GITHUB_OUTPUT", output);
  }

  /** The variables the step set for later steps, in the order first set. */
  public Map<String, String> envAdditions() throws IOException {
    return keyValues("GITHUB_ENV", env);
  }

  /**
   * The directories the step added, one per non-blank line, trimmed, in file order. As on GitHub,
   * the runner puts them before PATH last first: the last line ends up at PATH's head.
   */
  public List<String> pathAdditions() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : lines("GITHUB_PATH", path)) {
      if (!line.isBlank()) {
        out.add(line.trim());
      }
    }
    return out;
  }

  /** The step summary file (Markdown written by the step). */
  public Path summary() {
    return summary;
  }

  private static Map<String, String> keyValues(String name, Path file) throws IOException {
    List<String> lines = lines(name, file);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isEmpty()) {
        continue;
      }
      int equals = line.indexOf('=');
      int heredoc = line.indexOf("<<");
      // As GitHub: whichever marker comes first decides, so "a=x<<y" is a plain value.
      if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
        String key = line.substring(0, equals);
        require(!key.isEmpty(), name, file, i, "a name is missing before '='");
        out.put(key, line.substring(equals + 1));
      } else if (heredoc >= 0) {
        String key = line.substring(0, heredoc);
        String delimiter = line.substring(heredoc + 2);
        require(!key.isEmpty(), name, file, i, "a name is missing before '<<'");
        require(!delimiter.isEmpty(), name, file, i, "a delimiter is missing after '<<'");
        int end = lines.subList(i + 1, lines.size()).indexOf(delimiter);
        require(end >= 0, name, file, i, "no line '" + delimiter + "' ends the value of " + key);
        out.put(key, String.join("\n", lines.subList(i + 1, i + 1 + end)));
        i += end + 1;
      } else {
        require(false, name, file, i, "expected name=value or name<<DELIMITER");
      }
    }
    return out;
  }

  private static void require(boolean ok, String name, Path file, int index, String problem) throws IOException {
    if (!ok) {
      throw new IOException(name + " file " + file + ", line " + (index + 1) + ": " + problem);
    }
  }

  private static List<String> lines(String name, Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(name + " file " + file + " has " + size + " bytes, more than the limit of " + MAX_FILE_BYTES);
    }
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    if (text.endsWith("\n")) {
      out.remove(out.size() - 1); // the terminator of the last line, not an empty line after it
    }
    return out;
  }
}
