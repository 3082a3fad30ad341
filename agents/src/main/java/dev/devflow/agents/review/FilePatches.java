package dev.devflow.agents.review;

import java.util.Set;
import java.util.TreeSet;

/** Builds a {@link FilePatch} from formatter output: truncation and the commentable lines. Stateless. */
final class FilePatches {

  private FilePatches() {}

  /**
   * @param text the patch as captured, possibly already missing its tail ({@code cut})
   * @param totalBytes the patch's full size in bytes, for the marker
   */
  static FilePatch of(String path, String text, boolean cut, long totalBytes, int maxFileChars) {
    if (!cut && text.length() <= maxFileChars) {
      return new FilePatch(path, text, commentableLines(text));
    }
    String marker = PushDiff.TRUNCATED_MARKER + " (" + totalBytes + " bytes in full)\n";
    int room = maxFileChars - marker.length();
    // Cut after a whole line so no half line is read as a diff line.
    int end = text.lastIndexOf('\n', room - 1) + 1;
    String kept;
    if (end > 0) {
      kept = text.substring(0, end);
    } else {
      // One enormous first line (cannot happen after a diff header, but stay safe).
      end = Character.isHighSurrogate(text.charAt(room - 2)) ? room - 2 : room - 1;
      kept = text.substring(0, end) + "\n";
    }
    String patch = kept + marker;
    return new FilePatch(path, patch, commentableLines(patch));
  }

  /**
   * New-side line numbers of the context (' ') and added ('+') lines of a single-file patch.
   * Everything before the first hunk header is the file header; after it, every line is a hunk
   * header, a prefixed diff line, or a '\' note (no newline at end of file, truncation marker).
   */
  static Set<Integer> commentableLines(String patch) {
    Set<Integer> lines = new TreeSet<>();
    int newLine = -1;
    int pos = 0;
    while (pos < patch.length()) {
      int eol = patch.indexOf('\n', pos);
      if (eol < 0) {
        eol = patch.length();
      }
      if (patch.startsWith("@@ ", pos)) {
        newLine = newStart(patch.substring(pos, eol));
      } else if (newLine >= 0 && eol > pos) {
        char kind = patch.charAt(pos);
        if (kind == ' ' || kind == '+') {
          lines.add(newLine++);
        }
      }
      pos = eol + 1;
    }
    return lines;
  }

  /** The {@code c} of {@code @@ -a,b +c,d @@}. */
  private static int newStart(String header) {
    int plus = header.indexOf(" +");
    int i = plus + 2;
    int value = 0;
    while (i < header.length() && Character.isDigit(header.charAt(i))) {
      value = value * 10 + (header.charAt(i++) - '0');
    }
    return value;
  }
}
