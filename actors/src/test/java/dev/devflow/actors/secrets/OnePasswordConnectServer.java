package dev.devflow.actors.secrets;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory 1Password Connect server for tests, on 127.0.0.1 and a free port. It speaks the read
 * side of the REST API v1 with Connect's shapes: {@code GET /v1/vaults} (with {@code filter=name eq
 * "…"}), {@code /v1/vaults/{id}}, {@code /v1/vaults/{id}/items} (with {@code filter=title eq "…"})
 * and {@code /v1/vaults/{id}/items/{itemId}}; errors are {@code {"status":…,"message":…}}. Every
 * request must carry {@code Authorization: Bearer <token>}, else 401.
 *
 * <p>Faults: {@link #failNext} (500s), {@link #answerSlowly} and {@link #close} (refused
 * connections from then on). {@link #requests} counts every request, faulty or not.
 *
 * <p>Thread-safe: tests may change vaults and faults while a client is calling.
 */
public final class OnePasswordConnectServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern FILTER = Pattern.compile("(\\w+) eq \"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One field of an item, as Connect returns it. {@code purpose} is "" for most fields. */
  public record Field(String label, String purpose, String type, String value) {

    public static Field password(String value) {
      return new Field("password", "PASSWORD", "CONCEALED", value);
    }

    public static Field username(String value) {
      return new Field("username", "USERNAME", "STRING", value);
    }

    public static Field concealed(String label, String value) {
      return new Field(label, "", "CONCEALED", value);
    }

    public static Field text(String label, String value) {
      return new Field(label, "", "STRING", value);
    }
  }

  private record Item(String id, String title, List<Field> fields) {}

  private record Reply(int status, JsonNode body) {}

  /** A vault of this server; add and remove its items through it. */
  public final class Vault {
    private final String id = newId();
    private final String name;
    private final List<Item> items = new ArrayList<>();

    private Vault(String name) {
      this.name = name;
    }

    public String id() {
      return id;
    }

    /** Adds an item (titles may repeat, as in 1Password). */
    public Vault item(String title, Field... fields) {
      synchronized (OnePasswordConnectServer.this) {
        items.add(new Item(newId(), title, List.of(fields)));
      }
      return this;
    }

    /** Removes every item with this title. */
    public Vault remove(String title) {
      synchronized (OnePasswordConnectServer.this) {
        items.removeIf(i -> i.title().equals(title));
      }
      return this;
    }
  }

  private final String token;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "onepassword-connect-double");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Vault> vaults = new LinkedHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private volatile Duration delay = Duration.ZERO;

  private OnePasswordConnectServer(String token) throws IOException {
    this.token = token;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** Starts a server that accepts only {@code token}. */
  public static OnePasswordConnectServer start(String token) throws IOException {
    return new OnePasswordConnectServer(token);
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The vault named {@code name}, created empty on first use. */
  public synchronized Vault vault(String name) {
    return vaults.computeIfAbsent(name, Vault::new);
  }

  /** The next {@code n} requests answer 500. */
  public void failNext(int n) {
    failures.set(n);
  }

  /** Every answer from now on waits {@code delay} first; {@link Duration#ZERO} to stop. */
  public void answerSlowly(Duration delay) {
    this.delay = delay;
  }

  /** Requests received so far, including refused and failed ones. */
  public int requests() {
    return requests.get();
  }

  /** Stops listening; later connections are refused. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    try {
      requests.incrementAndGet();
      Duration wait = delay;
      if (!wait.isZero()) {
        Thread.sleep(wait.toMillis());
      }
      Reply reply = reply(exchange);
      byte[] body = JSON.writeValueAsBytes(reply.body());
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(reply.status(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException | InterruptedException e) {
      // The client gave up (timeout) or went away, or the server is closing: nothing to answer.
    } finally {
      exchange.close();
    }
  }

  private synchronized Reply reply(HttpExchange exchange) {
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return error(500, "Internal server error (injected by the test)");
    }
    if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      return error(401, "Invalid token signature");
    }
    if (!"GET".equals(exchange.getRequestMethod())) {
      return error(405, "method not allowed");
    }
    // "", "v1", "vaults", vaultId, "items", itemId
    String[] path = exchange.getRequestURI().getRawPath().replaceAll("/+$", "").split("/");
    if (path.length < 3 || path.length > 6 || !path[1].equals("v1") || !path[2].equals("vaults")
        || (path.length >= 5 && !path[4].equals("items"))) {
      return error(404, "not found");
    }
    Optional<String[]> filter;
    try {
      filter = filter(exchange.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      return error(400, "Invalid filter: " + e.getMessage());
    }
    if (path.length == 3) {
      if (filter.isPresent() && !filter.get()[0].equals("name")) {
        return error(400, "Invalid filter: vaults can only be filtered by name");
      }
      ArrayNode list = JSON.createArrayNode();
      vaults.values().stream()
          .filter(v -> filter.isEmpty() || v.name.equals(filter.get()[1]))
          .forEach(v -> list.add(vaultJson(v)));
      return new Reply(200, list);
    }
    Vault vault = vaults.values().stream().filter(v -> v.id.equals(path[3])).findFirst().orElse(null);
    if (vault == null) {
      return error(404, "vault not found");
    }
    if (path.length == 4) {
      return new Reply(200, vaultJson(vault));
    }
    if (path.length == 5) {
      if (filter.isPresent() && !filter.get()[0].equals("title")) {
        return error(400, "Invalid filter: items can only be filtered by title here");
      }
      ArrayNode list = JSON.createArrayNode();
      vault.items.stream()
          .filter(i -> filter.isEmpty() || i.title().equals(filter.get()[1]))
          .forEach(i -> list.add(itemJson(vault, i, false)));
      return new Reply(200, list);
    }
    return vault.items.stream().filter(i -> i.id().equals(path[5])).findFirst()
        .map(i -> new Reply(200, itemJson(vault, i, true)))
        .orElseGet(() -> error(404, "item not found"));
  }

  /** The {@code filter} query parameter as {attribute, value}. */
  private static Optional<String[]> filter(String rawQuery) {
    if (rawQuery == null) {
      return Optional.empty();
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.startsWith("filter=")) {
        String filter = URLDecoder.decode(pair.substring("filter=".length()), UTF_8);
        Matcher m = FILTER.matcher(filter);
        if (!m.matches()) {
          throw new IllegalArgumentException(filter);
        }
        return Optional.of(new String[] {m.group(1), m.group(2).replaceAll("\\\\(.)", "$1")});
      }
    }
    return Optional.empty();
  }

  private ObjectNode vaultJson(Vault vault) {
    return JSON.createObjectNode()
        .put("id", vault.id)
        .put("name", vault.name)
        .put("type", "USER_CREATED")
        .put("items", vault.items.size());
  }

  private static ObjectNode itemJson(Vault vault, Item item, boolean withFields) {
    boolean login = item.fields().stream().anyMatch(f -> "USERNAME".equals(f.purpose()));
    ObjectNode node = JSON.createObjectNode()
        .put("id", item.id())
        .put("title", item.title())
        .put("category", login ? "LOGIN" : "PASSWORD")
        .put("version", 1);
    node.putObject("vault").put("id", vault.id);
    if (withFields) {
      ArrayNode fields = node.putArray("fields");
      int n = 0;
      for (Field f : item.fields()) {
        ObjectNode field = fields.addObject()
            .put("id", f.purpose().isEmpty() ? "field" + n++ : f.purpose().toLowerCase())
            .put("type", f.type())
            .put("label", f.label());
        if (!f.purpose().isEmpty()) {
          field.put("purpose", f.purpose());
        }
        if (f.value() != null) {
          field.put("value", f.value());
        }
      }
    }
    return node;
  }

  private static Reply error(int status, String message) {
    return new Reply(status, JSON.createObjectNode().put("status", status).put("message", message));
  }

  private static String newId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 26);
  }
}
