package dev.devflow.actors.runner;

import java.util.Map;

/**
 * The secrets a job receives ({@code ${{ secrets.NAME }}}), the nearest tier winning. Values
 * never leave the runner: they go into the step's environment and expressions, and the job log
 * masks them.
 */
@FunctionalInterface
public interface JobSecrets {

  /**
   * @param job the job's log id and attempt, for the audit log
   * @throws RuntimeException when a source fails; the job then fails with the message (which never
   *     holds a value)
   */
  Map<String, String> forJob(String tenant, String repo, String job);

  static JobSecrets of(Map<String, String> system) {
    Map<String, String> copy = Map.copyOf(system);
    return (tenant, repo, job) -> copy;
  }
}
