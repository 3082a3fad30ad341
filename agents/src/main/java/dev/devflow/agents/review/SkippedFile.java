package dev.devflow.agents.review;

/** A changed file the review does not read, and why. Only the path is kept, never its content. */
public record SkippedFile(String path, String reason) {

  /** Binary on either side, or larger than JGit's binary-file threshold (50 MiB by default). */
  public static final String BINARY = "binary";
  /** The push changed more files than {@link DiffLimits#maxFiles()}; this one was not read. */
  public static final String OVER_FILE_CAP = "over the file cap";
  /** Deleted: there is no new-side line to comment on. */
  public static final String DELETED = "deleted";
  /** A submodule pointer moved; its diff is two commit ids, nothing to review. */
  public static final String SUBMODULE = "submodule";
  /** Renamed or mode-changed without content change, or emptied: no added or context line. */
  public static final String NOTHING_TO_COMMENT = "no added or context lines";
}
