package dev.devflow.agents.review;

/**
 * How much of a push one review reads.
 *
 * <ul>
 *   <li>{@code maxChunkChars}: the most unified-diff characters in one {@link DiffChunk}, i.e. in
 *       one model call. Files are packed whole; a file is never split across chunks.
 *   <li>{@code maxFiles}: the most files reviewed per push; later files are listed as skipped.
 *   <li>{@code maxFileChars}: the most characters of one file's patch. A longer patch is cut at a
 *       line boundary and ends with {@link PushDiff#TRUNCATED_MARKER}, so it always fits a chunk.
 * </ul>
 *
 * <p>{@code maxFileChars} may not exceed {@code maxChunkChars} (every file must fit one chunk) and
 * is at least {@link #MIN_FILE_CHARS} (room for a diff header and the truncation marker).
 */
public record DiffLimits(int maxChunkChars, int maxFiles, int maxFileChars) {

  public static final int MIN_FILE_CHARS = 256;

  /** Fits a 32k-token context with room left for the instructions and the answer. */
  public static final DiffLimits DEFAULT = new DiffLimits(60_000, 200, 20_000);

  public DiffLimits {
    if (maxFiles < 1) {
      throw new IllegalArgumentException("maxFiles must be at least 1, was " + maxFiles);
    }
    if (maxFileChars < MIN_FILE_CHARS) {
      throw new IllegalArgumentException("maxFileChars must be at least " + MIN_FILE_CHARS + ", was " + maxFileChars);
    }
    if (maxFileChars > maxChunkChars) {
      throw new IllegalArgumentException(
          "maxFileChars (" + maxFileChars + ") may not exceed maxChunkChars (" + maxChunkChars + ")");
    }
  }
}
