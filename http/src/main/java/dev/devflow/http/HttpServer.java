package dev.devflow.http;

import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Binds the API's route tree and ties the binding to CoordinatedShutdown: on shutdown the node
 * stops accepting connections first, then gives in-flight requests up to the drain timeout.
 */
public final class HttpServer {

  private HttpServer() {}

  /** Thrown when the port cannot be bound (in use, not permitted). */
  public static final class BindFailedException extends RuntimeException {
    BindFailedException(String host, int port, Throwable cause) {
      super("cannot listen on " + host + ":" + port + ": " + describe(cause), cause);
    }

    private static String describe(Throwable t) {
      Throwable root = t;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      return root instanceof BindException ? "address already in use or not permitted" : String.valueOf(root.getMessage());
    }
  }

  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, String host, int port, Route route, Duration drain) {
    return Http.get(system)
        .newServerAt(host, port)
        .bind(route)
        .handle(
            (binding, error) -> {
              if (error != null) {
                throw new BindFailedException(host, port, error);
              }
              system.log().info("HTTP API listening on {}", binding.localAddress());
              CoordinatedShutdown cs = CoordinatedShutdown.get(system);
              cs.addTask(
                  CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind", () -> binding.unbind().thenApply(d -> Done.getInstance()));
              cs.addTask(
                  CoordinatedShutdown.PhaseServiceRequestsDone(),
                  "http-drain",
                  () -> binding.terminate(drain).thenApply(t -> Done.getInstance()));
              return binding;
            });
  }
}
