package dev.devflow.http;

import java.time.Duration;

/**
 * How many failed authentications one source address may make within {@code window} before it
 * waits; the wait doubles with each further failure, up to {@code maxBackoff}. {@code max} 0 = off.
 */
public record AuthFailureLimit(int max, Duration window, Duration maxBackoff) {}
