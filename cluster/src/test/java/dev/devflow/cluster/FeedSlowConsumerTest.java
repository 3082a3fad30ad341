package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.createRepo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that do not read. One scenario (in {@link #run}), checked by several tests: a node with
 * {@code devflow.feed.client-buffer = 20} and a small fixed TCP send buffer; four raw SSE clients
 * with a tiny receive buffer that read nothing while 400 entries are written, and one client that
 * reads all the time. Then each stalled client is read to its end, a fresh client resumes after
 * the first one's last id, and every client is closed.
 *
 * <p>Expected: each stalled client got a gap-free prefix, then {@code event: resync} whose id is
 * the last id it got, then the end of the response and of the connection; the fresh client gets
 * the rest exactly; the reading client gets all 400. Memory: entries queued for the stalled clients
 * stay within their buffers however much is written, and every subscription object is gone once
 * the clients are (both counted on the heap after a full GC; the node runs in this JVM).
 */
class FeedSlowConsumerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUFFER = 20;
  private static final int STALLED = 4;
  private static final int ENTRIES = 400;

  private static final String SUBSCRIPTION = "dev.devflow.actors.feed.FeedSubscription";
  private static final String HUB_SUBSCRIPTION = "dev.devflow.actors.feed.FeedHub$Subscription";
  private static final String QUEUED_ENTRY = "dev.devflow.actors.feed.FeedSignal$Entry";

  @TempDir static Path dir;
  static RunningNode node;

  /** What one stalled client saw once read. */
  record Stalled(int receiveBuffer, List<RawSse.Message> events, boolean ended, boolean closedByServer) {
    /** Entries before a final resync (all events when there is none). */
    List<RawSse.Message> entries() {
      return events.stream().filter(m -> !"resync".equals(m.event())).toList();
    }

    RawSse.Message last() {
      return events.get(events.size() - 1);
    }
  }

  static Map<String, Long> baseline;
  static Map<String, Long> whileConnected;
  static long queuedAfterAllWritten;
  static List<RawSse.Message> reader;
  static final List<Stalled> stalled = new ArrayList<>();
  /** The feed's newest id before the first entry written here (tenant creation may add entries). */
  static long base;
  static long resumedAfter;
  static List<RawSse.Message> resumed;
  static Map<String, Long> afterClose;

  @BeforeAll
  static void run() throws Exception {
    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    o.put("devflow.feed.client-buffer", BUFFER);
    // A small fixed send buffer (no autotuning): a few hundred entries fill what the kernel holds
    // for a client that does not read.
    o.put("pekko.http.server.socket-options.so-send-buffer-size", 4096);
    // The node notices a client that went away only when writing to it fails, the second write
    // after the close (measured: about twice the heartbeat); a short heartbeat keeps that quick.
    o.put("devflow.feed.heartbeat", "1s");
    node = TestNodes.start(o);
    Api api = new Api(node.baseUrl());
    int port = node.httpPort().join();
    String admin = node.createdAdminToken().orElseThrow();
    String write = api.tenantWithToken(admin, "slow", "write");
    String read = api.token(admin, "slow", "read");
    String path = "/api/v1/tenants/slow/events";
    baseline = FeedFixtures.liveInstances(SUBSCRIPTION, HUB_SUBSCRIPTION);

    List<RawSse> stalledClients = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      for (int i = 0; i < STALLED; i++) {
        RawSse s = new RawSse(port, path, read, Map.of(), 1024);
        stalledClients.add(s);
        assertEquals(200, s.readHead());
        assertEquals("3000", s.readBlocks(1).get(0).retry(), "the stream is open");
      }
      try (RawSse reading = new RawSse(port, path, read, Map.of(), 0)) {
        assertEquals(200, reading.readHead());
        reading.readBlocks(1);
        Future<List<RawSse.Message>> readAll = pool.submit(() -> reading.readEvents(ENTRIES));
        whileConnected = FeedFixtures.liveInstances(SUBSCRIPTION, HUB_SUBSCRIPTION);

        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          int worker = w;
          writers.add(pool.submit(() -> {
            for (int i = worker; i < ENTRIES; i += 4) {
              createRepo(api, "slow", write, "s" + i);
            }
            return null;
          }));
        }
        for (Future<?> f : writers) {
          f.get(120, TimeUnit.SECONDS);
        }
        reader = readAll.get(60, TimeUnit.SECONDS);
        // The reading client has everything, so the hub has dispatched everything.
        queuedAfterAllWritten = FeedFixtures.liveInstances(QUEUED_ENTRY).get(QUEUED_ENTRY);
      }

      for (RawSse s : stalledClients) {
        s.readToEnd();
        stalled.add(new Stalled(s.receiveBufferSize(), s.events(), s.ended(), s.closedByServer()));
      }
      Stalled first = stalled.get(0);
      RawSse.Message last = first.last();
      base = Long.parseLong(reader.get(0).id()) - 1;
      resumedAfter = "resync".equals(last.event()) ? Long.parseLong(last.id())
          : Long.parseLong(first.entries().get(first.entries().size() - 1).id());
      try (RawSse again = new RawSse(port, path, read, Map.of("Last-Event-ID", String.valueOf(resumedAfter)), 0)) {
        assertEquals(200, again.readHead());
        resumed = again.readEvents((int) (base + ENTRIES - resumedAfter));
      }
    } finally {
      for (RawSse s : stalledClients) {
        s.close();
      }
      pool.shutdownNow();
    }
    // Every client is gone; give the node time to notice (a condition, not a fixed time).
    try {
      FeedFixtures.await("subscriptions released", 30, () -> {
        afterClose = FeedFixtures.liveInstances(SUBSCRIPTION, HUB_SUBSCRIPTION);
        return afterClose.equals(baseline);
      });
    } catch (AssertionError notReleased) {
      // asserted in subscriptionsAreReleasedOnceTheClientsAreGone
    }
    for (Stalled s : stalled) {
      System.out.printf("stalled client (SO_RCVBUF %d) got %d entries, last message %s%n",
          s.receiveBuffer(), s.entries().size(), s.last());
    }
    System.out.printf("entries queued for %d stalled clients once all %d were written: %d%n",
        STALLED, ENTRIES, queuedAfterAllWritten);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static List<Long> ids(List<RawSse.Message> messages) {
    return messages.stream().map(m -> Long.parseLong(m.id())).toList();
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void aReadingClientGetsEveryEntryWithoutResync() throws Exception {
    assertEquals(range(base + 1, base + ENTRIES), ids(reader), summary(reader));
    assertTrue(reader.stream().allMatch(m -> m.event().equals("repo.created")), summary(reader));
    Set<String> repos = new HashSet<>();
    for (RawSse.Message m : reader) {
      repos.add(JSON.readTree(m.data()).get("repo").asText());
    }
    assertEquals(ENTRIES, repos.size(), "one entry per repository written, the first one included");
  }

  @Test
  void stalledClientsGetAGapFreePrefixThenTheResponseEnds() {
    for (Stalled s : stalled) {
      long k = s.entries().size();
      assertTrue(k > 0 && k < ENTRIES, "the client fell behind before the end: " + k);
      assertEquals(range(base + 1, base + k), ids(s.entries()), "no gap, no duplicate: " + summary(s.events()));
      assertTrue(s.ended(), "the response ended (last chunk)");
      assertTrue(s.closedByServer(), "the server closed the connection (Connection: close)");
    }
  }

  @Test
  void stalledClientsEndWithResyncCarryingTheLastIdTheyGot() throws Exception {
    for (Stalled s : stalled) {
      RawSse.Message last = s.last();
      assertEquals("resync", last.event(), "a stalled client's last message is resync: " + summary(s.events()));
      long lastDelivered = base + s.entries().size();
      assertEquals(String.valueOf(lastDelivered), last.id(), "resync carries the last id delivered");
      JsonNode data = JSON.readTree(last.data());
      assertEquals(lastDelivered, data.get("after").asLong(), data.toString());
      assertEquals("slow", data.get("tenant").asText(), data.toString());
      assertTrue(data.hasNonNull("at"), data.toString());
    }
  }

  @Test
  void aFreshClientResumingAfterTheLastIdGetsTheRestExactly() {
    assertTrue(resumedAfter > base && resumedAfter < base + ENTRIES, "resumed after " + resumedAfter);
    assertEquals(range(resumedAfter + 1, base + ENTRIES), ids(resumed), summary(resumed));
  }

  @Test
  void entriesQueuedForStalledClientsStayWithinTheirBuffers() {
    assertEquals(baseline.get(SUBSCRIPTION) + STALLED + 1, whileConnected.get(SUBSCRIPTION),
        "the heap count sees one subscription per connected client");
    assertTrue(queuedAfterAllWritten <= STALLED * (BUFFER + 16L),
        "entries queued " + queuedAfterAllWritten + " exceed " + STALLED + " buffers of " + BUFFER);
  }

  @Test
  void subscriptionsAreReleasedOnceTheClientsAreGone() {
    assertEquals(baseline, afterClose, "live subscription objects after every client closed");
  }

  static String summary(List<RawSse.Message> messages) {
    if (messages.size() <= 6) {
      return messages.toString();
    }
    return messages.size() + " messages: " + messages.subList(0, 3) + " ... "
        + messages.subList(messages.size() - 3, messages.size());
  }
}
