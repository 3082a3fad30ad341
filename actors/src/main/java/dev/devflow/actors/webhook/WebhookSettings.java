package dev.devflow.actors.webhook;

import java.time.Duration;

/**
 * Delivery settings: whether private targets are allowed (tests, on-premise receivers), the
 * per-request timeout, how long a failing event is retried, the back-off bounds, how often the
 * dispatcher re-reads the webhook list (changes made through the API also tell it at once), and how
 * often it looks for feed entries its node's hub did not report.
 */
public record WebhookSettings(
    boolean allowPrivateTargets, Duration timeout, Duration retryFor, Duration backoffMin, Duration backoffMax,
    Duration refreshInterval, Duration feedCheckInterval) {

  /** Back-off before attempt {@code attempt + 1}: doubling from the minimum, capped. */
  Duration backoff(int attempt) {
    long ms = backoffMin.toMillis() << Math.min(attempt - 1, 30);
    return Duration.ofMillis(Math.min(ms < 0 ? Long.MAX_VALUE : ms, backoffMax.toMillis()));
  }
}
