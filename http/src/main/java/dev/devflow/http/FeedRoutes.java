package dev.devflow.http;

import dev.devflow.actors.feed.FeedHub;
import dev.devflow.actors.feed.FeedSubscription;
import dev.devflow.actors.feed.FeedTypes;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code GET /api/v1/tenants/{t}/events} (API.md "Event feed"): the tenant's feed as Server-Sent
 * Events. Each entry is {@code id:}, {@code event:}, {@code data:} (one line of JSON); a comment
 * line every heartbeat interval keeps proxies from closing an idle stream; the first line is a
 * {@code retry:} hint. Resumes after {@code Last-Event-ID} (what EventSource sends on reconnect)
 * or {@code ?after=}; without either, the stream starts with the next new entry.
 */
public final class FeedRoutes extends ApiDirectives {

  /** Settings: per-client limits, heartbeat interval, and the reconnect delay suggested to clients. */
  public record Settings(FeedSubscription.Limits limits, Duration heartbeat, Duration retry) {}

  private static final ByteString HEARTBEAT = ByteString.fromString(":\n\n");

  private final FeedHub hub;
  private final FeedStore store;
  private final Settings settings;
  private final Executor blocking;

  public FeedRoutes(ActorSystem<?> system, Authenticator authenticator, FeedHub hub, FeedStore store, Settings settings) {
    super(authenticator, 0);
    this.hub = hub;
    this.store = store;
    this.settings = settings;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return path("events", () -> label("/api/v1/tenants/{t}/events", () -> get(() ->
        authenticated(p -> tenantScope(p, t, Role.READ, () ->
            optionalHeaderValueByName("Last-Event-ID", header ->
                parameterOptional("after", after ->
                    parameterOptional("types", types -> events(t, header, after, types)))))))));
  }

  private Route events(String t, Optional<String> lastEventId, Optional<String> afterParam, Optional<String> types) {
    FeedTypes.Filter filter = FeedTypes.parse(types.orElse(null));
    if (filter.unknown().isPresent()) {
      throw ProblemException.invalid("types", "unknown event type '" + filter.unknown().get()
          + "'; valid types: " + String.join(", ", FeedTypes.ALL) + " (a trailing * matches a prefix)");
    }
    String field = lastEventId.isPresent() ? "Last-Event-ID" : "after";
    Optional<Long> after = parseId(field, lastEventId.or(() -> afterParam));
    if (after.isEmpty()) {
      return stream(t, -1, filter);
    }
    long from = after.get();
    return completeAsync(CompletableFuture.supplyAsync(() -> store.lastId(t), blocking), last -> {
      if (from > last) {
        throw ProblemException.invalid(field, field + " " + from + " is ahead of the feed (its newest id is " + last + ")");
      }
      return stream(t, from, filter);
    });
  }

  private static Optional<Long> parseId(String field, Optional<String> value) {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      long id = Long.parseLong(value.get().trim());
      if (id < 0) {
        throw new NumberFormatException();
      }
      return Optional.of(id);
    } catch (NumberFormatException e) {
      throw ProblemException.invalid(field, field + " must be a feed id (a number >= 0), not '" + value.get() + "'");
    }
  }

  private Route stream(String t, long after, FeedTypes.Filter filter) {
    Source<ByteString, ?> events = FeedSubscription
        .open(hub, store, blocking, t, after, filter.accepts(), settings.limits())
        .map(FeedRoutes::render)
        .keepAlive(settings.heartbeat(), () -> HEARTBEAT)
        .prepend(Source.single(ByteString.fromString("retry: " + settings.retry().toMillis() + "\n\n")));
    return complete(HttpResponse.create()
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .addHeader(RawHeader.create("X-Accel-Buffering", "no"))
        .withEntity(HttpEntities.createChunked(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events)));
  }

  /** One SSE message; {@code data} is single-line JSON, so one {@code data:} line suffices. */
  static ByteString render(FeedRecord r) {
    return ByteString.fromString("id: " + r.id() + "\nevent: " + r.type() + "\ndata: " + r.data() + "\n\n");
  }
}
