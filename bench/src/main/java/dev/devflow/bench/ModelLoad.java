package dev.devflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.agents.llm.OpenAiTestServer;
import dev.devflow.agents.llm.OpenAiTestServer.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model's side of an agents benchmark: the {@link OpenAiTestServer}'s default reply, which
 * counts the requests in flight overall and per tenant, holds each one for a fixed time, then
 * answers. The tenant of a request is read from its prompt ({@code "Repository: <repo>"}, as the
 * reviewer writes it) and mapped by the caller's function.
 *
 * <p>The hold is a sleep inside the reply function rather than {@link Reply#withDelay}: the
 * counts go down before the answer is sent, so a caller that has its answer and asks again can
 * never be counted twice, and the counts are exact rather than derived from timestamps.
 *
 * <p>Thread-safe: the server calls the reply function on one thread per request.
 */
final class ModelLoad implements Function<OpenAiTestServer.Recorded, Reply> {

  private static final Pattern REPOSITORY = Pattern.compile("Repository: (\\S+)");

  /** One request: its tenant and when it arrived and was answered (System.nanoTime). */
  record Call(String tenant, long arrived, long answered) {}

  private final Duration hold;
  private final Function<String, String> tenantOfRepo;
  private final String answer;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final Map<String, AtomicInteger> tenantInFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> tenantMax = new ConcurrentHashMap<>();
  private final List<Call> calls = new ArrayList<>();

  /**
   * @param hold         how long every request is held before its answer
   * @param tenantOfRepo repository named in the prompt → tenant
   * @param answer       the content of every chat answer
   */
  ModelLoad(Duration hold, Function<String, String> tenantOfRepo, String answer) {
    this.hold = hold;
    this.tenantOfRepo = tenantOfRepo;
    this.answer = answer;
  }

  @Override
  public Reply apply(OpenAiTestServer.Recorded r) {
    String tenant = tenantOf(r.body());
    AtomicInteger own = tenantInFlight.computeIfAbsent(tenant, t -> new AtomicInteger());
    long arrived = System.nanoTime();
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    tenantMax.computeIfAbsent(tenant, t -> new AtomicInteger()).accumulateAndGet(own.incrementAndGet(), Math::max);
    try {
      Thread.sleep(hold.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      own.decrementAndGet();
      inFlight.decrementAndGet();
    }
    long answered = System.nanoTime();
    synchronized (calls) {
      calls.add(new Call(tenant, arrived, answered));
    }
    return Reply.chat(r.model(), answer, 1200, 300);
  }

  /** Forgets counts and calls, for the next measured pass. Call it only while nothing is in flight. */
  void reset() {
    maxInFlight.set(0);
    tenantMax.clear();
    synchronized (calls) {
      calls.clear();
    }
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  /** Tenant → the most requests of the tenant held at once, sorted by tenant. */
  Map<String, Integer> maxInFlightPerTenant() {
    Map<String, Integer> m = new TreeMap<>();
    tenantMax.forEach((t, max) -> m.put(t, max.get()));
    return m;
  }

  List<Call> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** Requests held on average from the first arrival to the last answer. */
  double meanInFlight() {
    List<Call> all = calls();
    if (all.isEmpty()) {
      return 0;
    }
    long first = all.stream().mapToLong(Call::arrived).min().orElseThrow();
    long last = all.stream().mapToLong(Call::answered).max().orElseThrow();
    long busy = all.stream().mapToLong(c -> c.answered() - c.arrived()).sum();
    return last == first ? 0 : (double) busy / (last - first);
  }

  private String tenantOf(JsonNode body) {
    for (JsonNode m : body.path("messages")) {
      Matcher matcher = REPOSITORY.matcher(m.path("content").asText());
      if (matcher.find()) {
        return tenantOfRepo.apply(matcher.group(1));
      }
    }
    return "?";
  }
}
