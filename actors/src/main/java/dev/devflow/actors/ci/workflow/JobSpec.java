package dev.devflow.actors.ci.workflow;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One job of a workflow, as written: {@code name}, {@code runsOn} labels, {@code outputs} and
 * step strings may hold {@code ${{ }}} expressions (already checked for syntax); {@code needs}
 * names jobs of the same workflow (checked, without cycles); {@code timeoutMinutes} defaults to
 * 360 (fractions allowed: 0.5 is 30 seconds); {@code continueOnError} is null, "true", "false" or an expression; {@code strategy} is null
 * without a matrix. {@code line} is the 1-based line of the job's key.
 */
public record JobSpec(String id, String name, List<String> runsOn, List<String> needs, String ifExpr,
    double timeoutMinutes, String continueOnError, Map<String, String> outputs, Strategy strategy,
    Map<String, String> env, Defaults defaults, List<StepSpec> steps, int line) {

  public static final int DEFAULT_TIMEOUT_MINUTES = 360;

  public JobSpec {
    runsOn = runsOn == null ? List.of() : List.copyOf(runsOn);
    needs = needs == null ? List.of() : List.copyOf(needs);
    outputs = outputs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    defaults = defaults == null ? Defaults.NONE : defaults;
    steps = steps == null ? List.of() : List.copyOf(steps);
  }
}
