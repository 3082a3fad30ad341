package dev.devflow.actors.deploy;

import dev.devflow.actors.runtime.AppManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

/**
 * The workflow that builds a release: a CI job like any other (same runners, queue, logs and
 * masking) running the app's {@code build:} commands in a checkout of the commit, then packing the
 * workspace (without {@code .git}) to the path in {@code DEVFLOW_ARTIFACT}, which lies in the blob
 * store's incoming directory (a shared volume in a cluster). Written as YAML by an emitter, so
 * any command text is quoted correctly.
 */
final class BuildWorkflow {

  /** Where the generated workflow appears to come from in the pipeline list. */
  static final String PATH = ".devflow/deploy.yml";

  static final String PACK = "tar -czf \"$DEVFLOW_ARTIFACT.part\" --exclude=./.git . "
      + "&& mv \"$DEVFLOW_ARTIFACT.part\" \"$DEVFLOW_ARTIFACT\"";

  private BuildWorkflow() {}

  static String text(String app, long release, AppManifest manifest, Path artifact, String runsOn) {
    List<Object> steps = new ArrayList<>();
    for (String command : manifest.build()) {
      steps.add(Map.of("run", command));
    }
    steps.add(Map.of("name", "pack release " + release, "run", PACK));
    Map<String, Object> job = new LinkedHashMap<>();
    job.put("name", "build " + app + " release " + release);
    job.put("runs-on", runsOn);
    job.put("env", Map.of("DEVFLOW_ARTIFACT", artifact.toAbsolutePath().toString()));
    job.put("steps", steps);
    Map<String, Object> workflow = new LinkedHashMap<>();
    workflow.put("name", "deploy " + app + " release " + release);
    workflow.put("on", "workflow_dispatch");
    workflow.put("jobs", Map.of("build", job));
    return new Dump(DumpSettings.builder().build()).dumpToString(workflow);
  }
}
