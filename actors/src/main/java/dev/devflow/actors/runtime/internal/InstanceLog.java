package dev.devflow.actors.runtime.internal;

import dev.devflow.actors.ci.run.JobLog;
import dev.devflow.actors.ci.run.SecretMasker;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.ci.LogChunk;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The log of one app instance in {@link JobLogStore} (attempt 1, chunks numbered from 1), over all
 * its restarts.
 *
 * <p>Lines are masked, prefixed with their UTC time like CI logs ({@code 2026-11-27T01:02:03.123Z
 * text}) and buffered in memory; {@link #flush()} (every 200 ms, by the instance's actor, on a
 * blocking thread) stores the buffer as the next chunk. Unlike a CI log, an app's output must never
 * wait for the database: {@link #line} never blocks on JDBC. Memory stays bounded instead: past
 * {@link #MAX_BUFFER_BYTES} not yet stored (a slow or unavailable database), lines are dropped and
 * counted, and the count is logged once writing works again.
 *
 * <p>Cap: once {@code capBytes} of lines are accepted, one line says so and the rest of the
 * instance's output is dropped. Runtime notices ({@link #notice}: start, exit, restart) are still
 * written past the cap, up to {@link #NOTICE_ALLOWANCE} more bytes, since they say what happened.
 *
 * <p>Lines accepted under the cap are also kept for the tenant's feed ({@code instance.output}),
 * at most {@link #FEED_LINES} between two {@link #drainForFeed} calls; the rest are only counted
 * there (they are all in the stored log).
 *
 * <p>Thread-safe: the two output readers call {@link #line}; one thread at a time calls
 * {@link #flush} (the lock {@code flushLock} orders callers that do not know about each other).
 */
public final class InstanceLog {

  static final int MAX_BUFFER_BYTES = 1024 * 1024;
  static final long NOTICE_ALLOWANCE = 64 * 1024;
  static final int LAST_LINES = 5;
  static final int LAST_LINE_CHARS = 300;
  static final int FEED_LINES = 100;
  static final int FEED_LINE_CHARS = 1000;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final JobLogStore store;
  private final String logId;
  private final SecretMasker masker;
  private final long capBytes;
  private final Object flushLock = new Object();

  // Guarded by this.
  private StringBuilder buffer = new StringBuilder();
  private int bufferBytes;
  private long accepted;
  private long noticeBytes;
  private boolean capped;
  private long lostLines;
  private final ArrayDeque<String> last = new ArrayDeque<>();
  private List<String> forFeed = new ArrayList<>();
  private long skippedForFeed;

  // Guarded by flushLock.
  private int nextSeq = 1;
  private String unsent; // a chunk whose write failed, retried with nextSeq

  public InstanceLog(JobLogStore store, String logId, List<String> secrets, long capBytes) {
    this.store = store;
    this.logId = logId;
    this.masker = new SecretMasker(secrets);
    this.capBytes = capBytes;
  }

  /**
   * Continues a log that already has chunks (an instance id started again): numbering goes on
   * after the last chunk and its bytes count towards the cap. Blocks on JDBC.
   */
  public void resume() {
    synchronized (flushLock) {
      long bytes = 0;
      int after = 0;
      while (true) {
        List<LogChunk> page = store.read(logId, 1, after, 100);
        if (page.isEmpty()) {
          break;
        }
        for (LogChunk c : page) {
          after = c.seq();
          bytes += c.body().getBytes(StandardCharsets.UTF_8).length;
        }
      }
      nextSeq = after + 1;
      synchronized (this) {
        accepted += bytes;
        capped = accepted >= capBytes;
      }
    }
  }

  /** A line of the app's output; dropped past the cap or when the buffer is full. */
  public synchronized void line(String text) {
    String masked = masker.mask(text);
    remember(masked);
    if (capped) {
      return;
    }
    String entry = entry(masked);
    int bytes = JobLog.utf8Length(entry);
    if (accepted + bytes > capBytes) {
      capped = true;
      add(entry("[devflow] log cap of " + capBytes + " bytes reached; further output dropped"));
      return;
    }
    accepted += bytes;
    add(entry);
    if (forFeed.size() < FEED_LINES) {
      forFeed.add(masked.length() <= FEED_LINE_CHARS ? masked : masked.substring(0, FEED_LINE_CHARS) + "...");
    } else {
      skippedForFeed++;
    }
  }

  /** Lines for the feed since the last call, and how many more there were; empty when none. */
  public synchronized Optional<FeedLines> drainForFeed() {
    if (forFeed.isEmpty()) {
      return Optional.empty();
    }
    FeedLines out = new FeedLines(forFeed, skippedForFeed);
    forFeed = new ArrayList<>();
    skippedForFeed = 0;
    return Optional.of(out);
  }

  /** Masked lines of output (each shortened to {@link #FEED_LINE_CHARS}) and a count of those left out. */
  public record FeedLines(List<String> lines, long skipped) {}

  /** A line from the runtime itself, e.g. why the app is restarted. */
  public synchronized void notice(String text) {
    String entry = entry("[devflow] " + masker.mask(text));
    int bytes = JobLog.utf8Length(entry);
    if (capped || accepted + bytes > capBytes) {
      if (noticeBytes + bytes > NOTICE_ALLOWANCE) {
        return;
      }
      noticeBytes += bytes;
    } else {
      accepted += bytes;
    }
    add(entry);
  }

  /** The last few lines of output (masked, shortened), oldest first, for a failure message. */
  public synchronized List<String> lastLines() {
    return List.copyOf(last);
  }

  /** Bytes of the app's lines accepted so far (stored or buffered), timestamps included. */
  public synchronized long acceptedBytes() {
    return accepted;
  }

  /**
   * Stores what is buffered as the next chunk. Blocks on JDBC; a failed write is kept and retried
   * by the next call, with the same chunk number.
   *
   * @throws RuntimeException the store's failure (the chunk stays pending)
   */
  public void flush() {
    synchronized (flushLock) {
      if (unsent == null) {
        synchronized (this) {
          if (lostLines > 0) {
            String entry = entry("[devflow] " + lostLines + " lines were lost while the log store was unavailable");
            buffer.append(entry);
            lostLines = 0;
          }
          if (bufferBytes == 0 && buffer.length() == 0) {
            return;
          }
          unsent = buffer.toString();
          buffer = new StringBuilder();
          bufferBytes = 0;
        }
      }
      store.append(logId, 1, nextSeq, unsent);
      nextSeq++;
      unsent = null;
    }
  }

  private void add(String entry) {
    int bytes = JobLog.utf8Length(entry);
    if (bufferBytes + bytes > MAX_BUFFER_BYTES) {
      lostLines++;
      return;
    }
    buffer.append(entry);
    bufferBytes += bytes;
  }

  private void remember(String masked) {
    if (masked.isBlank()) {
      return;
    }
    if (last.size() == LAST_LINES) {
      last.removeFirst();
    }
    last.addLast(masked.length() <= LAST_LINE_CHARS ? masked : masked.substring(0, LAST_LINE_CHARS) + "...");
  }

  private static String entry(String text) {
    return TIME.format(Instant.now()) + ' ' + text + '\n';
  }
}
