package dev.devflow.bench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a runtime node with real processes: three {@code devflow node}s on one database (two
 * of them runtime nodes sharing the artifact store), an app with two instances, one on each
 * runtime node. After the kill, the cluster downs the dead node, its instance starts on the other
 * runtime node, the router answers, and the dead node's app process does not outlive it.
 */
class RuntimeNodeKillTest {

  static final Duration READY = Duration.ofSeconds(120);
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static final String APP = """
      import http.server, os
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              body = ("pid=%d" % os.getpid()).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)
      http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
      """;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir; // a failure's node logs stay for a look

  @Test
  void instancesOfAKilledRuntimeNodeStartElsewhere() throws Exception {
    try (ClusterHarness cluster = ClusterHarness.start(dir, 3)) {
      cluster.set("DEVFLOW_BLOBS", dir.resolve("blobs").toString());
      try {
        NodeProcess n1 = cluster.node("node1", "api,core,runner,runtime").awaitReady(READY);
        NodeProcess n2 = cluster.node("node2", "api,core,runtime").awaitReady(READY);
        NodeProcess n3 = cluster.node("node3", "api,core").awaitReady(READY);
        ClusterHarness.await("3 members up", Duration.ofSeconds(60), () -> cluster.membersUp(n1) == 3);
        Thread.sleep(3000); // both runtime supervisors known everywhere before the app places instances

        String base = n1.baseUrl();
        String admin = cluster.adminToken();
        call(base, "POST", "/api/v1/tenants", admin, "{\"name\":\"acme\"}");
        String token = JSON.readTree(call(base, "POST", "/api/v1/tenants/acme/tokens", admin,
            "{\"name\":\"t\",\"role\":\"admin\"}")).get("token").asText();
        call(base, "POST", "/api/v1/tenants/acme/repos", token, "{\"name\":\"site\"}");
        call(base, "POST", "/api/v1/tenants/acme/apps", token, "{\"name\":\"site\",\"repo\":\"site\",\"instances\":2}");
        Path work = dir.resolve("work");
        git(dir, "init", "-q", "-b", "main", work.toString());
        Files.writeString(work.resolve("Procfile"), "web: python3 app.py\n");
        Files.writeString(work.resolve("app.py"), APP);
        git(work, "add", "-A");
        git(work, "commit", "-q", "-m", "app");
        git(work, "push", "-q", base.replace("http://", "http://x:" + token + "@") + "/git/acme/site.git",
            "HEAD:refs/heads/main");

        ClusterHarness.await("two healthy instances", Duration.ofSeconds(120), () -> healthy(base, token).size() == 2);
        String n2Address = ":" + n2.clusterPort();
        List<JsonNode> before = healthy(base, token);
        JsonNode onN2 = before.stream().filter(i -> i.get("node").asText().endsWith(n2Address)).findFirst()
            .orElseThrow(() -> new AssertionError("no instance on node2: " + before));
        long orphanPid = onN2.get("pid").asLong();

        long killed = System.nanoTime();
        n2.kill();
        ClusterHarness.await("two healthy instances, none on node2", Duration.ofSeconds(120), () -> {
          List<JsonNode> now = healthy(base, token);
          return now.size() == 2 && now.stream().noneMatch(i -> i.get("node").asText().endsWith(n2Address));
        });
        System.out.printf("kill -9 of a runtime node: its instance healthy on another node %d ms later%n",
            (System.nanoTime() - killed) / 1_000_000);
        HttpResponse<String> served = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/apps/acme/site/")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, served.statusCode(), served.body());
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(n3.baseUrl() + "/apps/acme/site/")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode(), "node3 routes to the new instance too");
        // The dead node's app process is killed by the watcher its node left behind.
        ClusterHarness.await("the dead node's app process gone", Duration.ofSeconds(30),
            () -> !Files.exists(Path.of("/proc/" + orphanPid)));
        assertFalse(Files.exists(Path.of("/proc/" + orphanPid)));
        assertTrue(healthy(base, token).stream().allMatch(i -> i.get("node").asText().endsWith(":" + n1.clusterPort())));
      } catch (Throwable t) {
        System.out.println(cluster.logs(6000));
        throw t;
      }
    }
  }

  static List<JsonNode> healthy(String base, String token) throws Exception {
    JsonNode app = JSON.readTree(call(base, "GET", "/api/v1/tenants/acme/apps/site", token, null));
    long live = app.path("currentRelease").path("number").asLong();
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : app.path("processes")) {
      if (p.get("status").asText().equals("healthy") && p.get("release").asLong() == live) {
        out.add(p);
      }
    }
    return out;
  }

  static String call(String base, String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  static void git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=t", "-c", "user.email=t@x",
        "-c", "credential.helper="));
    cmd.addAll(List.of(args));
    Files.createDirectories(cwd);
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("git " + String.join(" ", args) + ": " + out);
    }
  }
}
