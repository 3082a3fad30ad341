package dev.devflow.cluster;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A started node: its actor system, the HTTP port once bound, and the admin token if this start
 * created it. Closing runs CoordinatedShutdown (leave the cluster, hand over shards, drain HTTP)
 * and then releases the database pool and the embedded PostgreSQL.
 */
public final class RunningNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final NodeSettings settings;
  private final Database db;
  private final Optional<String> createdAdminToken;
  private final CompletableFuture<Integer> httpPort = new CompletableFuture<>();
  private final CompletableFuture<Void> released = new CompletableFuture<>();

  RunningNode(
      ActorSystem<Void> system,
      NodeSettings settings,
      Database db,
      EmbeddedDatabase embedded,
      Optional<String> createdAdminToken) {
    this.system = system;
    this.settings = settings;
    this.db = db;
    this.createdAdminToken = createdAdminToken;
  }

  /** The node's own connection pool (tools and tests inspect the database through it). */
  public Database database() {
    return db;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public NodeSettings settings() {
    return settings;
  }

  /** The admin token in clear, only on the start that created it. */
  public Optional<String> createdAdminToken() {
    return createdAdminToken;
  }

  /** Completes with the bound HTTP port (0 when the node has no api role), or the bind failure. */
  public CompletableFuture<Integer> httpPort() {
    return httpPort;
  }

  /** Completes when the database pool and the embedded PostgreSQL are closed. */
  public CompletableFuture<Void> released() {
    return released;
  }

  public String baseUrl() {
    return "http://" + settings.httpHost() + ":" + httpPort.join();
  }

  void started(int port) {
    httpPort.complete(port);
  }

  void startFailed(Throwable error) {
    httpPort.completeExceptionally(error);
    system.terminate();
  }

  void releaseResources(Database db, EmbeddedDatabase embedded) {
    try {
      Node.close(db, embedded);
    } finally {
      released.complete(null);
    }
  }

  /** Graceful stop; returns when everything is released (at most about a minute). */
  @Override
  public void close() {
    CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason());
    try {
      released.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not stop within 60 s", e);
    }
  }
}
