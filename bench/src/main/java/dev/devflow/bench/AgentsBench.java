package dev.devflow.bench;

import dev.devflow.agents.llm.OpenAiTestServer;
import dev.devflow.cluster.Node;
import dev.devflow.cluster.RunningNode;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * AI agents under load, with the model played by the {@link OpenAiTestServer} answering every chat
 * in a fixed 500 ms. Part 1 ({@link GatewayOverhead}): the LLM gateway as a library, overhead per
 * call beyond the 500 ms next to a plain HTTP call. Part 2: one node in this JVM (every role,
 * embedded PostgreSQL), 20 tenants with one repository each and N reviewer agents on it; 10 real
 * {@code git push}es over HTTP per tenant (200 in all, each changes line 2 of app.py), every agent
 * reviews every push: reviews posted, wall time, requests in flight at the model overall and per
 * tenant against {@code devflow.llm.concurrency-per-tenant}, push-to-review time, heap after GC.
 *
 * <p>Arguments: reviewer agents per repository (default 5); size of the node's blocking
 * dispatcher (default: Pekko's, 16 threads), to show what bounds the node's model calls.
 */
public final class AgentsBench {

  static final int TENANTS = 20;
  static final int PUSHES_PER_TENANT = 10;
  static final int CALLS_PER_TENANT = 10;
  /** devflow.llm.concurrency-per-tenant, set explicitly to its default. */
  static final int LIMIT = 4;
  /** Pekko's default-blocking-io-dispatcher size, which the node does not change. */
  static final int PEKKO_BLOCKING_THREADS = 16;
  static final Duration HOLD = Duration.ofMillis(500);
  /** git pushes running at once (each is a git process and a receive-pack on the node). */
  static final int PUSHERS = 4;
  /** A valid review of the bench's pushes: it names app.py and line 2, the line every push changes. */
  static final String REVIEW = "{\"summary\":\"Mostly fine.\",\"comments\":[{\"path\":\"app.py\",\"line\":2,"
      + "\"severity\":\"warning\",\"body\":\"Name x better.\"}]}";

  public static void main(String[] args) throws Exception {
    int agents = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int blockingThreads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    Path dir = Files.createTempDirectory("devflow-agents-bench");
    System.out.printf("cores %d, load average before: %s%n%n", Runtime.getRuntime().availableProcessors(), load());

    try (OpenAiTestServer server = OpenAiTestServer.start()) {
      ModelLoad model = new ModelLoad(HOLD, repo -> repo, "Looks fine.");
      server.defaultReply(model);
      List<GatewayOverhead.Pass> passes = new GatewayOverhead(server, model, HOLD, TENANTS, CALLS_PER_TENANT, LIMIT)
          .run(dir.resolve("gateway-pg"), PEKKO_BLOCKING_THREADS);
      System.out.printf("### Gateway overhead: %d tenants x %d calls, %d callers per tenant, answer cache off,"
          + " model holds %d ms%n%n", TENANTS, CALLS_PER_TENANT, LIMIT, HOLD.toMillis());
      System.out.println("| via | calls | s | overhead p50 ms | p99 ms | max ms | max in flight | per tenant max"
          + " | errors |");
      System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
      for (GatewayOverhead.Pass p : passes) {
        System.out.printf("| %s | %d | %.2f | %.1f | %.1f | %.1f | %d | %s | %d |%n", p.via(), p.calls(), p.seconds(),
            pct(p.overheadMs(), 0.50), pct(p.overheadMs(), 0.99), pct(p.overheadMs(), 1.0), p.maxInFlight(),
            p.minTenantMax() == p.maxTenantMax() ? String.valueOf(p.minTenantMax())
                : p.minTenantMax() + "–" + p.maxTenantMax(), p.errors());
      }
      System.out.printf("%nload average after part 1: %s%n%n", load());
    }

    long heapBefore = heapAfterGc();
    try (OpenAiTestServer server = OpenAiTestServer.start()) {
      ModelLoad model = new ModelLoad(HOLD, AgentsBench::tenantOfRepo, REVIEW);
      server.defaultReply(model);
      Map<String, Object> o = new HashMap<>();
      o.put("devflow.home", dir.resolve("home").toString());
      o.put("devflow.http.port", 0);
      o.put("devflow.cluster.port", 0);
      o.put("devflow.cluster.seeds", "");
      o.put("devflow.llm.base-url", server.baseUrl());
      o.put("devflow.llm.api-key", "sk-bench-key-0123456789");
      o.put("devflow.llm.model", "bench-model");
      o.put("devflow.llm.concurrency-per-tenant", LIMIT);
      if (blockingThreads > 0) {
        o.put("pekko.actor.default-blocking-io-dispatcher.thread-pool-executor.fixed-pool-size", blockingThreads);
      }
      try (RunningNode node = Node.start(o, null)) {
        node.httpPort().get(120, TimeUnit.SECONDS);
        long heapNode = heapAfterGc();
        AgentsEndToEnd e2e = new AgentsEndToEnd(node, agents, dir.resolve("work"));
        e2e.setUp();
        long heapSetUp = heapAfterGc();
        model.reset();
        AgentsEndToEnd.Result r = e2e.run();
        long heapAfter = heapAfterGc();
        print(r, model, agents, blockingThreads, heapBefore, heapNode, heapSetUp, heapAfter);
      }
    }
  }

  static String tenantOfRepo(String repo) {
    return "t" + repo.substring("app".length());
  }

  private static void print(AgentsEndToEnd.Result r, ModelLoad model, int agents, int blockingThreads, long heapBefore,
      long heapNode, long heapSetUp, long heapAfter) {
    int expected = TENANTS * PUSHES_PER_TENANT * agents;
    double bound = (double) expected / (TENANTS * LIMIT) * HOLD.toMillis() / 1000;
    Map<String, Integer> perTenant = model.maxInFlightPerTenant();
    long atLimit = perTenant.values().stream().filter(v -> v == LIMIT).count();
    long above = perTenant.values().stream().filter(v -> v > LIMIT).count();
    System.out.printf("### End to end: %d tenants x %d pushes, %d reviewers per repository, concurrency-per-tenant %d,"
        + " blocking dispatcher %s threads%n%n", TENANTS, PUSHES_PER_TENANT, agents, LIMIT,
        blockingThreads > 0 ? blockingThreads : PEKKO_BLOCKING_THREADS + " (Pekko's default)");
    System.out.println("| measurement | value |");
    System.out.println("| --- | ---: |");
    System.out.printf("| reviews posted / expected | %d / %d |%n", r.reviews(), expected);
    System.out.printf("| tasks failed (agents' tasksFailed) | %d |%n", r.tasksFailed());
    System.out.printf("| model requests | %d |%n", model.calls().size());
    System.out.printf("| pushes: %d, %d at a time, s | %.1f |%n", r.pushes(), PUSHERS, r.pushSeconds());
    System.out.printf("| one git push during the run, p50 / p99 ms (idle node: p50 %.0f) | %.0f / %.0f |%n",
        pct(r.idlePushMs(), 0.5), pct(r.pushMs(), 0.5), pct(r.pushMs(), 0.99));
    System.out.printf("| wall time, first push to last review, s | %.1f |%n", r.wallSeconds());
    System.out.printf("| lower bound from the limits (%d calls / (%d x %d) x %d ms), s | %.2f |%n", expected, TENANTS,
        LIMIT, HOLD.toMillis(), bound);
    System.out.printf("| max requests in flight at the model, overall (limits allow %d) | %d |%n", TENANTS * LIMIT,
        model.maxInFlight());
    System.out.printf("| mean requests in flight, first arrival to last answer | %.1f |%n", model.meanInFlight());
    System.out.printf("| tenants whose max in flight = the limit %d / above it | %d of %d / %d |%n", LIMIT, atLimit,
        perTenant.size(), above);
    System.out.printf("| push acknowledged → review stored, p50 / p99 / max, s | %.2f / %.2f / %.2f |%n",
        pct(r.pushToReview(), 0.5), pct(r.pushToReview(), 0.99), pct(r.pushToReview(), 1.0));
    System.out.printf("| heap used after GC: before node / node started / %d agents set up / after run, MiB"
        + " | %s / %s / %s / %s |%n", TENANTS * agents, mib(heapBefore), mib(heapNode), mib(heapSetUp), mib(heapAfter));
    System.out.printf("| max RSS of this JVM (VmHWM; PostgreSQL not included), MiB | %s |%n", maxRssMib());
    System.out.printf("%nper tenant max in flight: %s%nload average after: %s%n", perTenant, load());
  }

  static double pct(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)));
  }

  private static long heapAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String mib(long bytes) {
    return String.format("%.0f", bytes / 1048576.0);
  }

  private static String maxRssMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return String.format("%.0f", Long.parseLong(line.replaceAll("\\D", "")) / 1024.0);
        }
      }
    } catch (Exception e) {
      // Not Linux: no figure.
    }
    return "n/a";
  }

  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "n/a";
    }
  }
}
