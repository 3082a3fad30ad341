package dev.devflow.actors.ci.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to run for one CI step.
 *
 * @param script the step's {@code run:} text, written to a file in {@code tempDir}
 * @param shell {@code null} or {@code "bash"}, {@code "sh"}, {@code "python"}, or a custom command
 *     template containing {@code {0}} (the script file's path), split on whitespace as GitHub does
 * @param workingDirectory where the process starts
 * @param env the complete environment of the process: nothing of the runner's own is inherited
 * @param timeout when the process group is killed and the outcome says timed out; {@code null} for
 *     none
 * @param tempDir where the script file is written (it is deleted when the step ends)
 */
public record StepCommand(
    String script, String shell, Path workingDirectory, Map<String, String> env, Duration timeout, Path tempDir) {

  /** The templates GitHub Actions uses for {@code shell:} on Linux. */
  private static final Map<String, String> SHELLS = Map.of(
      "bash", "bash --noprofile --norc -eo pipefail {0}",
      "sh", "sh -e {0}",
      "python", "python3 {0}");

  public StepCommand {
    Objects.requireNonNull(script, "script");
    Objects.requireNonNull(workingDirectory, "workingDirectory");
    Objects.requireNonNull(tempDir, "tempDir");
    env = Map.copyOf(env);
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    template(shell == null ? "bash" : shell);
  }

  /** The command line that runs the script file, from the shell's template. */
  public List<String> commandLine(Path scriptFile) {
    List<String> out = new ArrayList<>();
    for (String part : template(shell == null ? "bash" : shell).trim().split("\\s+")) {
      out.add(part.replace("{0}", scriptFile.toString()));
    }
    return out;
  }

  /** The script file's name suffix: some interpreters care (python's tracebacks name the file). */
  String scriptSuffix() {
    return "python".equals(shell) ? ".py" : ".sh";
  }

  private static String template(String shell) {
    String known = SHELLS.get(shell);
    if (known != null) {
      return known;
    }
    if (!shell.contains("{0}")) {
      throw new IllegalArgumentException(
          "shell must be bash, sh, python or a command template containing {0}, got: " + shell);
    }
    return shell;
  }
}
