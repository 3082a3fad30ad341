package dev.devflow.agents.review;

import java.util.List;
import java.util.Optional;

/**
 * Whole-file patches that together fit one model call ({@link DiffLimits#maxChunkChars()}).
 * Immutable.
 */
public record DiffChunk(List<FilePatch> files) {

  public DiffChunk {
    files = List.copyOf(files);
  }

  /** The files' patches one after the other, as one unified diff. */
  public String text() {
    StringBuilder text = new StringBuilder(chars());
    for (FilePatch f : files) {
      text.append(f.patch());
    }
    return text.toString();
  }

  /** Length of {@link #text()}, without building it. */
  public int chars() {
    int chars = 0;
    for (FilePatch f : files) {
      chars += f.patch().length();
    }
    return chars;
  }

  public Optional<FilePatch> file(String path) {
    return files.stream().filter(f -> f.path().equals(path)).findFirst();
  }
}
