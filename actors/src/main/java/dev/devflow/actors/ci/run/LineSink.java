package dev.devflow.actors.ci.run;

/**
 * Receives a step's output line by line, without the line terminator. {@link StepProcess} never
 * calls it from two threads at once, and waits while it runs: a slow sink slows the step down
 * (the process blocks on a full pipe) instead of output piling up in memory.
 */
@FunctionalInterface
public interface LineSink {

  /**
   * @param stderr true for a line the process wrote to standard error
   * @param text the line, or a piece of at most 64 KiB (UTF-8) of a longer one
   */
  void line(boolean stderr, String text);
}
