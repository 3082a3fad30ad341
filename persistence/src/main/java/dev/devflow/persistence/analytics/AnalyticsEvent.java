package dev.devflow.persistence.analytics;

import java.time.Instant;

/**
 * One analytics event of a tenant's user (a conversion goal such as {@code checkout}).
 *
 * @param event the event name
 * @param userId the user it happened to, as the flags' context knows them
 * @param properties a JSON object as text, or null
 * @param occurredAt when it happened (the client's clock; the server keeps when it arrived apart)
 */
public record AnalyticsEvent(String event, String userId, String properties, Instant occurredAt) {}
