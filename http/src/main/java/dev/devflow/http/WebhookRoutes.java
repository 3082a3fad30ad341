package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.Names;
import dev.devflow.actors.feed.FeedTypes;
import dev.devflow.actors.tenant.Role;
import dev.devflow.actors.webhook.WebhookDispatcher;
import dev.devflow.actors.webhook.WebhookTargets;
import dev.devflow.persistence.webhook.Webhook;
import dev.devflow.persistence.webhook.WebhookDelivery;
import dev.devflow.persistence.webhook.WebhookStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tenants/{t}/webhooks/{name}}: create or replace (PUT), read, list, delete, and the
 * delivery log. Admin tokens only: a webhook sends the tenant's events to any URL. The secret is
 * write-only; responses never contain it.
 */
public final class WebhookRoutes extends ApiDirectives {

  /** PUT body. {@code types} null or empty means every type. */
  public record PutWebhook(String url, List<String> types, String secret) {}

  public record WebhookView(String name, String url, List<String> types, Instant createdAt, Instant updatedAt) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeliveryView(
      String deliveryId, long eventId, String type, int attempt, String outcome, Integer statusCode,
      String error, int durationMs, Instant at) {}

  private static final int MAX_DELIVERIES = 100;

  private final WebhookStore store;
  private final ActorRef<WebhookDispatcher.Command> dispatcher;
  private final boolean allowPrivateTargets;
  private final Executor blocking;

  public WebhookRoutes(ActorSystem<?> system, Authenticator authenticator, WebhookStore store,
      ActorRef<WebhookDispatcher.Command> dispatcher, boolean allowPrivateTargets, long maxBodyBytes) {
    super(authenticator, maxBodyBytes);
    this.store = store;
    this.dispatcher = dispatcher;
    this.allowPrivateTargets = allowPrivateTargets;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return pathPrefix("webhooks", () -> concat(
        pathEnd(() -> label("/api/v1/tenants/{t}/webhooks", () ->
            get(() -> admin(t, () -> completeAsync(blocking(() -> store.list(t)),
                list -> completeJson(StatusCodes.OK, Map.of("items", list.stream().map(WebhookRoutes::view).toList()))))))),
        pathPrefix(PathMatchers.segment(), name -> concat(
            pathEnd(() -> label("/api/v1/tenants/{t}/webhooks/{name}", () -> concat(
                put(() -> audited(t, "webhook.put", "webhooks/" + name, () -> put(t, name))),
                get(() -> admin(t, () -> completeAsync(blocking(() -> store.get(t, name)),
                    hook -> completeJson(StatusCodes.OK, view(found(t, name, hook)))))),
                delete(() -> audited(t, "webhook.delete", "webhooks/" + name, () -> delete(t, name)))))),
            path("deliveries", () -> label("/api/v1/tenants/{t}/webhooks/{name}/deliveries", () ->
                get(() -> admin(t, () -> deliveries(t, name)))))))));
  }

  private Route admin(String t, java.util.function.Supplier<Route> inner) {
    return authenticated(p -> tenantScope(p, t, Role.ADMIN, inner));
  }

  private Route audited(String t, String action, String resource, java.util.function.Supplier<Route> inner) {
    return authenticated(p -> audited(p, t, action, resource, () -> tenantScope(p, t, Role.ADMIN, inner)));
  }

  private Route put(String t, String name) {
    if (!Names.isValid(name)) {
      throw ProblemException.invalid("name", "name must match " + Names.PATTERN.pattern());
    }
    return jsonBody(PutWebhook.class, body -> {
      List<String> types = body.types() == null ? List.of() : body.types();
      for (String type : types) {
        FeedTypes.Filter filter = FeedTypes.parse(type);
        if (type == null || type.contains(",") || filter.unknown().isPresent()) {
          throw ProblemException.invalid("types", "unknown event type '" + type + "'; valid types: "
              + String.join(", ", FeedTypes.ALL) + " (a trailing * matches a prefix)");
        }
      }
      if (body.secret() == null || body.secret().isEmpty() || body.secret().length() > 256) {
        throw ProblemException.invalid("secret", "secret is required (1 to 256 characters): receivers verify "
            + "X-DevFlow-Signature with it");
      }
      if (body.url() == null || body.url().length() > 2048) {
        throw ProblemException.invalid("url", "url is required (at most 2048 characters)");
      }
      return completeAsync(blocking(() -> {
        Optional<String> refusal = WebhookTargets.refusal(body.url(), allowPrivateTargets);
        if (refusal.isPresent()) {
          throw ProblemException.invalid("url", refusal.get());
        }
        boolean created = store.put(t, name, body.url(), types, body.secret());
        dispatcher.tell(new WebhookDispatcher.Changed(t, name));
        return created;
      }), created -> completeAsync(blocking(() -> store.get(t, name)), hook ->
          completeJson(created ? StatusCodes.CREATED : StatusCodes.OK, view(found(t, name, hook)))));
    });
  }

  private Route delete(String t, String name) {
    return completeAsync(blocking(() -> store.delete(t, name)), deleted -> {
      if (!deleted) {
        throw notFound(t, name);
      }
      dispatcher.tell(new WebhookDispatcher.Changed(t, name));
      return complete(StatusCodes.NO_CONTENT);
    });
  }

  private Route deliveries(String t, String name) {
    return completeAsync(blocking(() -> {
      found(t, name, store.get(t, name));
      return store.deliveries(t, name, MAX_DELIVERIES);
    }), list -> completeJson(StatusCodes.OK, Map.of("items", list.stream().map(WebhookRoutes::view).toList())));
  }

  private <T> CompletableFuture<T> blocking(java.util.function.Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, blocking);
  }

  private static Webhook found(String t, String name, Optional<Webhook> hook) {
    return hook.orElseThrow(() -> notFound(t, name));
  }

  private static ProblemException notFound(String t, String name) {
    return ProblemException.notFound("webhook " + t + "/" + name + " not found");
  }

  private static WebhookView view(Webhook h) {
    return new WebhookView(h.name(), h.url(), h.types(), h.createdAt(), h.updatedAt());
  }

  private static DeliveryView view(WebhookDelivery d) {
    return new DeliveryView(d.deliveryId(), d.eventId(), d.type(), d.attempt(), d.outcome(), d.statusCode(),
        d.error(), d.durationMs(), d.at());
  }
}
