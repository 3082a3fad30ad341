package dev.devflow.actors.ci.workflow;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed workflow file. {@code name} is the workflow's {@code name}, or the file when it has none.
 * {@code push} is null when the workflow has no push trigger; {@code dispatch} is true with
 * {@code workflow_dispatch}. {@code jobs} keeps the file order. {@code notices} are warnings about
 * what DevFlow ignores (unknown keys, unsupported triggers and keys), each as
 * {@code file:line:column: message}.
 */
public record Workflow(String file, String name, PushTrigger push, boolean dispatch, Map<String, String> env,
    Defaults defaults, Map<String, JobSpec> jobs, List<String> notices) {

  public Workflow {
    env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    defaults = defaults == null ? Defaults.NONE : defaults;
    jobs = jobs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(jobs));
    notices = notices == null ? List.of() : List.copyOf(notices);
  }
}
