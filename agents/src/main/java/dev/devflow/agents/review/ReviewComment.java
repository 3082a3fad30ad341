package dev.devflow.agents.review;

import java.util.List;

/**
 * One remark on one line.
 *
 * @param line a new-side line number that is in the reviewed diff (see {@link FilePatch#commentableLines()})
 * @param severity one of {@link #SEVERITIES}
 */
public record ReviewComment(String path, int line, String severity, String body) {

  public static final String INFO = "info";
  public static final String WARNING = "warning";
  public static final String ERROR = "error";

  /** The allowed severities, mildest first; the schema and the parser both use this list. */
  public static final List<String> SEVERITIES = List.of(INFO, WARNING, ERROR);
}
