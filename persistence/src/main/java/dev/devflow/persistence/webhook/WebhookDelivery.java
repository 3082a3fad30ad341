package dev.devflow.persistence.webhook;

import java.time.Instant;

/**
 * One delivery attempt. {@code outcome}: {@code delivered} (2xx), {@code retrying} (failed, will be
 * tried again), {@code failed} (failed for the last time; the webhook moves on).
 * {@code statusCode} is null when no response came (timeout, refused, forbidden address).
 */
public record WebhookDelivery(
    String deliveryId, long eventId, String type, int attempt, String outcome, Integer statusCode,
    String error, int durationMs, Instant at) {

  public static final String DELIVERED = "delivered";
  public static final String RETRYING = "retrying";
  public static final String FAILED = "failed";

  /** Whether the webhook is done with this event (its cursor moves past it). */
  public boolean isFinal() {
    return !RETRYING.equals(outcome);
  }
}
