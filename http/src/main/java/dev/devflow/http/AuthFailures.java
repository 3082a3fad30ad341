package dev.devflow.http;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Back-off for failed authentication, per source address: guessing tokens from one address slows
 * to a crawl, while callers from any other address — the tenant's CI, its other users — are not
 * affected (a limit per tenant or per token would let one address lock a tenant out).
 *
 * <p>After {@code max} failures within {@code window} an address waits 1 s, and each further
 * failure doubles the wait up to {@code maxBackoff}. While it waits, its requests are refused
 * with 429 before any token is checked, valid or not — otherwise the wait would not slow a guesser
 * down. A success does not reset the count: a guesser holding one valid token could otherwise
 * reset it between guesses. A whole window without failures does.
 *
 * <p>Thread-safe. Memory is bounded: past {@value #MAX_ADDRESSES} addresses, those that are
 * neither waiting nor failed within the window are dropped (all of them only if that is not
 * enough). The state is this node's: behind a load balancer a guesser spread over N nodes gets N
 * times the attempts.
 */
public final class AuthFailures {

  private static final int MAX_ADDRESSES = 100_000;

  private record State(long lastFailure, int failures, long blockedUntil) {}

  private final AuthFailureLimit limit;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();

  public AuthFailures(AuthFailureLimit limit) {
    this(limit, System::nanoTime);
  }

  AuthFailures(AuthFailureLimit limit, LongSupplier nanoClock) {
    this.limit = limit;
    this.clock = nanoClock;
  }

  /** How long the address must still wait, if it must. */
  public Optional<Duration> waitFor(String address) {
    if (limit.max() <= 0 || address == null) {
      return Optional.empty();
    }
    State s = states.get(address);
    long now = clock.getAsLong();
    if (s == null || s.blockedUntil - now <= 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(s.blockedUntil - now));
  }

  /** Counts a failed authentication from the address. */
  public void failed(String address) {
    if (limit.max() <= 0 || address == null) {
      return;
    }
    long now = clock.getAsLong();
    long window = limit.window().toNanos();
    if (states.size() >= MAX_ADDRESSES) {
      states.values().removeIf(s -> now - s.lastFailure > window && s.blockedUntil - now <= 0);
      if (states.size() >= MAX_ADDRESSES) {
        states.clear();
      }
    }
    states.compute(address, (a, s) -> {
      if (s == null || now - s.lastFailure > window && s.blockedUntil - now <= 0) {
        s = new State(now, 0, now);
      }
      int failures = s.failures + 1;
      long blockedUntil = s.blockedUntil;
      if (failures > limit.max()) {
        int doublings = Math.min(failures - limit.max() - 1, 30);
        long wait = Math.min(Duration.ofSeconds(1).toNanos() << doublings, limit.maxBackoff().toNanos());
        blockedUntil = now + wait;
      }
      return new State(now, failures, blockedUntil);
    });
  }
}
