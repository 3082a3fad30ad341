package dev.devflow.http;

import dev.devflow.persistence.audit.AuditEntry;
import dev.devflow.persistence.audit.AuditStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit entries off the request thread. A route's response waits for its entry to be
 * stored, so an acknowledged action is always in the log; a failed write is logged and does not
 * fail the action (which has already happened).
 */
public final class AuditLog {

  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final AuditStore store;
  private final Executor blocking;

  public AuditLog(AuditStore store, Executor blocking) {
    this.store = store;
    this.blocking = blocking;
  }

  public CompletionStage<Void> record(AuditEntry entry) {
    return CompletableFuture.runAsync(() -> store.append(List.of(entry)), blocking).exceptionally(e -> {
      log.error("cannot write audit entry {} {} by {}: {}", entry.action(), entry.resource(), entry.actorId(),
          e.getMessage());
      return null;
    });
  }

  public AuditStore store() {
    return store;
  }
}
