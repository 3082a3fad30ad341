package dev.devflow.http;

import dev.devflow.actors.tenant.Role;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.flag.FlagEvaluation;
import dev.devflow.actors.flag.unleash.UnleashContext;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.devflow.actors.feed.FeedHub;
import dev.devflow.actors.feed.FeedSubscription;
import dev.devflow.actors.flag.FlagCatalog;
import dev.devflow.actors.flag.TenantFlags;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.unleash.UnleashInstance;
import dev.devflow.persistence.unleash.UnleashInstanceStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unleash's client API for server-side SDKs, served from this node's {@link FlagCatalog}:
 * {@code GET /api/client/features} (ETag / 304), {@code POST /api/client/register},
 * {@code POST /api/client/metrics} and the opt-in streaming endpoint {@code GET
 * /api/client/streaming} ({@code unleash-connected} with the whole set, then {@code
 * unleash-updated} deltas as flags change). SDKs send the token as the raw Authorization value;
 * {@code Bearer} is accepted too. The token's tenant decides which flags it sees.
 */
public final class UnleashRoutes extends ApiDirectives {

  private static final Logger log = LoggerFactory.getLogger(UnleashRoutes.class);
  private static final ObjectMapper LENIENT = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Set<String> STREAM_TYPES = Set.of("flag.changed", "plan.changed", "tenant.created");

  private final FlagCatalog catalog;
  private final FeedHub hub;
  private final FeedStore feed;
  private final UnleashInstanceStore instances;
  private final UnleashMetricsSink metrics;
  private final FlagEvaluation evaluation;
  private final FeedRoutes.Settings streamSettings;
  private final Executor blocking;
  private final java.util.Map<String, Long> lastRecorded = new java.util.concurrent.ConcurrentHashMap<>();

  /** Where the SDKs' metrics go (exposure counts per flag and variant). */
  public interface UnleashMetricsSink {
    void record(String tenant, JsonNode bucket);
  }

