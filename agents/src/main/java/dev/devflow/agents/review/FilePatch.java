package dev.devflow.agents.review;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One file's unified diff as the model sees it.
 *
 * @param path the file's path after the push (the new path of a rename)
 * @param patch the unified diff text ({@code diff --git} header and hunks), ending in a newline;
 *     possibly cut and ending with {@link PushDiff#TRUNCATED_MARKER}
 * @param commentableLines new-side line numbers (1-based) of the added and context lines that are
 *     in {@code patch}; lines cut off by truncation are not included, since the model never saw them
 */
public record FilePatch(String path, String patch, Set<Integer> commentableLines) {

  public FilePatch {
    SortedSet<Integer> lines = new TreeSet<>(commentableLines);
    commentableLines = Collections.unmodifiableSortedSet(lines);
  }

  /** Whether the patch was cut to fit {@link DiffLimits#maxFileChars()}. */
  public boolean truncated() {
    return patch.contains(PushDiff.TRUNCATED_MARKER);
  }
}
