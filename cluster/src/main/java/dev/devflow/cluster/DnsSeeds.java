package dev.devflow.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed nodes from DNS ({@code devflow.cluster.seed-dns}): every address the name resolves to (a
 * Kubernetes headless service of the core nodes, say) at this node's cluster port is a seed.
 *
 * <p>How one cluster forms, never two: the node waits until the name resolves to at least {@code
 * expect} addresses, the same set twice in a row, sorts them, and hands them to Pekko's seed-node
 * join. Every node then holds the same list, and only the node first in it may found a cluster —
 * and only after none of the others answered within {@code seed-node-timeout}. A node that starts
 * later (a restart, a scale-out) asks the seeds first and joins the cluster they are in, even when
 * its own address sorts first. The name must resolve to nodes with the {@code core} role only: a
 * runner first in the list would be the founder, yet it never founds a cluster.
 *
 * <p>The JVM caches DNS answers for 30 s by default; {@link Main#main} lowers that to 1 s so that
 * pods that came up meanwhile are seen.
 */
final class DnsSeeds {

  private static final Logger LOG = LoggerFactory.getLogger(DnsSeeds.class);
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);

  private DnsSeeds() {}

  /**
   * Resolves the seeds on a thread of its own, then joins them; gives up (and stops the node) after
   * {@code timeout}. {@code selfHost}: this node's cluster host as configured.
   */
  static void join(ActorSystem<?> system, String name, String selfHost, int port, int expect, Duration timeout) {
    Thread t = new Thread(() -> {
      try {
        List<Address> seeds = resolve(name, selfHost, port, expect, timeout);
        LOG.info("joining through the {} seeds {} resolved to: {}", seeds.size(), name, seeds);
        Cluster.get(system).manager().tell(new JoinSeedNodes(seeds));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (SeedsNotFound e) {
        LOG.error(e.getMessage());
        system.terminate();
      }
    }, "devflow-dns-seeds");
    t.setDaemon(true);
    t.start();
  }

  static List<Address> resolve(String name, String selfHost, int port, int expect, Duration timeout)
      throws InterruptedException, SeedsNotFound {
    InetAddress self = literal(selfHost);
    long start = System.nanoTime();
    long lastReport = 0;
    List<Address> previous = null;
    String problem = "nothing yet";
    while (System.nanoTime() - start < timeout.toNanos()) {
      try {
        List<Address> now = Arrays.stream(InetAddress.getAllByName(name))
            .sorted(Comparator.comparing(DnsSeeds::key))
            // Pekko finds itself in the list by comparing host text: this node's own address is
            // written as configured (an IPv6 address has several spellings).
            .map(a -> new Address("pekko", Main.SYSTEM_NAME, a.equals(self) ? selfHost : a.getHostAddress(), port))
            .distinct()
            .toList();
        if (now.size() >= expect && now.equals(previous)) {
          return now;
        }
        problem = now.size() < expect ? now.size() + " of " + expect + " addresses: " + now
            : "still changing: " + now;
        previous = now;
      } catch (UnknownHostException e) {
        problem = "it does not resolve";
        previous = null;
      }
      if (System.nanoTime() - lastReport > REPORT_EVERY.toNanos()) {
        LOG.info("waiting for the seeds of {}: {}", name, problem);
        lastReport = System.nanoTime();
      }
      Thread.sleep(INTERVAL.toMillis());
    }
    throw new SeedsNotFound("no seeds: " + name + " did not resolve to " + expect + " stable addresses within "
        + timeout.toSeconds() + " s (last: " + problem + "); stopping");
  }

  /** The address of an IP literal, null for a host name (never looked up here: it is not a pod IP). */
  private static InetAddress literal(String host) {
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      return null;
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Numeric order of the address bytes (IPv4 before IPv6), the same on every node. */
  private static String key(InetAddress a) {
    byte[] b = a.getAddress();
    StringBuilder k = new StringBuilder().append(b.length);
    for (byte x : b) {
      k.append(String.format("%03d", x & 0xff));
    }
    return k.toString();
  }

  static final class SeedsNotFound extends Exception {
    SeedsNotFound(String message) {
      super(message);
    }
  }
}
