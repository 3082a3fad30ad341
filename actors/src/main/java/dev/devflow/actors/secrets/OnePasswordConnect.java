package dev.devflow.actors.secrets;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads secrets from a 1Password Connect server (REST API v1): every item of a vault as title →
 * value, or one item by title. An item's value is its field with purpose {@code PASSWORD}, else its
 * field labelled {@code password}, {@code credential} or {@code value} (in that order, any case),
 * else its first {@code CONCEALED} field; fields without a value do not count, and an item with no
 * value is left out. When several items share a title, the first listed one with a value wins.
 *
 * <p>Failures are {@link SecretProviderException}s whose messages name the Connect URL and the
 * vault and say what to check. No message or log line contains the token or a secret value (JSON
 * parser errors are dropped, not wrapped, because they quote the answer). A request that fails
 * before any answer (other than a timeout) is tried once more, with a warning; answers, 4xx or
 * otherwise, and timeouts are final.
 *
 * <p>{@link #vaultSecrets} results are cached per vault name for the cache TTL; failures are not.
 * Two callers missing the cache together both fetch. Thread-safe. Calls block for up to 2 + (items
 * in the vault) requests, each bounded by the timeout: call from a blocking dispatcher, never from
 * an actor's own thread.
 */
public final class OnePasswordConnect {

  public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(OnePasswordConnect.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> VALUE_LABELS = List.of("password", "credential", "value");
  private static final int EXCERPT = 200;

  private record Cached(Map<String, String> secrets, Instant expires) {}

  private record Answer(int status, String body) {}

  private final String base;
  private final String where;
  private final String authorization;
  private final Duration timeout;
  private final Duration cacheTtl;
  private final Clock clock;
  private final HttpClient http;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public OnePasswordConnect(URI baseUrl, String token, Duration timeout) {
    this(baseUrl, token, timeout, DEFAULT_CACHE_TTL);
  }

  /** {@code cacheTtl} zero turns the cache off. */
  public OnePasswordConnect(URI baseUrl, String token, Duration timeout, Duration cacheTtl) {
    this(baseUrl, token, timeout, cacheTtl, Clock.systemUTC());
  }

  OnePasswordConnect(URI baseUrl, String token, Duration timeout, Duration cacheTtl, Clock clock) {
    this.base = Objects.requireNonNull(baseUrl, "baseUrl").toString().replaceAll("/+$", "");
    this.where = "1Password Connect at " + base;
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException(where + ": the token is empty; set devflow.secrets.onepassword.token");
    }
    // Tokens are often read from files that end with a newline.
    this.authorization = "Bearer " + token.strip();
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (cacheTtl.isNegative()) {
      throw new IllegalArgumentException("cacheTtl must not be negative: " + cacheTtl);
    }
    this.timeout = timeout;
    this.cacheTtl = cacheTtl;
    this.clock = clock;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** Title → value of every item with a value in the vault named {@code vaultName}, in listing order. */
  public Map<String, String> vaultSecrets(String vaultName) {
    Cached hit = cache.get(vaultName);
    if (hit != null && clock.instant().isBefore(hit.expires())) {
      return hit.secrets();
    }
    String vaultId = vaultId(vaultName);
    String path = "/v1/vaults/" + encode(vaultId) + "/items";
    Answer answer = send(path);
    if (answer.status() == 404) {
      throw vaultNotFound(vaultName);
    }
    Map<String, String> secrets = new LinkedHashMap<>();
    for (JsonNode summary : array(vaultName, path, answer)) {
      String title = summary.path("title").asText(null);
      String itemId = summary.path("id").asText(null);
      if (title == null || itemId == null || summary.hasNonNull("state")) {
        continue; // not a usable item, or archived / deleted
      }
      if (secrets.containsKey(title)) {
        log.warn("{}: vault '{}' has more than one item titled '{}'; using the first listed one with a value",
            where, vaultName, title);
        continue;
      }
      itemValue(vaultName, vaultId, itemId).ifPresent(value -> secrets.put(title, value));
    }
    Map<String, String> result = Collections.unmodifiableMap(secrets);
    if (!cacheTtl.isZero()) {
      cache.put(vaultName, new Cached(result, clock.instant().plus(cacheTtl)));
    }
    return result;
  }

  /**
   * The value of the item titled exactly {@code title} in the vault named {@code vaultName}; empty
   * when there is no such item or it has no value. Answered from the {@link #vaultSecrets} cache
   * when that vault's entry is fresh; otherwise fetched and not cached.
   */
  public Optional<String> secret(String vaultName, String title) {
    Cached hit = cache.get(vaultName);
    if (hit != null && clock.instant().isBefore(hit.expires())) {
      return Optional.ofNullable(hit.secrets().get(title));
    }
    String vaultId = vaultId(vaultName);
    String path = "/v1/vaults/" + encode(vaultId) + "/items?filter=" + filter("title", title);
    Answer answer = send(path);
    if (answer.status() == 404) {
      throw vaultNotFound(vaultName);
    }
    for (JsonNode summary : array(vaultName, path, answer)) {
      String itemId = summary.path("id").asText(null);
      // The filter is the server's; the exact match keeps this consistent with vaultSecrets.
      if (itemId != null && title.equals(summary.path("title").asText(null)) && !summary.hasNonNull("state")) {
        Optional<String> value = itemValue(vaultName, vaultId, itemId);
        if (value.isPresent()) {
          return value;
        }
      }
    }
    return Optional.empty();
  }

  private String vaultId(String vaultName) {
    String path = "/v1/vaults?filter=" + filter("name", vaultName);
    List<JsonNode> vaults = new ArrayList<>();
    array(vaultName, path, send(path)).forEach(vaults::add);
    if (vaults.size() > 1) {
      vaults.removeIf(v -> !vaultName.equals(v.path("name").asText(null)));
    }
    if (vaults.isEmpty()) {
      throw vaultNotFound(vaultName);
    }
    if (vaults.size() > 1) {
      throw new SecretProviderException(where + ": " + vaults.size() + " vaults are named '" + vaultName
          + "'; give them distinct names");
    }
    String id = vaults.get(0).path("id").asText(null);
    if (id == null || id.isEmpty()) {
      throw new SecretProviderException(where + ": answer to GET " + path + " has a vault without an id");
    }
    return id;
  }

  private Optional<String> itemValue(String vaultName, String vaultId, String itemId) {
    String path = "/v1/vaults/" + encode(vaultId) + "/items/" + encode(itemId);
    Answer answer = send(path);
    if (answer.status() == 404) {
      return Optional.empty(); // deleted since it was listed
    }
    JsonNode item = json(vaultName, path, answer);
    if (!item.isObject()) {
      throw new SecretProviderException(where + ": answer to GET " + path + " is not an item object");
    }
    return valueOf(item);
  }

  static Optional<String> valueOf(JsonNode item) {
    List<JsonNode> fields = new ArrayList<>();
    for (JsonNode field : item.path("fields")) {
      if (field.path("value").isTextual() && !field.path("value").asText().isEmpty()) {
        fields.add(field);
      }
    }
    Optional<JsonNode> chosen = fields.stream()
        .filter(f -> "PASSWORD".equals(f.path("purpose").asText())).findFirst();
    for (String label : VALUE_LABELS) {
      if (chosen.isEmpty()) {
        chosen = fields.stream().filter(f -> label.equalsIgnoreCase(f.path("label").asText())).findFirst();
      }
    }
    if (chosen.isEmpty()) {
      chosen = fields.stream().filter(f -> "CONCEALED".equals(f.path("type").asText())).findFirst();
    }
    return chosen.map(f -> f.path("value").asText());
  }

  private Answer send(String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(timeout)
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .GET()
        .build();
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
        return new Answer(response.statusCode(), response.body());
      } catch (HttpTimeoutException e) {
        throw new SecretProviderException(where + ": timed out after " + format(timeout) + " (GET " + path + ")");
      } catch (IOException e) {
        if (attempt < 2) {
          log.warn("{}: GET {} failed ({}); trying once more", where, path, reason(e));
          continue;
        }
        throw new SecretProviderException(e instanceof ConnectException
            ? where + ": cannot connect (" + reason(e) + ")"
            : where + ": connection failed during GET " + path + " (" + reason(e) + ")", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SecretProviderException(where + ": interrupted while waiting for GET " + path, e);
      }
    }
  }

  private Iterable<JsonNode> array(String vaultName, String path, Answer answer) {
    JsonNode node = json(vaultName, path, answer);
    if (!node.isArray()) {
      throw new SecretProviderException(where + ": answer to GET " + path + " is not a JSON array");
    }
    return node;
  }

  private JsonNode json(String vaultName, String path, Answer answer) {
    switch (answer.status()) {
      case 200:
        break;
      case 401:
        throw new SecretProviderException(where
            + ": the token was refused (401); check devflow.secrets.onepassword.token");
      case 403:
        throw new SecretProviderException(where + ": the token may not read vault '" + vaultName
            + "' (403); grant it access to the vault in 1Password");
      default:
        throw new SecretProviderException(where + ": unexpected answer " + answer.status() + " from GET " + path
            + ": " + excerpt(answer.body()));
    }
    try {
      return JSON.readTree(answer.body());
    } catch (JsonProcessingException e) {
      throw new SecretProviderException(where + ": answer is not JSON (GET " + path + ")");
    }
  }

  private SecretProviderException vaultNotFound(String vaultName) {
    return new SecretProviderException(where + ": vault '" + vaultName
        + "' not found; check the vault name and that the token may read it");
  }

  /** A SCIM filter {@code attribute eq "value"} as a query parameter value. */
  static String filter(String attribute, String value) {
    String literal = value.replace("\\", "\\\\").replace("\"", "\\\"");
    return encode(attribute + " eq \"" + literal + "\"");
  }

  private static String encode(String s) {
    // URLEncoder writes form encoding; %20 is a space in a path and in any query parser.
    return URLEncoder.encode(s, UTF_8).replace("+", "%20");
  }

  private static String excerpt(String body) {
    String flat = body == null ? "" : body.replaceAll("\\s+", " ").strip();
    return flat.length() <= EXCERPT ? flat : flat.substring(0, EXCERPT) + "…";
  }

  /** Why a request got no answer; the HTTP client often leaves the message out. */
  private String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "unknown host " + URI.create(base).getHost();
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e instanceof ConnectException ? "Connection refused" : e.getClass().getSimpleName();
  }

  private static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
