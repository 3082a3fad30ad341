package dev.devflow.actors.ci.run;

import dev.devflow.persistence.ci.JobLogStore;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * One job attempt's log as the runner writes it to {@link JobLogStore}.
 *
 * <p>Each line is masked ({@link SecretMasker}), prefixed with its UTC time to the millisecond
 * ({@code 2026-11-27T01:02:03.123Z text}) and buffered; the buffer is stored as the next chunk
 * (numbered from 1) when it reaches {@link #CHUNK_BYTES} or on {@link #flush()}, which the runner
 * calls every 200 ms and at the end. A chunk whose write failed stays buffered and is retried,
 * with the same number, by the next flush; meanwhile {@link #line} refuses more (it throws) rather
 * than buffer without bound.
 *
 * <p>Masking is per line. The step's output is read line by line, not write by write, so a secret
 * printed in two writes is whole again in its line; a secret can only be cut by a line break
 * (which is why each line of a multi-line secret is a secret of its own) or by the split of a line
 * longer than 64 KiB (see {@link LineReader}). A line {@code ::add-mask::value} (GitHub's workflow
 * command, value escaped with {@code %25 %0D %0A}) masks the value in every later line and is
 * itself logged as {@code ::add-mask::***}.
 *
 * <p>Cap: once {@code capBytes} of log are written, one notice says so and further lines of the
 * step are counted and dropped; {@link #close()} then logs how many. Runner notices ({@link
 * #notice}) are still written past the cap: they are few, and say how the job ended.
 *
 * <p>Thread-safe: one lock orders the stdout and stderr readers and the flusher. Writes to the
 * store happen under it, so a slow database slows the step down instead of filling memory.
 */
public final class JobLog implements AutoCloseable {

  public static final long DEFAULT_CAP_BYTES = 50L * 1024 * 1024;
  static final int CHUNK_BYTES = 64 * 1024;
  static final String ADD_MASK = "::add-mask::";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final JobLogStore store;
  private final String job;
  private final int attempt;
  private final long capBytes;

  // All guarded by this.
  private SecretMasker masker;
  private final StringBuilder chunk = new StringBuilder();
  private int chunkBytes;
  private int nextSeq = 1;
  private long written;
  private boolean truncated;
  private long droppedLines;
  private long droppedBytes;
  private boolean closed;

  public JobLog(JobLogStore store, String job, int attempt, SecretMasker masker, long capBytes) {
    this.store = store;
    this.job = job;
    this.attempt = attempt;
    this.masker = masker;
    this.capBytes = capBytes;
  }

  /** A line of the step's output: masked, timestamped, buffered, or dropped past the cap. */
  public synchronized void line(String text) {
    requireOpen();
    if (text.stripLeading().startsWith(ADD_MASK)) {
      String value = unescape(text.stripLeading().substring(ADD_MASK.length()));
      addMask(value);
      text = ADD_MASK + SecretMasker.MASK;
    }
    if (truncated) {
      droppedLines++;
      droppedBytes += utf8Length(text) + 1;
      return;
    }
    String entry = entry(masker.mask(text));
    int bytes = utf8Length(entry);
    if (written + bytes > capBytes) {
      truncated = true;
      append(entry("##[warning]The log was truncated at " + size(capBytes)
          + " (configurable: devflow.ci.log-cap); later lines are counted, not kept."));
      droppedLines++;
      droppedBytes += utf8Length(text) + 1;
      return;
    }
    append(entry, bytes);
  }

  /** A line from the runner itself (e.g. {@code ##[group]Run make}): masked, kept past the cap. */
  public synchronized void notice(String text) {
    requireOpen();
    append(entry(masker.mask(text)));
  }

  /** Masks {@code value} (and its encodings) in every later line. */
  public synchronized void addMask(String value) {
    masker = masker.with(List.of(value));
  }

  /** Stores what is buffered as the next chunk. No effect when nothing is, or once closed. */
  public synchronized void flush() {
    if (chunkBytes == 0) {
      return;
    }
    store.append(job, attempt, nextSeq, chunk.toString());
    nextSeq++;
    chunk.setLength(0);
    chunkBytes = 0;
  }

  /** Bytes of log accepted so far (stored or buffered), timestamps and line ends included. */
  public synchronized long bytesWritten() {
    return written;
  }

  /** Logs how much the cap dropped, if anything, and stores the rest. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (droppedLines > 0) {
      append(entry("##[warning]" + droppedLines + " lines (" + droppedBytes + " bytes) were dropped after the log reached "
          + size(capBytes) + "."));
    }
    flush();
    closed = true;
  }

  private static String entry(String text) {
    return TIME.format(Instant.now()) + ' ' + text + '\n';
  }

  private void append(String entry) {
    append(entry, utf8Length(entry));
  }

  private void append(String entry, int bytes) {
    if (chunkBytes >= CHUNK_BYTES) {
      flush(); // a chunk left from a failed write; if this throws again, the line is not taken
    }
    chunk.append(entry);
    chunkBytes += bytes;
    written += bytes;
    if (chunkBytes >= CHUNK_BYTES) {
      flush();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the log of " + job + " attempt " + attempt + " is closed");
    }
  }

  /** GitHub's escaping of workflow command data. {@code %25} last: "%250A" means "%0A". */
  private static String unescape(String data) {
    return data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%");
  }

  private static String size(long bytes) {
    long mb = 1024 * 1024;
    return bytes % mb == 0 ? bytes / mb + " MB" : bytes % 1024 == 0 ? bytes / 1024 + " KB" : bytes + " bytes";
  }

  /** The UTF-8 size of {@code s} without encoding it (log caps count bytes, per line). */
  public static int utf8Length(CharSequence s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
