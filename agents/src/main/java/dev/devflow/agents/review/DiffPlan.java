package dev.devflow.agents.review;

import java.util.List;

/**
 * What a review of one push reads: the chunks to send to the model, one call each, and the
 * changed files it does not read.
 *
 * @param totalFiles every changed file of the push, reviewed or skipped (a rename counts once)
 */
public record DiffPlan(List<DiffChunk> chunks, List<SkippedFile> skipped, int totalFiles) {

  public DiffPlan {
    chunks = List.copyOf(chunks);
    skipped = List.copyOf(skipped);
  }

  /** Number of files in the chunks. */
  public int reviewedFiles() {
    return chunks.stream().mapToInt(c -> c.files().size()).sum();
  }
}
