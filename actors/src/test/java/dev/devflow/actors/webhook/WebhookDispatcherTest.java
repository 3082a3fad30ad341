package dev.devflow.actors.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.feed.FeedHub;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.feed.FeedDraft;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import dev.devflow.persistence.secrets.SecretStore;
import dev.devflow.persistence.webhook.WebhookStore;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher delivers entries its node's hub was never told about (the projection did not
 * know the hub yet, or the node had just joined): a real PostgreSQL, a real receiver, a hub that
 * gets no batch at all, and a list refresh far beyond the test, so only the feed check can wake
 * the worker.
 */
class WebhookDispatcherTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static ActorTestKit testKit;
  static HttpServer receiver;
  static ExecutorService blocking = Executors.newFixedThreadPool(4);
  static final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home.resolve("pg"));
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", x -> {
      received.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    receiver.start();
    testKit = ActorTestKit.create("WebhookDispatcherTest", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.roles = [core]
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """).withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (cluster.selfMember().status() != MemberStatus.up()) {
      assertTrue(System.nanoTime() < deadline, "the test node joins itself");
      Thread.sleep(20);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    testKit.shutdownTestKit();
    receiver.stop(0);
    blocking.shutdownNow();
    db.close();
    pg.close();
  }

  @Test
  void anEntryTheHubNeverReportedIsStillDelivered() throws Exception {
    Keyring keys = new Keyring(List.of(MasterKey.generate()));
    SecretStore secrets = new SecretStore(db, () -> keys);
    secrets.checkKeys();
    WebhookStore hooks = new WebhookStore(db, secrets);
    FeedStore feed = new FeedStore(db);
    hooks.put("acme", "ci", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", List.of("repo.created"), "s");
    FeedHub hub = new FeedHub(); // never sent a Publish: it reports nothing to the dispatcher
    WebhookSettings settings = new WebhookSettings(true, Duration.ofSeconds(2), Duration.ofHours(1),
        Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofHours(1), Duration.ofMillis(200));
    WebhookDispatcher.init(testKit.system(), hub, hooks, feed, blocking, settings);

    // The first entry may also be found by the worker's first read at its start...
    append(feed, "first");
    awaitReceived(1);
    // ...the second one only by the dispatcher's look at the feed's last ids.
    append(feed, "second");
    awaitReceived(2);
    assertTrue(received.get(0).contains("\"first\""), received.get(0));
    assertTrue(received.get(1).contains("\"second\""), received.get(1));
    assertEquals(2, received.size(), "each entry once");
  }

  private static void append(FeedStore feed, String repo) {
    feed.appendUnsourced(List.of(FeedDraft.unsourced("acme", "repo.created", "{\"repo\":\"" + repo + "\"}", Instant.now())));
  }

  private static void awaitReceived(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (received.size() < n) {
      assertTrue(System.nanoTime() < deadline, "delivered " + received.size() + " of " + n + ": " + received);
      Thread.sleep(20);
    }
  }
}
