package dev.devflow.agents.review;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.eclipse.jgit.diff.DiffDriver;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.diff.RawText;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.patch.FileHeader;

/**
 * JGit's diff formatter writing one file at a time into a buffer that keeps at most a fixed number
 * of bytes, so a huge file's patch costs no more memory than a small one's (JGit itself still loads
 * the two blobs, up to its binary threshold). Also records whether JGit found the file binary.
 *
 * <p>Not thread-safe: one instance per {@link PushDiff#read} call.
 */
final class PatchFormatter extends DiffFormatter {

  /** The patch text kept for one file, and whether bytes were dropped. */
  record Rendered(boolean binary, String text, boolean cut, long totalBytes) {}

  private final Capture capture;
  private boolean binary;

  PatchFormatter(Repository repo, int keepBytes) {
    this(new Capture(keepBytes));
    setRepository(repo);
    // Set after setRepository, which reads the repository's diff.* config: the model and the
    // parser rely on a/ b/ prefixes and on paths spelled as they are, not octal-quoted.
    setOldPrefix("a/");
    setNewPrefix("b/");
    setQuotePaths(false);
    setContext(3);
    setDetectRenames(true);
  }

  private PatchFormatter(Capture capture) {
    super(capture);
    this.capture = capture;
  }

  Rendered render(DiffEntry entry) throws IOException {
    capture.reset();
    binary = false;
    format(entry);
    flush();
    return new Rendered(binary, capture.text(), capture.total > capture.kept, capture.total);
  }

  /**
   * Every {@code format(DiffEntry)} ends here with the header JGit built; its patch type is the only
   * public record of JGit's binary decision (which also covers blobs over the size threshold).
   */
  @Override
  public void format(FileHeader head, RawText a, RawText b, DiffDriver driver) throws IOException {
    binary = head.getPatchType() != FileHeader.PatchType.UNIFIED;
    super.format(head, a, b, driver);
  }

  /** Keeps the first {@code limit} bytes written since the last reset and counts the rest. */
  private static final class Capture extends OutputStream {
    private final byte[] buf;
    private int kept;
    private long total;

    Capture(int limit) {
      buf = new byte[limit];
    }

    void reset() {
      kept = 0;
      total = 0;
    }

    String text() {
      return new String(Arrays.copyOf(buf, kept), StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
      if (kept < buf.length) {
        buf[kept++] = (byte) b;
      }
      total++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      int n = Math.min(len, buf.length - kept);
      System.arraycopy(b, off, buf, kept, n);
      kept += n;
      total += len;
    }
  }
}
