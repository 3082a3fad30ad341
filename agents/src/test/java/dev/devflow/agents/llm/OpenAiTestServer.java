package dev.devflow.agents.llm;

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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An OpenAI-compatible server for tests, on 127.0.0.1 and a free port: {@code POST
 * …/chat/completions} and {@code POST …/embeddings} under any prefix ({@link #baseUrl()} ends in
 * /v1, as for OpenAI).
 *
 * <p>Script: each request takes the next {@link Reply} queued for its model ({@link
 * #enqueue(String, Reply)}), else the next queued for any model ({@link #enqueue(Reply)}), else
 * asks the default reply function ({@link #defaultReply}), which at first answers every chat with
 * "echo: " and the last message and every embedding with a small vector derived from the text.
 * A reply can carry a status, headers, any body (HTML, cut-off JSON) and a delay.
 *
 * <p>Observation: {@link #requests()} records every request (path, model, JSON body, headers);
 * {@link #maxInFlight()} is the most requests it ever held at once (from arrival until the answer
 * starts; the scripted delay is inside that span).
 *
 * <p>Thread-safe: tests may script it while a client is calling.
 */
public final class OpenAiTestServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One answer: status, headers, body and how long to wait before sending it. */
  public record Reply(int status, Map<String, String> headers, String body, Duration delay) {

    /** A chat completion with content, answering model and token usage. */
    public static Reply chat(String model, String content, long promptTokens, long completionTokens) {
      ObjectNode n = completion(model, promptTokens, completionTokens);
      n.withArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putNull("logprobs")
          .putObject("message").put("role", "assistant").put("content", content).putNull("refusal");
      return json(200, n);
    }

    /** A completion whose choices are {@code []}. */
    public static Reply emptyChoices(String model) {
      ObjectNode n = completion(model, 1, 0);
      n.putArray("choices");
      return json(200, n);
    }

    /** A completion whose message has {@code content: null}. */
    public static Reply nullContent(String model) {
      ObjectNode n = completion(model, 1, 0);
      n.withArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putNull("logprobs")
          .putObject("message").put("role", "assistant").putNull("content").putNull("refusal");
      return json(200, n);
    }

    /** A valid completion cut off in the middle (the Content-Length matches the cut body). */
    public static Reply truncated(String model) {
      String whole = chat(model, "this answer will not arrive whole", 5, 5).body();
      return new Reply(200, Map.of("Content-Type", "application/json"), whole.substring(0, whole.length() / 2),
          Duration.ZERO);
    }

    /** A proxy's login page with status 200. */
    public static Reply html() {
      return new Reply(200, Map.of("Content-Type", "text/html; charset=utf-8"),
          "<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>", Duration.ZERO);
    }

    /** An error in OpenAI's shape. */
    public static Reply error(int status, String message) {
      ObjectNode n = JSON.createObjectNode();
      n.putObject("error").put("message", message).put("type", "test_error").putNull("param").putNull("code");
      return json(status, n);
    }

    public static Reply embeddings(String model, List<float[]> vectors, long promptTokens) {
      ObjectNode n = JSON.createObjectNode().put("object", "list").put("model", model);
      ArrayNode data = n.putArray("data");
      for (int i = 0; i < vectors.size(); i++) {
        ArrayNode v = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
        for (float f : vectors.get(i)) {
          v.add(f);
        }
      }
      n.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
      return json(200, n);
    }

    public Reply withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(status, h, body, delay);
    }

    public Reply withDelay(Duration d) {
      return new Reply(status, headers, body, d);
    }

    private static ObjectNode completion(String model, long promptTokens, long completionTokens) {
      ObjectNode n = JSON.createObjectNode().put("id", "chatcmpl-test").put("object", "chat.completion")
          .put("created", System.currentTimeMillis() / 1000).put("model", model);
      n.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
          .put("total_tokens", promptTokens + completionTokens);
      return n;
    }

    private static Reply json(int status, JsonNode body) {
      return new Reply(status, Map.of("Content-Type", "application/json"), body.toString(), Duration.ZERO);
    }
  }

  /** A request as received: path, model, parsed body and headers (names lower case). */
  public record Recorded(String path, String model, JsonNode body, Map<String, String> headers) {

    public boolean isChat() {
      return path.endsWith("/chat/completions");
    }

    /** The chat's last message text, or "" for an embedding request. */
    public String lastMessage() {
      JsonNode m = body.path("messages");
      return m.isArray() && m.size() > 0 ? m.get(m.size() - 1).path("content").asText() : "";
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "openai-test-server");
    t.setDaemon(true);
    return t;
  });
  private final ArrayDeque<Reply> queue = new ArrayDeque<>();
  private final Map<String, ArrayDeque<Reply>> queues = new HashMap<>();
  private final List<Recorded> requests = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile Function<Recorded, Reply> defaultReply = OpenAiTestServer::echo;

  private OpenAiTestServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public static OpenAiTestServer start() throws IOException {
    return new OpenAiTestServer();
  }

  /** The API root to configure as base-url, e.g. http://127.0.0.1:PORT/v1. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** The next request for any model not scripted on its own gets {@code reply}. */
  public synchronized OpenAiTestServer enqueue(Reply reply) {
    queue.add(reply);
    return this;
  }

  /** The next request for {@code model} gets {@code reply}. */
  public synchronized OpenAiTestServer enqueue(String model, Reply reply) {
    queues.computeIfAbsent(model, m -> new ArrayDeque<>()).add(reply);
    return this;
  }

  /** Answers requests with nothing queued for them. */
  public OpenAiTestServer defaultReply(Function<Recorded, Reply> reply) {
    this.defaultReply = reply;
    return this;
  }

  public synchronized List<Recorded> requests() {
    return List.copyOf(requests);
  }

  /** Requests so far that asked for {@code model}. */
  public synchronized long requestsFor(String model) {
    return requests.stream().filter(r -> model.equals(r.model())).count();
  }

  /** The most requests this server was answering at the same time. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** The default chat answer: "echo: " and the last message, as the model asked, 10 + 5 tokens. */
  public static Reply echo(Recorded r) {
    if (r.isChat()) {
      return Reply.chat(r.model(), "echo: " + r.lastMessage(), 10, 5);
    }
    List<float[]> vectors = new ArrayList<>();
    for (JsonNode input : r.body().path("input")) {
      String s = input.asText();
      vectors.add(new float[] {s.length(), s.isEmpty() ? 0 : s.charAt(0), 1});
    }
    return Reply.embeddings(r.model(), vectors, 2L * vectors.size());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    boolean counted = true;
    try {
      Reply reply = reply(exchange);
      if (!reply.delay().isZero()) {
        Thread.sleep(reply.delay().toMillis());
      }
      // No longer in flight before the first byte goes out: a client that has its answer (and
      // sends its next request) must never find this one still counted.
      inFlight.decrementAndGet();
      counted = false;
      byte[] body = reply.body().getBytes(UTF_8);
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException | InterruptedException e) {
      // The client gave up (timeout) or the server is closing: nothing to answer.
    } finally {
      if (counted) {
        inFlight.decrementAndGet();
      }
      exchange.close();
    }
  }

  private Reply reply(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    JsonNode body;
    try {
      body = JSON.readTree(exchange.getRequestBody().readAllBytes());
    } catch (IOException e) {
      return Reply.error(400, "body is not JSON: " + e.getMessage());
    }
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
    Recorded r = new Recorded(path, body.path("model").asText(null), body, headers);
    Reply scripted;
    synchronized (this) {
      requests.add(r);
      if (!"POST".equals(exchange.getRequestMethod())
          || !(path.endsWith("/chat/completions") || path.endsWith("/embeddings"))) {
        return Reply.error(404, "no route " + exchange.getRequestMethod() + " " + path);
      }
      ArrayDeque<Reply> own = queues.get(r.model());
      scripted = own != null && !own.isEmpty() ? own.poll() : queue.poll();
    }
    return scripted != null ? scripted : defaultReply.apply(r);
  }
}
