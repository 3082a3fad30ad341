package dev.devflow.actors.ci.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a byte stream into UTF-8 lines ({@code \n} or {@code \r\n}) in a fixed buffer of
 * {@link #MAX_LINE_BYTES}: a longer line is handed over in pieces of at most that size, so a step
 * printing a gigabyte without a newline costs 64 KiB here, not a gigabyte.
 *
 * <p>A piece never ends inside a UTF-8 character, and ends after the last space or tab of its last
 * {@link #SPLIT_SEARCH_BYTES} when there is one: secrets are masked line by line, and a cut between
 * two words does not cut a secret in two (a secret inside a 64 KiB run of non-blank text can still
 * be cut; the masker then sees its two halves separately).
 *
 * <p>Not thread-safe: one reader thread per stream. Public for the runtime's app processes
 * ({@code dev.devflow.actors.runtime}), which read their output the same way.
 */
public final class LineReader {

  static final int MAX_LINE_BYTES = 64 * 1024;
  static final int SPLIT_SEARCH_BYTES = 1024;

  private LineReader() {}

  /** Reads {@code in} to its end, handing each line (without terminator) to {@code lines}. */
  public static void forEachLine(InputStream in, Consumer<String> lines) throws IOException {
    byte[] buf = new byte[MAX_LINE_BYTES];
    int start = 0;
    int end = 0;
    int scanned = 0;
    while (true) {
      int nl = indexOf(buf, (byte) '\n', scanned, end);
      if (nl >= 0) {
        int stop = nl > start && buf[nl - 1] == '\r' ? nl - 1 : nl;
        lines.accept(decode(buf, start, stop));
        start = nl + 1;
        scanned = start;
        continue;
      }
      scanned = end;
      if (end - start == buf.length) {
        int cut = cut(buf, start, end);
        lines.accept(decode(buf, start, cut));
        start = cut;
        scanned = start;
        continue;
      }
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        scanned -= start;
        start = 0;
      }
      int n = in.read(buf, end, buf.length - end);
      if (n < 0) {
        if (end > start) {
          lines.accept(decode(buf, start, end));
        }
        return;
      }
      end += n;
    }
  }

  /** Where to split a full buffer: after a blank near its end, else at a character boundary. */
  private static int cut(byte[] buf, int start, int end) {
    for (int i = end - 1; i >= Math.max(start + 1, end - SPLIT_SEARCH_BYTES); i--) {
      if (buf[i] == ' ' || buf[i] == '\t') {
        return i + 1;
      }
    }
    // Step back over an incomplete UTF-8 sequence at the end (a lead byte and at most 3 more).
    int lead = end - 1;
    while (lead > start && lead > end - 4 && (buf[lead] & 0xC0) == 0x80) {
      lead--;
    }
    int b = buf[lead] & 0xFF;
    int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return lead > start && lead + length > end ? lead : end;
  }

  private static int indexOf(byte[] buf, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static String decode(byte[] buf, int from, int to) {
    return new String(buf, from, to - from, StandardCharsets.UTF_8);
  }
}
