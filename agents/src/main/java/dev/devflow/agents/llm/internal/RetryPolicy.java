package dev.devflow.agents.llm.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before the next attempt on the same model: the server's Retry-After when it
 * sent one (capped, so a server cannot park a call for an hour), else exponential back-off with
 * jitter so that calls failing together do not retry together. Stateless and thread-safe.
 */
public record RetryPolicy(int maxAttempts, Duration backoffMin, Duration backoffMax) {

  /** The wait after {@code failedAttempts} failed attempts (1 = after the first). */
  public Duration delay(int failedAttempts, Optional<Duration> retryAfter) {
    if (retryAfter.isPresent()) {
      return min(retryAfter.get(), backoffMax);
    }
    long ms = backoffMin.toMillis() << Math.min(Math.max(failedAttempts - 1, 0), 30);
    long capped = Math.min(ms < 0 ? Long.MAX_VALUE : ms, backoffMax.toMillis());
    // "Equal jitter": between half and all of the exponential step.
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }

  /**
   * A Retry-After value: seconds (decimals allowed) or an HTTP date; empty when absent or
   * unreadable. {@code retryAfterMs} is OpenAI's millisecond variant and wins when present.
   */
  public static Optional<Duration> retryAfter(String retryAfter, String retryAfterMs, Instant now) {
    try {
      if (retryAfterMs != null && !retryAfterMs.isBlank()) {
        return Optional.of(nonNegative(Duration.ofMillis((long) Double.parseDouble(retryAfterMs.trim()))));
      }
    } catch (NumberFormatException e) {
      // fall through to Retry-After
    }
    if (retryAfter == null || retryAfter.isBlank()) {
      return Optional.empty();
    }
    String v = retryAfter.trim();
    try {
      return Optional.of(nonNegative(Duration.ofMillis((long) (Double.parseDouble(v) * 1000))));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        return Optional.of(nonNegative(Duration.between(now, at)));
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
