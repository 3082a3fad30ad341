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

  /**
   * ok for 2xx/3xx; denied when authorisation refused it (403; the caller decides for a 404 that
   * hides another tenant); failed otherwise (bad input, not found, conflict, errors).
   */
  public static String resultOf(int status) {
    if (status < 400) {
      return "ok";
    }
    return status == 403 ? "denied" : "failed";
  }

  public AuditEntry withResult(String result) {
    return new AuditEntry(id, tenant, at, actorId, actorName, action, resource, remote, result, status);
  }
}
