package dev.devflow.actors.flag.experiment;

import dev.devflow.actors.flag.FlagEvaluation;
import dev.devflow.persistence.analytics.Exposure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.dispatch.ExecutionContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects flag exposures from every evaluation and writes them in batches (to
 * {@code AnalyticsStore::recordExposures}). {@link #record} is what the evaluate API calls for every
 * user who gets a variant, so it never blocks and costs well under a microsecond:
 *
 * <ul>
 *   <li>a user already recorded recently for the same tenant and flag is skipped: a fixed table of
 *       64-bit fingerprints of (tenant, flag, user) in buckets of four (32 bytes), where a
 *       new key takes a free place or pushes out a resident of its bucket. It only saves writes;
 *       the store keeps the earliest exposure per user whatever arrives, so a key that was pushed
 *       out and recorded again changes nothing;
 *   <li>what is not skipped goes to an unbounded lock-free queue guarded by a counter: over
 *       {@code maxPending} the exposure is dropped and counted ({@link #dropped()}), never waited
 *       for.
 * </ul>
 *
 * <p>A flush drains the queue in batches of {@code batchSize} into the sink; ticks run every
 * {@code flushInterval} on the executor given to {@link #start} (blocking JDBC belongs on the blocking
 * dispatcher), one flush at a time. A batch the sink refuses is retried at the next tick, up to
 * three attempts, then counted in {@link #failed()}; its users are forgotten by the de-duplication so
 * that their next evaluation records them again. {@link #close} stops the ticks and flushes what is
 * left on the calling thread.
 *
 * <p>Thread-safe.
 */
public final class ExposureRecorder implements FlagEvaluation.ExposureSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ExposureRecorder.class);

  /** Longest values the exposure table takes; longer ones are dropped (and counted). */
  static final int MAX_NAME = 64;
  static final int MAX_VARIANT = 255;
  static final int MAX_USER = 255;
  private static final int MAX_ATTEMPTS = 3;
  /** Places per bucket of the recently-recorded table. */
  private static final int BUCKET = 4;

  /**
   * @param flushInterval how often the buffer is written
   * @param batchSize exposures per write
   * @param maxPending exposures buffered at most; more are dropped
   * @param dedupSlots places in the recently-recorded table (rounded up to a power of two, at least
   *     4; 8 bytes each): several times the (tenant, flag, user) keys a node sees in a day skips
   *     nearly every repeat
   */
  public record Settings(Duration flushInterval, int batchSize, int maxPending, int dedupSlots) {
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(1), 5_000, 100_000, 1 << 20);

    public Settings {
      if (flushInterval.isNegative() || flushInterval.isZero() || batchSize < 1 || maxPending < 1 || dedupSlots < 1) {
        throw new IllegalArgumentException("invalid exposure recorder settings " + this);
      }
    }
  }

  private record Pending(String tenant, String flag, String variant, String userId, long atMillis, long fingerprint,
      int attempts) {}

  private final Consumer<List<Exposure>> sink;
  private final Settings settings;
  private final AtomicLongArray seen;
  private final int mask;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final ReentrantLock flushing = new ReentrantLock();
  private final LongAdder recorded = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder written = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private volatile boolean closed;
  private volatile Cancellable ticks;

  /** A recorder that flushes only when {@link #flush} or {@link #close} is called. */
  public ExposureRecorder(Consumer<List<Exposure>> sink, Settings settings) {
    this.sink = sink;
    this.settings = settings;
    int slots = Integer.highestOneBit(Math.max(BUCKET, settings.dedupSlots()) - 1) << 1;
    this.seen = new AtomicLongArray(Math.min(slots, 1 << 30));
    this.mask = seen.length() - 1;
  }

  /** A recorder that flushes every {@code flushInterval} on {@code executor}. */
  public static ExposureRecorder start(
      Scheduler scheduler, Executor executor, Consumer<List<Exposure>> sink, Settings settings) {
    ExposureRecorder r = new ExposureRecorder(sink, settings);
    r.ticks = scheduler.scheduleWithFixedDelay(settings.flushInterval(), settings.flushInterval(), r::tick,
        ExecutionContexts.fromExecutor(executor));
    return r;
  }

  @Override
  public void exposed(String tenant, String flag, String variant, String userId) {
    record(tenant, flag, variant, userId);
  }

  /** Notes that {@code userId} got {@code variant} of {@code flag} now. Never blocks. */
  public void record(String tenant, String flag, String variant, String userId) {
    if (closed || tenant == null || flag == null || variant == null || userId == null
        || tenant.length() > MAX_NAME || flag.length() > MAX_NAME || variant.length() > MAX_VARIANT
        || userId.isEmpty() || userId.length() > MAX_USER) {
      dropped.increment();
      return;
    }
    long fp = fingerprint(tenant, flag, userId);
    int bucket = bucket(fp);
    int free = -1;
    for (int i = bucket; i < bucket + BUCKET; i++) {
      long resident = seen.get(i);
      if (resident == fp) {
        duplicates.increment();
        return;
      }
      if (resident == 0 && free < 0) {
        free = i;
      }
    }
    if (pending.incrementAndGet() > settings.maxPending()) {
      pending.decrementAndGet();
      dropped.increment();
      return;
    }
    // A full bucket gives up the place the fingerprint's top bits pick (no bookkeeping to keep).
    seen.lazySet(free >= 0 ? free : bucket + (int) (fp >>> 62), fp);
    queue.add(new Pending(tenant, flag, variant, userId, System.currentTimeMillis(), fp, 0));
    recorded.increment();
  }

  /** Writes everything buffered, batch by batch; stops at the first batch the sink refuses. */
  public void flush() {
    flushing.lock();
    try {
      drain();
    } finally {
      flushing.unlock();
    }
  }

  /** A scheduled flush: skipped while another one runs. */
  private void tick() {
    if (flushing.tryLock()) {
      try {
        drain();
      } catch (RuntimeException e) {
        log.warn("exposure flush failed: {}", e.toString());
      } finally {
        flushing.unlock();
      }
    }
  }

  /** Writes at most what was buffered when it began, so that a busy node's flush ends. */
  private void drain() {
    int budget = Math.max(pending.get(), settings.batchSize());
    while (budget > 0) {
      List<Pending> batch = new ArrayList<>(Math.min(settings.batchSize(), budget));
      Pending p;
      while (batch.size() < settings.batchSize() && (p = queue.poll()) != null) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        return;
      }
      budget -= batch.size();
      pending.addAndGet(-batch.size());
      try {
        sink.accept(batch.stream().map(x -> new Exposure(x.tenant(), x.flag(), x.variant(), x.userId(),
            Instant.ofEpochMilli(x.atMillis()))).toList());
        written.add(batch.size());
      } catch (RuntimeException e) {
        log.warn("cannot write {} flag exposures: {}", batch.size(), e.toString());
        requeue(batch);
        return;
      }
    }
  }

  /** Puts a refused batch back for the next flush, unless it has had its attempts or there is no room. */
  private void requeue(List<Pending> batch) {
    for (Pending p : batch) {
      boolean again = p.attempts() + 1 < MAX_ATTEMPTS;
      if (again && pending.incrementAndGet() <= settings.maxPending()) {
        queue.add(new Pending(p.tenant(), p.flag(), p.variant(), p.userId(), p.atMillis(), p.fingerprint(),
            p.attempts() + 1));
        continue;
      }
      if (again) {
        pending.decrementAndGet();
      }
      failed.increment();
      forget(p.fingerprint());
    }
  }

  /** Stops the ticks and writes what is buffered; later exposures are dropped. Idempotent. */
  @Override
  public void close() {
    closed = true;
    Cancellable t = ticks;
    if (t != null) {
      t.cancel();
    }
    flush();
    // A batch the sink refused at close gets no later tick: try its remaining attempts now.
    for (int i = 1; i < MAX_ATTEMPTS && pending.get() > 0; i++) {
      flush();
    }
  }

  /** Exposures taken into the buffer (not skipped, not dropped). */
  public long recorded() {
    return recorded.sum();
  }

  /** Exposures skipped because the same user was recorded recently for the flag. */
  public long duplicates() {
    return duplicates.sum();
  }

  /** Exposures not taken: buffer full, closed, or values too long for the table. */
  public long dropped() {
    return dropped.sum();
  }

  /** Exposures the sink accepted. */
  public long written() {
    return written.sum();
  }

  /** Exposures given up after the sink refused them {@value #MAX_ATTEMPTS} times. */
  public long failed() {
    return failed.sum();
  }

  /** Exposures waiting for the next flush. */
  public int pending() {
    return pending.get();
  }

  /** The first place of the fingerprint's bucket. */
  private int bucket(long fp) {
    return (int) (fp ^ (fp >>> 32)) & mask & ~(BUCKET - 1);
  }

  private void forget(long fp) {
    int bucket = bucket(fp);
    for (int i = bucket; i < bucket + BUCKET; i++) {
      seen.compareAndSet(i, fp, 0);
    }
  }

  /** FNV-1a over the three strings with separators, then a 64-bit finalizer; never 0 (the empty slot). */
  static long fingerprint(String tenant, String flag, String userId) {
    long h = 0xcbf29ce484222325L;
    h = fnv(h, tenant);
    h = (h ^ 0xffff) * 0x100000001b3L;
    h = fnv(h, flag);
    h = (h ^ 0xffff) * 0x100000001b3L;
    h = fnv(h, userId);
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }

  private static long fnv(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }
}
