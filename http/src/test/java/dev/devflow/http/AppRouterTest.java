package dev.devflow.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.deploy.AppEndpoints;
import dev.devflow.actors.deploy.Endpoint;
import dev.devflow.actors.deploy.RouteTable;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.actors.tenant.Role;
import dev.devflow.actors.tenant.Tenant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The app router on a real Pekko HTTP server in front of real upstream HTTP servers (JDK
 * HttpServer, standing in for app instances). Tokens are real: a one-node cluster runs the Tenant
 * entity (in-memory journal), and the tokens are issued by it.
 */
class AppRouterTest {

  static final int FIVE_MB = 5 * 1024 * 1024;

  static ActorTestKit testKit;
  static RouteTable table = new RouteTable();
  static ServerBinding binding;
  static ServerBinding slowBinding;
  static Upstream a;
  static Upstream b;
  static String acmeToken;
  static String otherToken;
  static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    var snapshots = Files.createTempDirectory("router-snapshots");
    testKit = ActorTestKit.create("AppRouterTest", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.roles = [core]
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        pekko.persistence.journal.plugin = "pekko.persistence.journal.inmem"
        pekko.persistence.snapshot-store.plugin = "pekko.persistence.snapshot-store.local"
        pekko.persistence.snapshot-store.local.dir = "%s"
        pekko.http.server.remote-address-attribute = on
        # Far below the 5 MB bodies: the router applies its own limit.
        pekko.http.server.parsing.max-content-length = 1m
        """.formatted(snapshots)).withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (cluster.selfMember().status() != MemberStatus.up()) {
      assertTrue(System.nanoTime() < deadline, "the test node joins itself");
      Thread.onSpinWait();
    }
    Tenant.init(testKit.system());
    acmeToken = tenantToken("acme");
    otherToken = tenantToken("other");

    a = new Upstream("a");
    b = new Upstream("b");
    Authenticator auth = new Authenticator(testKit.system(), () -> "", Duration.ofMillis(500), Duration.ofSeconds(5),
        new AuthFailures(new AuthFailureLimit(100, Duration.ofMinutes(1), Duration.ofSeconds(10))),
        new AuditLog(null, Runnable::run));
    binding = bind(new AppRouter(testKit.system(), auth, table));
    slowBinding = bind(new AppRouter(testKit.system(), auth, table,
        new AppRouter.Settings(Duration.ofSeconds(1), 1L << 30, Duration.ofSeconds(5), 16)));

    table.update("acme", "web", new AppEndpoints(List.of(a.endpoint()), false, 1));
    table.update("acme", "pair", new AppEndpoints(List.of(a.endpoint(), b.endpoint()), false, 1));
    table.update("acme", "down", new AppEndpoints(List.of(), false, 1));
    table.update("acme", "secret", new AppEndpoints(List.of(a.endpoint()), true, 1));
  }

  static String tenantToken(String tenant) throws Exception {
    var ref = ClusterSharding.get(testKit.system()).entityRefFor(Tenant.ENTITY_KEY, tenant);
    ref.<Tenant.Summary>askWithStatus(r -> new Tenant.Create(tenant, Plan.FREE, r), Duration.ofSeconds(20))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    return ref.<Tenant.IssuedToken>askWithStatus(r -> new Tenant.IssueToken("apps", Role.READ, r), Duration.ofSeconds(10))
        .toCompletableFuture().get(20, TimeUnit.SECONDS).token();
  }

  /** The router as ApiRoutes mounts it: problems for every rejection and exception. */
  static ServerBinding bind(AppRouter router) throws Exception {
    AllDirectives d = new AllDirectives() {};
    Route route = d.handleExceptions(Problems.exceptionHandler(),
        () -> d.handleRejections(Problems.rejectionHandler(), router::route));
    return Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    a.server.stop(0);
    b.server.stop(0);
    testKit.shutdownTestKit();
  }

  static String url(ServerBinding binding, String path) {
    return "http://127.0.0.1:" + binding.localAddress().getPort() + path;
  }

  static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url(binding, path))).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      r.headers(headers);
    }
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void stripsThePrefixKeepsTheQueryAndSetsForwardedHeaders() throws Exception {
    HttpResponse<String> r = get("/apps/acme/web/hello/a%20b?x=1&y=%2F", "X-Forwarded-For", "10.1.1.1");
    assertEquals(200, r.statusCode(), r.body());
    Map<String, String> seen = a.last;
    assertEquals("GET /hello/a%20b?x=1&y=%2F", seen.get("request"));
    assertEquals("10.1.1.1, 127.0.0.1", seen.get("x-forwarded-for"));
    assertEquals("http", seen.get("x-forwarded-proto"));
    assertEquals("127.0.0.1:" + binding.localAddress().getPort(), seen.get("x-forwarded-host"));
    assertEquals("/apps/acme/web", seen.get("x-forwarded-prefix"));
    assertEquals("a", r.body());

    assertEquals(200, get("/apps/acme/web").statusCode());
    assertEquals("GET /", a.last.get("request"), "an empty rest is /");
    assertEquals(200, get("/apps/acme/web/?q").statusCode());
    assertEquals("GET /?q", a.last.get("request"));
    assertEquals(404, get("/apps/acme/webx").statusCode(), "the app segment is matched whole");
  }

  @Test
  void uploadStreamsThroughWithoutBeingBuffered() throws Exception {
    // The client sends the second half only after the app has read the first: a router that
    // waited for the whole body would never let that happen.
    CountDownLatch appSawFirstHalf = new CountDownLatch(1);
    a.onUploadProgress = (read) -> {
      if (read >= FIVE_MB / 2) {
        appSawFirstHalf.countDown();
      }
    };
    PipedInputStream in = new PipedInputStream(64 * 1024);
    PipedOutputStream out = new PipedOutputStream(in);
    Thread writer = new Thread(() -> {
      try (out) {
        byte[] chunk = pattern(64 * 1024);
        for (int sent = 0; sent < FIVE_MB; sent += chunk.length) {
          if (sent == FIVE_MB / 2 + chunk.length && !appSawFirstHalf.await(20, TimeUnit.SECONDS)) {
            return;
          }
          out.write(chunk);
        }
      } catch (Exception e) {
        // the request fails and the test with it
      }
    });
    writer.start();
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(URI.create(url(binding, "/apps/acme/web/upload")))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> in)).build(),
        HttpResponse.BodyHandlers.ofString());
    writer.join();
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("read " + FIVE_MB, r.body());
    assertEquals(0, appSawFirstHalf.getCount());
  }

  @Test
  void downloadStreamsThroughWithoutBeingBuffered() throws Exception {
    // The app sends the second half only after the client has read the first.
    CountDownLatch clientReadFirstHalf = new CountDownLatch(1);
    a.beforeSecondHalf = clientReadFirstHalf;
    HttpResponse<InputStream> r = client.send(
        HttpRequest.newBuilder(URI.create(url(binding, "/apps/acme/web/download"))).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    long total = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream body = r.body()) {
      for (int n; (n = body.read(buf)) > 0; ) {
        total += n;
        if (total >= FIVE_MB / 2) {
          clientReadFirstHalf.countDown();
        }
      }
    }
    assertEquals(FIVE_MB, total);
  }

  @Test
  void roundRobinOverTwoInstances() throws Exception {
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(get("/apps/acme/pair/").body());
    }
    assertEquals(2, answers.stream().filter("a"::equals).count(), answers.toString());
    assertEquals(2, answers.stream().filter("b"::equals).count(), answers.toString());
    assertFalse(answers.get(0).equals(answers.get(1)), "alternates: " + answers);
  }

  @Test
  void noHealthyInstanceIs503WithRetryAfter() throws Exception {
    HttpResponse<String> r = get("/apps/acme/down/x");
    assertEquals(503, r.statusCode());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElseThrow());
    assertTrue(r.body().contains("/problems/app-unavailable"), r.body());
    assertTrue(r.body().contains("acme/down"), r.body());
    assertEquals("5", r.headers().firstValue("Retry-After").orElseThrow());
  }

  @Test
  void unknownAppIs404() throws Exception {
    HttpResponse<String> r = get("/apps/acme/nope/x");
    assertEquals(404, r.statusCode());
    assertTrue(r.body().contains("acme/nope"), r.body());
    assertEquals(404, get("/apps/ACME/web/x").statusCode(), "invalid names are not found either");
  }

  @Test
  void privateAppNeedsATokenOfItsTenant() throws Exception {
    HttpResponse<String> none = get("/apps/acme/secret/");
    assertEquals(401, none.statusCode());
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Basic"));
    assertEquals(401, get("/apps/acme/secret/", "Authorization", "Bearer df_nonsense").statusCode());
    HttpResponse<String> foreign = get("/apps/acme/secret/", "Authorization", "Bearer " + otherToken);
    assertEquals(404, foreign.statusCode(), foreign.body());

    a.last = Map.of();
    HttpResponse<String> bearer = get("/apps/acme/secret/in", "Authorization", "Bearer " + acmeToken);
    assertEquals(200, bearer.statusCode(), bearer.body());
    assertEquals("GET /in", a.last.get("request"));
    assertFalse(a.last.containsKey("authorization"), "the DevFlow token is not passed to the app");
    String basic = Base64.getEncoder().encodeToString(("me:" + acmeToken).getBytes(StandardCharsets.UTF_8));
    assertEquals(200, get("/apps/acme/secret/in", "Authorization", "Basic " + basic).statusCode());

    assertEquals(200, get("/apps/acme/web/", "Authorization", "Bearer whatever").statusCode(), "public apps take no token");
    assertEquals("Bearer whatever", a.last.get("authorization"), "and their Authorization is the app's own");
  }

  @Test
  void aRefusedConnectionIsRetriedOnTheNextInstanceWhenIdempotent() throws Exception {
    Endpoint dead = new Endpoint("127.0.0.1", freePort());
    table.update("acme", "half", new AppEndpoints(List.of(dead, b.endpoint()), false, 1));
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = get("/apps/acme/half/");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("b", r.body());
    }
    table.update("acme", "half-post", new AppEndpoints(List.of(dead, b.endpoint()), false, 1));
    HttpResponse<String> post = client.send(
        HttpRequest.newBuilder(URI.create(url(binding, "/apps/acme/half-post/")))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(502, post.statusCode(), "a POST is not retried");
    assertTrue(post.body().contains("/problems/app-unreachable"), post.body());
  }

  @Test
  void anInstanceThatDoesNotAnswerInTimeIs504() throws Exception {
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(URI.create(url(slowBinding, "/apps/acme/web/slow"))).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(504, r.statusCode(), r.body());
    assertTrue(r.body().contains("/problems/app-timeout"), r.body());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static byte[] pattern(int n) {
    byte[] bytes = new byte[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  /** An app instance: answers its name, records what it saw, reads uploads, streams downloads. */
  static final class Upstream {
    final String name;
    final HttpServer server;
    volatile Map<String, String> last = Map.of();
    volatile java.util.function.LongConsumer onUploadProgress = n -> {};
    volatile CountDownLatch beforeSecondHalf = new CountDownLatch(0);

    Upstream(String name) throws IOException {
      this.name = name;
      this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setExecutor(Executors.newCachedThreadPool());
      server.createContext("/", this::handle);
      server.start();
    }

    Endpoint endpoint() {
      return new Endpoint("127.0.0.1", server.getAddress().getPort());
    }

    void handle(HttpExchange x) throws IOException {
      Map<String, String> seen = new ConcurrentHashMap<>();
      String query = x.getRequestURI().getRawQuery();
      seen.put("request", x.getRequestMethod() + " " + x.getRequestURI().getRawPath() + (query == null ? "" : "?" + query));
      x.getRequestHeaders().forEach((k, v) -> seen.put(k.toLowerCase(), String.join(", ", v)));
      last = seen;
      String path = x.getRequestURI().getRawPath();
      try (x) {
        if (path.equals("/upload")) {
          long read = 0;
          byte[] buf = new byte[64 * 1024];
          try (InputStream in = x.getRequestBody()) {
            for (int n; (n = in.read(buf)) > 0; ) {
              read += n;
              onUploadProgress.accept(read);
            }
          }
          reply(x, "read " + read);
        } else if (path.equals("/download")) {
          x.sendResponseHeaders(200, FIVE_MB);
          byte[] chunk = pattern(64 * 1024);
          try (OutputStream out = x.getResponseBody()) {
            for (int sent = 0; sent < FIVE_MB; sent += chunk.length) {
              if (sent == FIVE_MB / 2) {
                out.flush();
                if (!beforeSecondHalf.await(20, TimeUnit.SECONDS)) {
                  return;
                }
              }
              out.write(chunk);
            }
          }
        } else if (path.equals("/slow")) {
          Thread.sleep(3000);
          reply(x, name);
        } else {
          x.getRequestBody().readAllBytes();
          reply(x, name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static void reply(HttpExchange x, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, bytes.length);
      x.getResponseBody().write(bytes);
    }
  }
}