  public UnleashRoutes(ActorSystem<?> system, Authenticator authenticator, FlagCatalog catalog, FeedHub hub,
      FeedStore feed, UnleashInstanceStore instances, UnleashMetricsSink metrics, FlagEvaluation evaluation,
      FeedRoutes.Settings streamSettings, long maxBodyBytes) {
    super(authenticator, maxBodyBytes);
    this.catalog = catalog;
    this.hub = hub;
    this.feed = feed;
    this.instances = instances;
    this.metrics = metrics;
    this.evaluation = evaluation;
    this.streamSettings = streamSettings;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public Route route() {
    return pathPrefix("api", () -> concat(
        pathPrefix("client", () -> concat(
            path("features", () -> label("/api/client/features", () -> get(() -> sdk(this::features)))),
            path("register", () -> label("/api/client/register", () -> post(() -> sdk(this::register)))),
            path("metrics", () -> label("/api/client/metrics", () -> post(() -> sdk(this::metrics)))),
            path("streaming", () -> label("/api/client/streaming", () -> get(() -> sdk(this::streaming)))))),
        path("frontend", () -> label("/api/frontend", () -> sdk(t -> concat(
            get(() -> parameterMap(params -> frontend(t, params, Map.of()))),
            post(() -> entityAsString(body -> {
              JsonNode n = json(body);
              JsonNode context = n.has("context") ? n.get("context") : n;
              Map<String, String> fields = new LinkedHashMap<>();
              context.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("properties") && e.getValue().isValueNode() && !e.getValue().isNull()) {
                  fields.put(e.getKey(), e.getValue().asText());
                }
              });
              Map<String, String> properties = new LinkedHashMap<>();
              context.path("properties").fields().forEachRemaining(e -> {
                if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                  properties.put(e.getKey(), e.getValue().asText());
                }
              });
              return frontend(t, fields, properties);
            }))))))));
  }

  /**
   * Unleash's frontend API: the toggles that are on for the context, with their variants. Query
   * parameters are context fields; {@code properties[x]=y} and unknown names are properties.
   */
  private Route frontend(String tenant, Map<String, String> params, Map<String, String> bodyProperties) {
    Map<String, String> fields = new LinkedHashMap<>();
    Map<String, String> properties = new LinkedHashMap<>(bodyProperties);
    params.forEach((k, v) -> {
      if (k.startsWith("properties[") && k.endsWith("]")) {
        properties.put(k.substring(11, k.length() - 1), v);
      } else if (CONTEXT_FIELDS.contains(k)) {
        fields.put(k, v);
      } else {
        properties.put(k, v);
      }
    });
    ArrayNode toggles = LENIENT.createArrayNode();
    evaluation.evaluate(tenant, new UnleashContext(fields, properties), null).forEach((name, r) -> {
      if (r.enabled()) {
        ObjectNode variant = LENIENT.createObjectNode().put("name", r.variant())
            .put("enabled", !r.variant().equals("disabled")).put("feature_enabled", true);
        if (r.payload() != null) {
          variant.set("payload", LENIENT.valueToTree(r.payload()));
        }
        toggles.addObject().put("name", name).put("enabled", true).put("impressionData", false).set("variant", variant);
      }
    });
    ObjectNode root = LENIENT.createObjectNode();
    root.set("toggles", toggles);
    return complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, root.toString())));
  }

  private static final Set<String> CONTEXT_FIELDS =
      Set.of("userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime");

  /** The SDK's token (raw or Bearer) must be a tenant token; the cluster admin has no flags. */
  private Route sdk(Function<String, Route> inner) {
    return authenticatedBy(
        header -> Optional.of(header.startsWith("Bearer ") ? header.substring(7).trim() : header.trim())
            .filter(t -> !t.isEmpty()),
        HttpChallenge.create("Bearer", "DevFlow"),
        "missing token (Unleash SDKs send it as the Authorization header)",
        p -> {
          if (p.clusterAdmin()) {
            return completeProblem(
                ProblemException.forbidden("Unleash SDKs use a tenant token, not the cluster admin token").problem());
          }
          // A runner token is for runners only (API.md): it reads no flags.
          if (!p.has(Role.READ)) {
            return completeProblem(ProblemException.forbidden("this needs a token with role read").problem());
          }
          return seen(p.tenant(), () -> inner.apply(p.tenant()));
        });
  }

  /** Records the SDK's identifying headers (in the background; never delays the answer). */
  private Route seen(String tenant, java.util.function.Supplier<Route> inner) {
    return optionalHeaderValueByName("UNLEASH-APPNAME", app ->
        optionalHeaderValueByName("UNLEASH-INSTANCEID", instance ->
            optionalHeaderValueByName("UNLEASH-CONNECTION-ID", connection ->
                optionalHeaderValueByName("unleash-sdk", sdk -> {
                  if (app.isPresent() && instance.isPresent()) {
                    record(tenant, new UnleashInstance(app.get(), instance.get(), sdk.orElse(null), null, null, null,
                        connection.orElse(null), null, null), false);
                  }
                  return inner.get();
                }))));
  }

  /**
   * Feature polls carry the SDK headers every few seconds: from them an instance is noted at most
   * once a minute ({@code always} false); registrations and metrics, which say more, always.
   */
  private void record(String tenant, UnleashInstance instance, boolean always) {
    if (!always) {
      long now = System.currentTimeMillis();
      String key = tenant + "/" + instance.appName() + "/" + instance.instanceId();
      Long last = lastRecorded.get(key);
      if (last != null && now - last < 60_000) {
        return;
      }
      if (lastRecorded.size() > 100_000) {
        lastRecorded.clear();
      }
      lastRecorded.put(key, now);
    }
    CompletableFuture.runAsync(() -> instances.seen(tenant, instance), blocking)
        .exceptionally(e -> {
          log.warn("cannot record Unleash instance {}/{}: {}", tenant, instance.instanceId(), e.getMessage());
          return null;
        });
  }

  private Route features(String tenant) {
    TenantFlags flags = catalog.of(tenant);
    String etag = flags.etag();
    return optionalHeaderValueByName("If-None-Match", inm -> {
      if (inm.isPresent() && inm.get().equals(etag)) {
        return complete(HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeader(RawHeader.create("ETag", etag)));
      }
      return complete(HttpResponse.create()
          .addHeader(RawHeader.create("ETag", etag))
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, flags.clientFeaturesJson())));
    });
  }

  private Route register(String tenant) {
    return entityAsString(body -> {
      JsonNode n = json(body);
      String app = text(n, "appName");
      String instance = text(n, "instanceId");
      if (app == null || instance == null) {
        throw ProblemException.invalid(app == null ? "appName" : "instanceId", "appName and instanceId are required");
      }
      String strategies = n.has("strategies") ? n.get("strategies").toString() : null;
      Instant started = parseTime(text(n, "started"));
      Long interval = n.hasNonNull("interval") ? n.get("interval").asLong() : null;
      record(tenant, new UnleashInstance(app, instance, text(n, "sdkVersion"), strategies, started, interval,
          text(n, "connectionId"), null, null), true);
      return complete(StatusCodes.ACCEPTED);
    });
  }

  private Route metrics(String tenant) {
    return entityAsString(body -> {
      JsonNode n = json(body);
      JsonNode bucket = n.get("bucket");
      if (bucket == null || !bucket.has("toggles")) {
        throw ProblemException.invalid("bucket", "bucket with toggles is required");
      }
      String app = text(n, "appName");
      String instance = text(n, "instanceId");
      if (app != null && instance != null) {
        record(tenant, new UnleashInstance(app, instance, text(n, "sdkVersion"), null, null, null,
            text(n, "connectionId"), null, null), true);
      }
      return completeAsync(CompletableFuture.runAsync(() -> metrics.record(tenant, bucket), blocking),
          done -> complete(StatusCodes.ACCEPTED));
    });
  }

  /**
   * Unleash's streaming mode: the whole flag set first ({@code unleash-connected}, a hydration),
   * then each change ({@code unleash-updated}: the feature, or its removal; a plan change, which
   * can flip every gated flag, sends a new hydration).
   */
  private Route streaming(String tenant) {
    FlagCatalog.Snapshot start = catalog.snapshot(tenant);
    Source<ByteString, ?> events = FeedSubscription
        .open(hub, feed, blocking, tenant, start.upTo(), STREAM_TYPES::contains, streamSettings.limits())
        .map(r -> sse("unleash-updated", r.id(), delta(tenant, r)))
        .prepend(Source.single(sse("unleash-connected", start.upTo(), hydration(start.flags(), start.upTo()))))
        .keepAlive(streamSettings.heartbeat(), () -> ByteString.fromString(":\n\n"));
    return complete(HttpResponse.create()
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .withEntity(HttpEntities.createChunked(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events)));
  }

  private String delta(String tenant, FeedRecord r) {
    // The entry may come from the table before the hub gave it to the catalog.
    catalog.include(r);
    if (!r.type().equals("flag.changed")) {
      return hydration(catalog.of(tenant), r.id());
    }
    JsonNode data = json(r.data());
    String key = data.get("key").asText();
    ObjectNode root = LENIENT.createObjectNode();
    ObjectNode event = root.putArray("events").addObject();
    // The catalog now holds this entry or a newer one.
    JsonNode feature = catalog.of(tenant).clientFeatureJson(key);
    if (feature == null) {
      event.put("type", "feature-removed").put("eventId", r.id()).put("featureName", key).put("project", "default");
    } else {
      event.put("type", "feature-updated").put("eventId", r.id()).set("feature", feature);
    }
    return root.toString();
  }

  private static String hydration(TenantFlags flags, long eventId) {
    ObjectNode all = flags.clientFeaturesTree();
    ObjectNode root = LENIENT.createObjectNode();
    ObjectNode event = root.putArray("events").addObject().put("type", "hydration").put("eventId", eventId);
    event.set("features", all.get("features"));
    event.set("segments", all.has("segments") ? all.get("segments") : LENIENT.createArrayNode());
    return root.toString();
  }

  private static ByteString sse(String event, long id, String data) {
    return ByteString.fromString("event: " + event + "\nid: " + id + "\ndata: " + data + "\n\n");
  }

  private static JsonNode json(String body) {
    try {
      return LENIENT.readTree(body == null || body.isBlank() ? "{}" : body);
    } catch (IOException e) {
      throw new ProblemException(400, "invalid-json", "Invalid JSON", e.getMessage(), null);
    }
  }

  private static String text(JsonNode n, String field) {
    return n.hasNonNull(field) ? n.get(field).asText() : null;
  }

  private static Instant parseTime(String s) {
    try {
      return s == null ? null : Instant.parse(s);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Route entityAsString(Function<String, Route> inner) {
    return entity(org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(), inner);
  }
}
