package dev.devflow.actors.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.feed.FeedTypes;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.webhook.Webhook;
import dev.devflow.persistence.webhook.WebhookDelivery;
import dev.devflow.persistence.webhook.WebhookStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Delivers one webhook's events, one at a time in feed order: the next event is sent only when the
 * previous one was delivered (2xx) or given up on after {@link WebhookSettings#retryFor()}. Every
 * attempt is logged; the cursor moves in the same transaction as the final attempt
 * ({@link WebhookStore#record}), so after a crash the worker starts again at the first event not
 * finished (at-least-once; {@code X-DevFlow-Delivery} is the same for every attempt of an event, so
 * receivers can drop repeats).
 *
 * <p>Store errors stop the worker; its parent restarts it with back-off and it re-reads its cursor.
 */
final class WebhookWorker {

  sealed interface Command {}

  /** New feed entries may exist. */
  record Wake() implements Command {}

  /** The definition changed (URL, secret, types). */
  record Configure(Webhook hook) implements Command {}

  private record Started(Optional<Webhook> hook) implements Command {}

  private record Fetched(List<FeedRecord> rows) implements Command {}

  private record Attempted(Integer status, String error, int durationMs) implements Command {}

  private record Recorded(WebhookDelivery delivery) implements Command {}

  private record Retry() implements Command {}

  private record StoreFailed(Throwable error) implements Command {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PAGE = 100;

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final WebhookStore hooks;
  private final FeedStore feed;
  private final HttpClient http;
  private final Executor blocking;
  private final WebhookSettings settings;
  private Webhook hook;
  private Predicate<String> accepts = t -> false;
  private long scanned;
  private final Deque<FeedRecord> pending = new ArrayDeque<>();
  private FeedRecord current;
  private int attempt;
  private Instant firstAttempt;
  private boolean busy = true;
  private boolean wakeAgain;

  static Behavior<Command> create(String tenant, String name, WebhookStore hooks, FeedStore feed, HttpClient http,
      Executor blocking, WebhookSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      WebhookWorker w = new WebhookWorker(ctx, timers, hooks, feed, http, blocking, settings);
      ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> hooks.get(tenant, name), blocking),
          (h, e) -> e == null ? new Started(h) : new StoreFailed(e));
      return w.behavior();
    }));
  }

  private WebhookWorker(ActorContext<Command> ctx, TimerScheduler<Command> timers, WebhookStore hooks, FeedStore feed,
      HttpClient http, Executor blocking, WebhookSettings settings) {
    this.ctx = ctx;
    this.timers = timers;
    this.hooks = hooks;
    this.feed = feed;
    this.http = http;
    this.blocking = blocking;
    this.settings = settings;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Started.class, s -> {
          if (s.hook().isEmpty()) {
            return Behaviors.stopped();
          }
          configure(s.hook().get());
          scanned = hook.cursorId();
          busy = false;
          fetch();
          return Behaviors.same();
        })
        .onMessage(Configure.class, c -> {
          if (hook != null) {
            configure(c.hook());
          }
          return Behaviors.same();
        })
        .onMessage(Wake.class, w -> {
          if (busy || current != null) {
            wakeAgain = true;
          } else {
            fetch();
          }
          return Behaviors.same();
        })
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Attempted.class, this::onAttempted)
        .onMessage(Recorded.class, this::onRecorded)
        .onMessage(Retry.class, r -> {
          send();
          return Behaviors.same();
        })
        .onMessage(StoreFailed.class, f -> {
          throw new IllegalStateException("webhook store failed", f.error());
        })
        .build();
  }

  private void configure(Webhook h) {
    hook = h;
    accepts = FeedTypes.parse(String.join(",", h.types())).accepts();
  }

  private void fetch() {
    busy = true;
    wakeAgain = false;
    long after = scanned;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> feed.read(hook.tenant(), after, Long.MAX_VALUE, PAGE), blocking),
        (rows, e) -> e == null ? new Fetched(rows) : new StoreFailed(e));
  }

  private Behavior<Command> onFetched(Fetched f) {
    busy = false;
    for (FeedRecord r : f.rows()) {
      pending.add(r);
      scanned = r.id();
    }
    if (f.rows().size() == PAGE) {
      wakeAgain = true;
    }
    next();
    return Behaviors.same();
  }

  /** Takes the next matching entry, or fetches more when woken meanwhile. */
  private void next() {
    current = null;
    while (!pending.isEmpty()) {
      FeedRecord r = pending.poll();
      if (accepts.test(r.type())) {
        current = r;
        attempt = 1;
        firstAttempt = Instant.now();
        send();
        return;
      }
    }
    if (wakeAgain) {
      fetch();
    }
  }

  private void send() {
    busy = true;
    FeedRecord r = current;
    Webhook h = hook;
    byte[] body = body(r);
    long start = System.nanoTime();
    CompletableFuture<Attempted> attempt = CompletableFuture
        .supplyAsync(() -> WebhookTargets.refusal(h.url(), settings.allowPrivateTargets()), blocking)
        .thenCompose(refusal -> {
          if (refusal.isPresent()) {
            return CompletableFuture.completedFuture(new Attempted(null, refusal.get(), 0));
          }
          HttpRequest request = HttpRequest.newBuilder(URI.create(h.url()))
              .timeout(settings.timeout())
              .header("Content-Type", "application/json")
              .header("User-Agent", "DevFlow-Webhooks/1")
              .header("X-DevFlow-Event", r.type())
              .header("X-DevFlow-Delivery", deliveryId(h, r))
              .header(WebhookSignature.HEADER, WebhookSignature.of(h.secret(), body))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
          return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .handle((response, e) -> {
                int ms = (int) ((System.nanoTime() - start) / 1_000_000);
                if (e != null) {
                  Throwable cause = e.getCause() != null ? e.getCause() : e;
                  return new Attempted(null, describe(cause), ms);
                }
                int status = response.statusCode();
                return new Attempted(status, status / 100 == 2 ? null : "the receiver answered " + status, ms);
              });
        });
    ctx.pipeToSelf(attempt, (a, e) -> e == null ? a : new Attempted(null, describe(e), 0));
  }

  private Behavior<Command> onAttempted(Attempted a) {
    boolean ok = a.status() != null && a.status() / 100 == 2;
    boolean expired = Duration.between(firstAttempt, Instant.now()).compareTo(settings.retryFor()) >= 0;
    String outcome = ok ? WebhookDelivery.DELIVERED : expired ? WebhookDelivery.FAILED : WebhookDelivery.RETRYING;
    WebhookDelivery d = new WebhookDelivery(deliveryId(hook, current), current.id(), current.type(), attempt, outcome,
        a.status(), a.error(), a.durationMs(), Instant.now());
    Webhook h = hook;
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> hooks.record(h.tenant(), h.name(), d), blocking),
        (v, e) -> e == null ? new Recorded(d) : new StoreFailed(e));
    return Behaviors.same();
  }

  private Behavior<Command> onRecorded(Recorded r) {
    busy = false;
    if (r.delivery().isFinal()) {
      next();
    } else {
      timers.startSingleTimer(new Retry(), settings.backoff(attempt));
      attempt++;
    }
    return Behaviors.same();
  }

  /** The JSON body: the feed entry with its id and type around the event's data. */
  private static byte[] body(FeedRecord r) {
    try {
      ObjectNode body = JSON.createObjectNode().put("id", r.id()).put("type", r.type()).put("tenant", r.tenant());
      body.set("data", JSON.readTree(r.data()));
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      return ("{\"id\":" + r.id() + ",\"type\":\"" + r.type() + "\"}").getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Stable per webhook and event: every retry of an event carries the same id. */
  static String deliveryId(Webhook h, FeedRecord r) {
    return UUID.nameUUIDFromBytes((h.tenant() + "/" + h.name() + "/" + r.id()).getBytes(StandardCharsets.UTF_8)).toString();
  }

  private static String describe(Throwable e) {
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "no response within the timeout";
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
