package dev.devflow.bench.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a failover's time goes: from the kill, when a survivor first counted a member unreachable,
 * then one down (the Split Brain Resolver's decision), then one member fewer (the leader removed
 * it). It reads the survivors' {@code /metrics} every 200 ms, the cluster gauges each node keeps
 * of its own view, so it needs neither debug logging nor the heavier {@code /api/v1/cluster}.
 */
public final class FailoverTimeline implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private static final Pattern MEMBERS = Pattern.compile("(?m)^devflow_cluster_members\\{status=\"(\\w+)\"} (\\S+)$");
  private static final Pattern UNREACHABLE = Pattern.compile("(?m)^devflow_cluster_unreachable_members (\\S+)$");

  private final long sinceNanos;
  private final AtomicLong unreachable = new AtomicLong();
  private final AtomicLong downed = new AtomicLong();
  private final AtomicLong removed = new AtomicLong();
  private final Thread poller;
  private volatile boolean running = true;

  private FailoverTimeline(List<NodeProcess> survivors, long sinceNanos) {
    this.sinceNanos = sinceNanos;
    this.poller = new Thread(() -> poll(survivors), "failover-timeline");
    poller.setDaemon(true);
    poller.start();
  }

  /** Starts watching {@code survivors} right after a node was killed at {@code sinceNanos}. */
  public static FailoverTimeline watch(List<NodeProcess> survivors, long sinceNanos) {
    return new FailoverTimeline(survivors, sinceNanos);
  }

  private void poll(List<NodeProcess> survivors) {
    int[] before = new int[survivors.size()];
    while (running && removed.get() == 0) {
      for (int i = 0; i < survivors.size(); i++) {
        String metrics = metrics(survivors.get(i));
        if (metrics == null) {
          continue;
        }
        long now = System.nanoTime();
        int members = 0;
        Matcher m = MEMBERS.matcher(metrics);
        while (m.find()) {
          int n = (int) Double.parseDouble(m.group(2));
          members += n;
          if (m.group(1).equals("down") && n > 0) {
            downed.compareAndSet(0, now);
          }
        }
        Matcher u = UNREACHABLE.matcher(metrics);
        if (u.find() && Double.parseDouble(u.group(1)) > 0) {
          unreachable.compareAndSet(0, now);
        }
        // The first answer comes long before the removal (the detection alone takes seconds).
        if (before[i] == 0) {
          before[i] = members;
        } else if (members < before[i]) {
          removed.compareAndSet(0, now);
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static String metrics(NodeProcess node) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/metrics"))
          .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (Exception e) {
      return null; // a survivor busy past the timeout: the next round asks again
    }
  }

  /** "unreachable +4.7 s, down +12.2 s, removed +12.6 s": the first survivor to see each, after the kill. */
  @Override
  public String toString() {
    return "unreachable " + since(unreachable) + ", down " + since(downed) + ", removed " + since(removed);
  }

  private String since(AtomicLong at) {
    long t = at.get();
    return t == 0 ? "(not seen)" : String.format("+%.1f s", (t - sinceNanos) / 1e9);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    poller.interrupt();
    poller.join(5_000);
  }
}
