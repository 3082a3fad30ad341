package dev.devflow.persistence.audit;

import java.time.Instant;

/**
 * One audited action: who (token id and name), what (action on resource), when, from where, and
 * how it ended ({@code ok}, {@code denied} or {@code failed}, with the HTTP status when there is
 * one). {@code tenant} is null for cluster-level actions; {@code id} is 0 before it is stored.
 */
public record AuditEntry(
    long id, String tenant, Instant at, String actorId, String actorName, String action, String resource,
    String remote, String result, Integer status) {

  public static AuditEntry of(
      String tenant, String actorId, String actorName, String action, String resource, String remote, int status) {
    return new AuditEntry(0, tenant, Instant.now(), actorId, actorName, action, resource, remote, resultOf(status),
        status);
  }

  /** ok for 2xx/3xx; denied when authentication or authorisation refused it; failed otherwise. */
  public static String resultOf(int status) {
    if (status < 400) {
      return "ok";
    }
    return switch (status) {
      case 401, 403, 404, 429 -> "denied";
      default -> "failed";
    };
  }
}
