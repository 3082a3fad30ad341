package dev.devflow.agents.llm.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * At most {@code limit} model calls in flight per tenant on this node. A caller over the limit is
 * queued (first come, first served) rather than refused, and no thread is parked while it waits:
 * {@link #acquire} completes when a permit is free.
 *
 * <p>Thread-safe.
 */
public final class TenantLimiter {

  /** Given back exactly once, whatever the outcome of the call. */
  public interface Permit {
    void release();
  }

  private final int limit;
  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

  public TenantLimiter(int limit) {
    this.limit = limit;
  }

  public CompletableFuture<Permit> acquire(String tenant) {
    return gates.computeIfAbsent(tenant, t -> new Gate()).acquire();
  }

  /** Calls of the tenant holding a permit now. */
  public int inFlight(String tenant) {
    Gate g = gates.get(tenant);
    return g == null ? 0 : g.inFlight();
  }

  private final class Gate {
    private int inFlight;
    private final ArrayDeque<CompletableFuture<Permit>> waiting = new ArrayDeque<>();

    synchronized int inFlight() {
      return inFlight;
    }

    CompletableFuture<Permit> acquire() {
      CompletableFuture<Permit> f = new CompletableFuture<>();
      synchronized (this) {
        if (inFlight >= limit) {
          waiting.add(f);
          return f;
        }
        inFlight++;
      }
      f.complete(permit());
      return f;
    }

    private Permit permit() {
      AtomicBoolean released = new AtomicBoolean();
      return () -> {
        if (released.compareAndSet(false, true)) {
          handOver();
        }
      };
    }

    /** Passes the permit to the next waiter, or frees it. Completes outside the lock. */
    private void handOver() {
      CompletableFuture<Permit> next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          inFlight--;
          return;
        }
      }
      next.complete(permit());
    }
  }
}
