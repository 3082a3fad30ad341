package dev.devflow.actors.ci.run;

/**
 * How a step's process ended. {@code exitCode} is the process's own, or 128 + the signal number
 * when a signal ended it (as a shell reports it); a step that was stopped says so in
 * {@code timedOut} or {@code cancelled}, at most one of which is true.
 */
public record StepOutcome(int exitCode, boolean timedOut, boolean cancelled) {

  public boolean succeeded() {
    return exitCode == 0 && !timedOut && !cancelled;
  }
}
