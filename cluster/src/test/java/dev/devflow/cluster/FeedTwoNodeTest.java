package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.createRepo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feed across two nodes on one database (in this JVM, like ConcurrentStartTest) with one git
 * root: a client connected to node B sees the entries of repositories created through node A and
 * of a real {@code git push} to node A, live, with the same ids and order as a client on node A;
 * and the other way round; a flag changed through A is evaluated on B from B's own catalog.
 * Latencies (request start to arrival at the client) are printed, not asserted.
 */
class FeedTwoNodeTest {

  @TempDir Path dir;

  @Test
  void aClientOnOneNodeSeesWhatIsDoneThroughTheOther() throws Exception {
    EventSourceClient.install();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seedPort = TestNodes.freePort();
      List<Callable<RunningNode>> starts = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Map<String, Object> o = TestNodes.options(dir.resolve("node" + i));
        o.put("devflow.db.url", db.settings().url());
        o.put("devflow.db.user", db.settings().user());
        o.put("devflow.db.password", db.settings().password());
        o.put("devflow.cluster.port", i == 0 ? seedPort : TestNodes.freePort());
        o.put("devflow.cluster.seeds", "127.0.0.1:" + seedPort);
        o.put("devflow.git.root", dir.resolve("git").toString());
        starts.add(() -> TestNodes.start(o));
      }
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<RunningNode> nodes = new ArrayList<>();
      try {
        for (Future<RunningNode> f : pool.invokeAll(starts)) {
          nodes.add(f.get());
        }
        String admin = nodes.stream().flatMap(n -> n.createdAdminToken().stream()).findFirst().orElseThrow();
        RunningNode a = nodes.get(0);
        RunningNode b = nodes.get(1);
        Api apiA = new Api(a.baseUrl());
        Api apiB = new Api(b.baseUrl());
        waitForMembers(apiA, admin, 2);
        waitReady(apiA);
        waitReady(apiB);

        String write = apiA.tenantWithToken(admin, "two", "write");
        String read = apiA.token(admin, "two", "read");
        String feed = "/api/v1/tenants/two/events";
        try (EventSourceClient onB = EventSourceClient.start(b.baseUrl() + feed, read, null, 0);
            EventSourceClient onA = EventSourceClient.start(a.baseUrl() + feed, read, null, 0)) {
          onB.awaitOpen(1);
          onA.awaitOpen(1);

          // Repositories created through A, one at a time, each awaited on B.
          List<Long> createLatencies = new ArrayList<>();
          List<Long> afterReply = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            long start = System.nanoTime();
            createRepo(apiA, "two", write, "c" + i);
            long replied = System.nanoTime();
            EventSourceClient.Event e = onB.awaitEvents(i + 1).get(i);
            assertEquals("repo.created", e.type());
            assertEquals("c" + i, e.data().get("repo").asText());
            assertEquals("two", e.data().get("tenant").asText());
            createLatencies.add(TimeUnit.NANOSECONDS.toMillis(e.nanos() - start));
            afterReply.add(TimeUnit.NANOSECONDS.toMillis(e.nanos() - replied));
          }
          long base = onB.events().get(0).id() - 1;

          // Real git pushes to A, each awaited on B.
          Path work = dir.resolve("work");
          String url = FeedFixtures.gitUrl(a.baseUrl(), write, "two", "c0");
          List<Long> pushLatencies = new ArrayList<>();
          List<Long> afterPush = new ArrayList<>();
          String previous = "0".repeat(40);
          for (int i = 0; i < 3; i++) {
            String sha = FeedFixtures.commit(work, url, "f" + i + ".txt", "content " + i + "\n", "commit " + i);
            long start = System.nanoTime();
            FeedFixtures.push(work);
            long pushed = System.nanoTime();
            EventSourceClient.Event e = onB.awaitEvents(9 + i).get(8 + i);
            assertEquals("repo.pushed", e.type(), onB.describe());
            assertEquals("c0", e.data().get("repo").asText());
            assertEquals("refs/heads/main", e.data().get("ref").asText());
            assertEquals(previous, e.data().get("before").asText());
            assertEquals(sha, e.data().get("after").asText());
            assertEquals(1, e.data().get("commitCount").asInt());
            assertEquals(sha, e.data().get("commits").get(0).get("id").asText());
            pushLatencies.add(TimeUnit.NANOSECONDS.toMillis(e.nanos() - start));
            afterPush.add(TimeUnit.NANOSECONDS.toMillis(e.nanos() - pushed));
            previous = sha;
          }

          // And the other way round: created through B, seen on A.
          long start = System.nanoTime();
          createRepo(apiB, "two", write, "from-b");
          EventSourceClient.Event onAEvent = onA.awaitEvents(12).get(11);
          long reverse = TimeUnit.NANOSECONDS.toMillis(onAEvent.nanos() - start);
          assertEquals("from-b", onAEvent.data().get("repo").asText());
          onB.awaitEvents(12);

          // Both nodes' clients saw the same entries, ids and order, with no gap.
          List<Long> idsB = onB.events().stream().map(EventSourceClient.Event::id).toList();
          List<Long> idsA = onA.events().stream().map(EventSourceClient.Event::id).toList();
          assertEquals(LongStream.rangeClosed(base + 1, base + 12).boxed().toList(), idsB, onB.describe());
          assertEquals(idsB, idsA, onA.describe());
          for (int i = 0; i < 12; i++) {
            assertEquals(onB.events().get(i).data(), onA.events().get(i).data());
          }
          assertEquals(1, onB.count("open"), "no reconnect on B");

          System.out.printf("feed latency, repo created through A -> client on B: from the request %s ms (median %d),"
              + " from the 201 %s ms (median %d)%n",
              createLatencies, median(createLatencies), afterReply, median(afterReply));
          System.out.printf("feed latency, git push to A -> client on B: from the push start %s ms (median %d),"
              + " from git's exit %s ms (median %d)%n",
              pushLatencies, median(pushLatencies), afterPush, median(afterPush));
          System.out.printf("feed latency, repo created through B -> client on A: %d ms%n", reverse);
        }

