package dev.devflow.actors.ci.workflow;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One step of a job: exactly one of {@code run} (a script) and {@code uses} (an action; only
 * {@code actions/checkout@…} is built in, any other fails the job when it runs). Strings may hold
 * {@code ${{ }}} expressions, already checked for syntax. {@code env} is in file order; {@code line}
 * is the 1-based line where the step starts.
 */
public record StepSpec(String id, String name, String run, String uses, String shell, Map<String, String> env,
    String workingDirectory, String ifExpr, String continueOnError, Double timeoutMinutes, int line) {

  public StepSpec {
    env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  /** Whether this step is the built-in {@code actions/checkout}. */
  public boolean isCheckout() {
    return uses != null && uses.regionMatches(true, 0, "actions/checkout@", 0, "actions/checkout@".length());
  }
}
