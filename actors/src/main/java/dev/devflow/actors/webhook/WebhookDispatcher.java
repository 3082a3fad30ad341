package dev.devflow.actors.webhook;

import dev.devflow.actors.feed.FeedHub;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.webhook.Webhook;
import dev.devflow.persistence.webhook.WebhookStore;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Runs one {@link WebhookWorker} per webhook (a cluster singleton on a {@code core} node). It
 * learns of new feed entries from its node's {@link FeedHub} (every node's hub gets every batch)
 * and wakes the workers of those tenants; it re-reads the webhook list when told a webhook
 * changed and, as a safety net, every {@link WebhookSettings#refreshInterval()}, waking every
 * worker then.
 *
 * <p>A batch its hub never got (the projection did not know the hub yet, or the node had just
 * joined) would otherwise wait for the tenant's next entry or the next refresh: every {@link
 * WebhookSettings#feedCheckInterval()} it also reads the last feed ids of its webhooks' tenants
 * (one small query) and wakes the workers of a tenant whose id moved past what the hub reported.
 */
public final class WebhookDispatcher {

  public sealed interface Command {}

  /** Sent by the API after a webhook was created, changed or deleted. */
  public record Changed(String tenant, String name) implements Command, CrossNodeMessage {}

  private record Refresh() implements Command {}

  private record Loaded(List<Webhook> hooks) implements Command {}

  /** From the hub: the newest id per tenant in a batch. */
  private record EntriesArrived(Map<String, Long> lastIds) implements Command {}

  private record CheckFeed() implements Command {}

  private record FeedChecked(Map<String, Long> lastIds) implements Command {}

  /** Starts the singleton (call on every node); returns the proxy to tell it about changes. */
  public static ActorRef<Command> init(ActorSystem<?> system, FeedHub hub, WebhookStore hooks, FeedStore feed,
      Executor blocking, WebhookSettings settings) {
    HttpClient http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER) // a redirect could point at a private address
        .connectTimeout(settings.timeout())
        .build();
    Behavior<Command> behavior = Behaviors.supervise(Behaviors.<Command>setup(ctx ->
            new WebhookDispatcher(ctx, hub, hooks, feed, http, blocking, settings).start()))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
    return ClusterSingleton.get(system).init(SingletonActor.of(behavior, "webhook-dispatcher")
        .withSettings(ClusterSingletonSettings.create(system).withRole("core")));
  }

  private final ActorContext<Command> ctx;
  private final FeedHub hub;
  private final WebhookStore hooks;
  private final FeedStore feed;
  private final HttpClient http;
  private final Executor blocking;
  private final WebhookSettings settings;
  private final Map<String, ActorRef<WebhookWorker.Command>> workers = new HashMap<>();
  private final Map<String, Webhook> definitions = new HashMap<>();
  private long spawned;
  /** One read of the list at a time: two in flight could finish out of order, the older last. */
  private boolean loading;
  private boolean loadAgain;
  /** The newest feed id per tenant this dispatcher has woken workers for. */
  private final Map<String, Long> lastIds = new HashMap<>();
  private boolean checking;

  private WebhookDispatcher(ActorContext<Command> ctx, FeedHub hub, WebhookStore hooks, FeedStore feed,
      HttpClient http, Executor blocking, WebhookSettings settings) {
    this.ctx = ctx;
    this.hub = hub;
    this.hooks = hooks;
    this.feed = feed;
    this.http = http;
    this.blocking = blocking;
    this.settings = settings;
  }

  private Behavior<Command> start() {
    ActorRef<Command> self = ctx.getSelf();
    Consumer<List<FeedRecord>> listener = entries -> self.tell(new EntriesArrived(
        entries.stream().collect(Collectors.toMap(FeedRecord::tenant, FeedRecord::id, Math::max))));
    hub.addListener(listener);
    self.tell(new Refresh());
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Refresh(), settings.refreshInterval());
      timers.startTimerWithFixedDelay(new CheckFeed(), settings.feedCheckInterval());
      return Behaviors.receive(Command.class)
          .onMessage(Refresh.class, r -> refresh())
          .onMessage(Changed.class, c -> refresh())
          .onMessage(Loaded.class, this::onLoaded)
          .onMessage(EntriesArrived.class, e -> wakeWhereNewer(e.lastIds()))
          .onMessage(CheckFeed.class, c -> checkFeed())
          .onMessage(FeedChecked.class, f -> {
            checking = false;
            return wakeWhereNewer(f.lastIds());
          })
          .onSignal(PostStop.class, s -> {
            hub.removeListener(listener);
            return Behaviors.same();
          })
          .build();
    });
  }

  /** Wakes the workers of every tenant whose newest feed id is past the one last seen. */
  private Behavior<Command> wakeWhereNewer(Map<String, Long> ids) {
    Set<String> moved = ids.entrySet().stream()
        .filter(e -> e.getValue() > lastIds.getOrDefault(e.getKey(), -1L))
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    ids.forEach((tenant, id) -> lastIds.merge(tenant, id, Math::max));
    definitions.forEach((key, h) -> {
      if (moved.contains(h.tenant())) {
        workers.get(key).tell(new WebhookWorker.Wake());
      }
    });
    return Behaviors.same();
  }

  private Behavior<Command> checkFeed() {
    List<String> tenants = definitions.values().stream().map(Webhook::tenant).distinct().toList();
    if (checking || tenants.isEmpty()) {
      return Behaviors.same();
    }
    checking = true;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> feed.lastIds(tenants), blocking), (ids, e) -> {
      if (e != null) {
        ctx.getLog().warn("cannot read the feed's last ids: {}", e.getMessage());
        return new FeedChecked(Map.of());
      }
      return new FeedChecked(ids);
    });
    return Behaviors.same();
  }

  private Behavior<Command> refresh() {
    if (loading) {
      loadAgain = true;
      return Behaviors.same();
    }
    loading = true;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(hooks::all, blocking), (list, e) -> {
      if (e != null) {
        ctx.getLog().warn("cannot read the webhook list: {}", e.getMessage());
        return new Loaded(null);
      }
      return new Loaded(list);
    });
    return Behaviors.same();
  }

  private Behavior<Command> onLoaded(Loaded l) {
    loading = false;
    if (loadAgain) {
      loadAgain = false;
      refresh();
    }
    if (l.hooks() == null) {
      return Behaviors.same();
    }
    Map<String, Webhook> now = new HashMap<>();
    l.hooks().forEach(h -> now.put(key(h.tenant(), h.name()), h));
    for (String key : Set.copyOf(workers.keySet())) {
      if (!now.containsKey(key)) {
        ctx.stop(workers.remove(key));
        definitions.remove(key);
      }
    }
    now.forEach((key, h) -> {
      ActorRef<WebhookWorker.Command> worker = workers.get(key);
      if (worker == null) {
        Behavior<WebhookWorker.Command> w = Behaviors.supervise(
                WebhookWorker.create(h.tenant(), h.name(), hooks, feed, http, blocking, settings))
            .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 0.2));
        // A unique name: a deleted webhook's worker may still be stopping when one of the same name starts.
        workers.put(key, ctx.spawn(w, URLEncoder.encode(key, StandardCharsets.UTF_8) + "-" + (++spawned)));
      } else {
        if (!h.equals(definitions.get(key))) {
          worker.tell(new WebhookWorker.Configure(h));
        }
        // Also when unchanged: a batch the hub never got (a node that had just joined) would
        // otherwise wait for the tenant's next entry.
        worker.tell(new WebhookWorker.Wake());
      }
      definitions.put(key, h);
    });
    return Behaviors.same();
  }

  private static String key(String tenant, String name) {
    return tenant + "/" + name;
  }
}
