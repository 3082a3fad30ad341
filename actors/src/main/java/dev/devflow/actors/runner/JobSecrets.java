package dev.devflow.actors.runner;

import java.util.Map;

/**
 * The secrets a job receives ({@code ${{ secrets.NAME }}}), nearest tier first resolved. Values
 * never leave the runner: they go into the step's environment and expressions, and the job log
 * masks them.
 */
@FunctionalInterface
public interface JobSecrets {

  Map<String, String> forJob(String tenant, String repo);

  static JobSecrets of(Map<String, String> system) {
    Map<String, String> copy = Map.copyOf(system);
    return (tenant, repo) -> copy;
  }
}
