package dev.devflow.actors.ci.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.StoreException;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.ci.LogChunk;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's log writer against a real PostgreSQL: masking, chunks, the cap, and add-mask. */
class JobLogTest {

  static final Pattern TIMESTAMPED = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (.*)");

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static JobLogStore store;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    store = new JobLogStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  static List<LogChunk> chunks(String job) {
    return store.read(job, 1, 0, 10_000);
  }

  /** The stored lines without their timestamps, after checking that each has one. */
  static List<String> texts(String job) {
    List<String> out = new ArrayList<>();
    for (LogChunk chunk : chunks(job)) {
      assertTrue(chunk.body().endsWith("\n"));
      for (String line : chunk.body().split("\n")) {
        var m = TIMESTAMPED.matcher(line);
        assertTrue(m.matches(), line);
        out.add(m.group(1));
      }
    }
    return out;
  }

  static JobLog log(String job, long cap, String... secrets) {
    return new JobLog(store, job, 1, new SecretMasker(Arrays.asList(secrets)), cap);
  }

  @Test
  void linesAreMaskedTimestampedAndStoredOnFlush() {
    String job = "acme/web/1/mask";
    JobLog log = log(job, JobLog.DEFAULT_CAP_BYTES, "hunter22");
    log.notice("##[group]Run make");
    log.line("password is hunter22");
    log.notice("a notice is masked too: hunter22");
    assertEquals(List.of(), chunks(job), "nothing before a flush or a full chunk");
    log.flush();
    log.flush();
    assertEquals(List.of("##[group]Run make", "password is ***", "a notice is masked too: ***"), texts(job));
    assertEquals(1, chunks(job).size(), "an empty flush stores nothing");
    assertEquals(chunks(job).get(0).body().length(), log.bytesWritten());
    log.close();
    log.close();
    assertThrows(IllegalStateException.class, () -> log.line("after close"));
  }

  @Test
  void aChunkIsStoredWhenItReaches64KiB() {
    String job = "acme/web/2/chunks";
    List<String> written = IntStream.range(0, 3000).mapToObj(i -> "line " + i + " " + "x".repeat(100)).toList();
    try (JobLog log = log(job, JobLog.DEFAULT_CAP_BYTES)) {
      written.forEach(log::line);
      List<LogChunk> stored = chunks(job);
      assertEquals(6, stored.size(), "407 KB of log, before close");
      for (LogChunk chunk : stored) {
        int bytes = chunk.body().length();
        assertTrue(bytes >= JobLog.CHUNK_BYTES && bytes < JobLog.CHUNK_BYTES + 200, "chunk of " + bytes);
      }
    }
    assertEquals(written, texts(job));
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), chunks(job).stream().map(LogChunk::seq).toList());
  }

  @Test
  void theCapKeepsANoticeAndCountsWhatItDrops() {
    String job = "acme/web/3/cap";
    try (JobLog log = log(job, 8 * 1024)) {
      for (int i = 0; i < 200; i++) {
        log.line("output " + "y".repeat(93)); // 100 characters
      }
      log.notice("Process completed with exit code 0.");
      assertTrue(log.bytesWritten() < 8 * 1024 + 300);
    }
    List<String> texts = texts(job);
    int kept = (int) texts.stream().filter(t -> t.startsWith("output ")).count();
    assertEquals(8 * 1024 / 126, kept, "lines of 126 bytes with timestamp and newline");
    assertEquals("##[warning]The log was truncated at 8 KB (configurable: devflow.ci.log-cap); later lines are counted, not kept.",
        texts.get(kept));
    assertEquals("Process completed with exit code 0.", texts.get(kept + 1), "runner notices pass the cap");
    assertEquals("##[warning]" + (200 - kept) + " lines (" + (200 - kept) * 101 + " bytes) were dropped after the log reached 8 KB.",
        texts.get(kept + 2));
    assertEquals(kept + 3, texts.size());
  }

  @Test
  void addMaskMasksLaterLinesAndItself() {
    String job = "acme/web/4/add-mask";
    try (JobLog log = log(job, JobLog.DEFAULT_CAP_BYTES)) {
      log.line("token tok-1234 before the mask");
      log.line("::add-mask::tok-1234");
      log.line("using tok-1234 now");
      log.line("  ::add-mask::first-part%0Asecond-part%25");
      log.line("first-part and second-part% are hidden");
      log.addMask("from-the-runner");
      log.line("from-the-runner");
    }
    assertEquals(List.of(
        "token tok-1234 before the mask",
        "::add-mask::***",
        "using *** now",
        "::add-mask::***",
        "*** and *** are hidden",
        "***"), texts(job));
  }

  @Test
  void aFailedWriteIsRetriedWithTheSameNumber() throws Exception {
    String job = "acme/web/5/retry";
    store.append(job, 1, 1, "in the way\n");
    JobLog log = log(job, JobLog.DEFAULT_CAP_BYTES);
    log.line("first");
    assertThrows(StoreException.class, log::flush);
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM job_log WHERE job = ?")) {
      ps.setString(1, job);
      ps.executeUpdate();
    }
    log.line("second");
    log.close();
    assertEquals(List.of("first", "second"), texts(job));
    assertEquals(List.of(1), chunks(job).stream().map(LogChunk::seq).toList());
  }

  @Test
  void twoStreamsAndAFlusherAtOnce() throws Exception {
    String job = "acme/web/6/threads";
    JobLog log = log(job, JobLog.DEFAULT_CAP_BYTES, "hidden-value");
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread flusher = new Thread(() -> {
      while (writing.get()) {
        log.flush();
      }
    });
    flusher.start();
    List<Thread> writers = new ArrayList<>();
    for (String stream : List.of("out", "err")) {
      Thread t = new Thread(() -> {
        for (int i = 0; i < 5000; i++) {
          log.line(stream + " " + i + " hidden-value");
        }
      });
      t.start();
      writers.add(t);
    }
    for (Thread t : writers) {
      t.join();
    }
    writing.set(false);
    flusher.join();
    log.close();
    List<String> texts = texts(job);
    Set<String> expected = new HashSet<>();
    for (String stream : List.of("out", "err")) {
      for (int i = 0; i < 5000; i++) {
        expected.add(stream + " " + i + " ***");
      }
    }
    assertEquals(10_000, texts.size());
    assertEquals(expected, new HashSet<>(texts));
    List<Integer> seqs = chunks(job).stream().map(LogChunk::seq).toList();
    assertEquals(IntStream.rangeClosed(1, seqs.size()).boxed().toList(), seqs);
  }
}
