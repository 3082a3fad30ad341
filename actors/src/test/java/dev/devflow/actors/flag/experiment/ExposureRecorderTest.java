package dev.devflow.actors.flag.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.analytics.Exposure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The exposure buffer: what reaches the sink, de-duplication, the memory cap, retries of refused
 * batches, scheduled flushes, close, and many threads recording at once.
 */
class ExposureRecorderTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static ExposureRecorder.Settings settings(int batchSize, int maxPending) {
    return new ExposureRecorder.Settings(Duration.ofMillis(50), batchSize, maxPending, 1 << 16);
  }

  /** Collects what the recorder writes; can be told to refuse the next {@code failures} batches. */
  static final class Sink implements Consumer<List<Exposure>> {
    final List<List<Exposure>> batches = new CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();

    @Override
    public void accept(List<Exposure> batch) {
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IllegalStateException("database down");
      }
      batches.add(List.copyOf(batch));
    }

    List<Exposure> all() {
      return batches.stream().flatMap(List::stream).toList();
    }
  }

  @Test
  void exposuresReachTheSinkWithTheirTime() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 1000));
    Instant before = Instant.now().minusMillis(1);
    r.record("acme", "checkout", "blue", "u1");
    r.record("acme", "checkout", "control", "u2");
    r.record("other", "checkout", "blue", "u1");
    r.record("acme", "signup", "blue", "u1");
    assertEquals(4, r.pending());
    assertEquals(List.of(), sink.all());
    r.flush();
    List<Exposure> got = sink.all();
    assertEquals(List.of("acme/checkout/blue/u1", "acme/checkout/control/u2", "other/checkout/blue/u1",
        "acme/signup/blue/u1"), got.stream().map(x -> x.tenant() + "/" + x.flag() + "/" + x.variant() + "/" + x.userId()).toList());
    assertTrue(got.stream().allMatch(x -> !x.exposedAt().isBefore(before) && !x.exposedAt().isAfter(Instant.now())));
    assertEquals(0, r.pending());
    assertEquals(4, r.written());
  }

  @Test
  void aUserRecordedRecentlyForTheSameFlagIsSkipped() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 1000));
    r.record("acme", "checkout", "blue", "u1");
    r.record("acme", "checkout", "blue", "u1");
    r.record("acme", "checkout", "control", "u1");   // the first exposure counts, whatever came later
    r.flush();
    r.record("acme", "checkout", "blue", "u1");      // still remembered after the flush
    r.flush();
    assertEquals(1, sink.all().size());
    assertEquals("blue", sink.all().get(0).variant());
    assertEquals(1, r.recorded());
    assertEquals(3, r.duplicates());
  }

  @Test
  void usersSeenAgainAndAgainAreRecordedOnceWhileTheTableHasRoom() {
    // 10,000 keys in 65,536 places, twenty passes. With one place per key, the keys that share
    // theirs push each other out and are recorded again on every pass (36,866 records with these
    // keys); in buckets of four only a handful do (10,191).
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, new ExposureRecorder.Settings(Duration.ofMillis(50), 100_000,
        1_000_000, 1 << 16));
    for (int pass = 0; pass < 20; pass++) {
      for (int u = 0; u < 10_000; u++) {
        r.record("acme", "f", "a", "user-" + u);
      }
    }
    assertTrue(r.recorded() < 10_500, r.recorded() + " recorded for 10,000 users");
    assertEquals(200_000, r.recorded() + r.duplicates());
    r.flush();
    assertEquals(10_000, new HashSet<>(sink.all().stream().map(Exposure::userId).toList()).size());
  }

  @Test
  void batchesAreAtMostTheBatchSize() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(7, 1000));
    for (int i = 0; i < 30; i++) {
      r.record("acme", "f", "a", "u" + i);
    }
    r.flush();
    assertEquals(List.of(7, 7, 7, 7, 2), sink.batches.stream().map(List::size).toList());
    assertEquals(30, new HashSet<>(sink.all().stream().map(Exposure::userId).toList()).size());
  }

  @Test
  void overTheCapExposuresAreDroppedAndCountedNotWaitedFor() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 10));
    for (int i = 0; i < 15; i++) {
      r.record("acme", "f", "a", "u" + i);
    }
    assertEquals(10, r.pending());
    assertEquals(5, r.dropped());
    r.flush();
    assertEquals(10, sink.all().size());
    // A dropped user was not remembered: the next evaluation records them.
    r.record("acme", "f", "a", "u14");
    r.flush();
    assertEquals(11, sink.all().size());
  }

  @Test
  void valuesTooLongForTheTableAreDropped() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 10));
    r.record("acme", "f", "a", "u".repeat(ExposureRecorder.MAX_USER + 1));
    r.record("acme", "f".repeat(65), "a", "u");
    r.record("acme", "f", "a", "");
    r.record("acme", "f", "a", null);
    assertEquals(4, r.dropped());
    assertEquals(0, r.pending());
  }

  @Test
  void aRefusedBatchIsRetriedThenGivenUpAndItsUsersForgotten() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 1000));
    r.record("acme", "f", "a", "u1");
    sink.failures.set(1);
    r.flush();
    assertEquals(1, r.pending());
    r.flush();
    assertEquals(List.of("u1"), sink.all().stream().map(Exposure::userId).toList());
    assertEquals(0, r.failed());

    r.record("acme", "f", "a", "u2");
    sink.failures.set(3);
    r.flush();
    r.flush();
    r.flush();
    assertEquals(0, r.pending());
    assertEquals(1, r.failed());
    r.record("acme", "f", "a", "u2");                  // forgotten, so recorded again
    r.flush();
    assertEquals(List.of("u1", "u2"), sink.all().stream().map(Exposure::userId).toList());
  }

  @Test
  void scheduledFlushesWriteWithoutBeingAskedAndCloseWritesTheRest() throws Exception {
    Sink sink = new Sink();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      ExposureRecorder r = ExposureRecorder.start(testKit.system().scheduler(), executor, sink, settings(100, 1000));
      r.record("acme", "f", "a", "u1");
      awaitTrue(() -> sink.all().size() == 1, "the tick writes");
      r.close();
      r.record("acme", "f", "a", "u2");
      assertEquals(1, r.dropped(), "closed: dropped");

      ExposureRecorder slow = ExposureRecorder.start(testKit.system().scheduler(), executor, sink,
          new ExposureRecorder.Settings(Duration.ofHours(1), 100, 1000, 64));
      slow.record("acme", "f", "a", "u3");
      slow.close();
      assertEquals(List.of("u1", "u3"), sink.all().stream().map(Exposure::userId).toList());
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void closeRetriesABatchTheSinkRefusedOnce() {
    Sink sink = new Sink();
    ExposureRecorder r = new ExposureRecorder(sink, settings(100, 1000));
    r.record("acme", "f", "a", "u1");
    sink.failures.set(1);
    r.close();
    assertEquals(1, sink.all().size());
  }

  @Test
  void manyThreadsRecordAtOnceWithoutLosingAUserAndInMicroseconds() throws Exception {
    Set<String> written = ConcurrentHashMap.newKeySet();
    AtomicInteger writes = new AtomicInteger();
    Consumer<List<Exposure>> sink = batch -> {
      writes.addAndGet(batch.size());
      batch.forEach(x -> written.add(x.tenant() + "/" + x.flag() + "/" + x.userId()));
    };
    ExecutorService flusher = Executors.newSingleThreadExecutor();
    ExposureRecorder r = ExposureRecorder.start(testKit.system().scheduler(), flusher, sink,
        new ExposureRecorder.Settings(Duration.ofMillis(10), 1000, 1_000_000, 1 << 20));
    int threads = 4;
    int perThread = 200_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    long[] nanos = new long[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < perThread; i++) {
          // 20,000 users, two tenants, two flags: most evaluations repeat a user.
          int user = (i * 7 + id) % 20_000;
          r.record(i % 2 == 0 ? "acme" : "beta", i % 3 == 0 ? "f" : "g", "v", "user-" + user);
        }
        nanos[id] = System.nanoTime() - t0;
      });
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) {
      w.join();
    }
    r.close();
    flusher.shutdownNow();
    Set<String> expected = new HashSet<>();
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        expected.add((i % 2 == 0 ? "acme" : "beta") + "/" + (i % 3 == 0 ? "f" : "g") + "/user-" + ((i * 7 + t) % 20_000));
      }
    }
    assertEquals(expected, written);
    assertEquals(0, r.dropped());
    assertEquals((long) threads * perThread, r.recorded() + r.duplicates());
    assertEquals(r.recorded(), writes.get());
    double microsPerRecord = java.util.Arrays.stream(nanos).max().orElseThrow() / 1000.0 / perThread;
    System.out.printf("ExposureRecorder.record: %.3f µs per call (%d threads)%n", microsPerRecord, threads);
    // Generous: the bound guards against a lock or a blocking call sneaking in, not a benchmark.
    assertTrue(microsPerRecord < 20, microsPerRecord + " µs per record");
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }
}