        // Flags: changed through A, evaluated on B from B's own catalog.
        List<Long> flagLatencies = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          boolean on = i % 2 == 0;
          long start = System.nanoTime();
          Api.Response put = apiA.call("PUT", "/api/v1/tenants/two/flags/switch", write,
              "{\"enabled\":" + on + ",\"strategies\":[{\"name\":\"default\"}]}");
          assertEquals(i == 0 ? 201 : 200, put.status(), put.body());
          FeedFixtures.await("flag switched to " + on + " on B", 10, () -> apiB.post(
              "/api/v1/tenants/two/flags/evaluate", read, "{\"context\":{\"userId\":\"u\"},\"keys\":[\"switch\"]}")
              .json().get("switch").get("enabled").asBoolean() == on);
          flagLatencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        System.out.printf("flag change through A -> evaluated on B: %s ms (median %d, from the PUT's start)%n",
            flagLatencies, median(flagLatencies));
      } finally {
        pool.shutdown();
        for (RunningNode n : nodes) {
          n.close();
        }
      }
    }
  }

  static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static void waitReady(Api api) throws Exception {
    FeedFixtures.await("node ready", 30, () -> api.get("/health/ready", null).status() == 200);
  }

  private static void waitForMembers(Api api, String admin, int n) throws Exception {
    FeedFixtures.await(n + " members up", 60, () -> {
      Api.Response r = api.get("/api/v1/cluster", admin);
      if (r.status() != 200) {
        return false;
      }
      long up = 0;
      for (var m : r.json().get("members")) {
        if (m.get("status").asText().equals("up")) {
          up++;
        }
      }
      return up == n;
    });
  }
}
