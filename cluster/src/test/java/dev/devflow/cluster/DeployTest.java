package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.persistence.apps.AppStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code git push} to deploy, end to end on one node with every role: real pushes over HTTP, the
 * build as a CI job on the node's runner, instances as real Python and Node.js processes, the
 * router in front, the app's own PostgreSQL database. Covers a release replacing another with no
 * failed request, a broken release contained, a missing Procfile, rollback, scaling with round
 * robin, a killed instance restarted, and the feed and log of it all.
 */
class DeployTest {

  @TempDir Path dir;

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static String pythonApp(String version) {
    return """
        import http.server, os, subprocess
        VERSION = "%s"
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/health":
                    body = b"ok"
                elif self.path == "/db":
                    url = os.environ["DATABASE_URL"]
                    subprocess.run(["psql", url, "-qc", "CREATE TABLE IF NOT EXISTS hits (n int)"], check=True)
                    subprocess.run(["psql", url, "-qc", "INSERT INTO hits VALUES (1)"], check=True)
                    out = subprocess.run(["psql", url, "-tAc", "SELECT count(*) FROM hits"], check=True,
                                         capture_output=True, text=True).stdout.strip()
                    body = ("rows " + out).encode()
                else:
                    body = ("%%s pid=%%d release=%%s prefix=%%s path=%%s mode=%%s greeting=%%s" %% (VERSION,
                            os.getpid(), os.environ.get("DEVFLOW_RELEASE"), self.headers.get("X-Forwarded-Prefix"),
                            self.path, os.environ.get("MODE"), os.environ.get("GREETING"))).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                print("served", self.path, flush=True)
        print("starting", VERSION, "on", os.environ["PORT"], flush=True)
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
        """.formatted(version);
  }

  static final String NODE_APP = """
      const http = require('http');
      http.createServer((req, res) => res.end('node says hi from ' + process.env.DEVFLOW_APP))
        .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on', process.env.PORT));
      """;

  @Test
  void pushToDeployThroughTheRouter() throws Exception {
    Map<String, Object> options = TestNodes.options(dir.resolve("home"));
    options.put("devflow.deploy.drain", "2s"); // old instances serve 2 s after a switch (5 s by default)
    options.put("devflow.deploy.keep-builds", 3);
    try (RunningNode node = TestNodes.start(options)) {
      Api api = new Api(node.baseUrl());
      String token = api.tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
      FeedFixtures.createRepo(api, "acme", token, "site");
      String url = FeedFixtures.gitUrl(node.baseUrl(), token, "acme", "site");
      Path work = dir.resolve("site");

      // Bad input first: nothing is created.
      assertEquals("repo", api.post("/api/v1/tenants/acme/apps", token, "{\"name\":\"x\",\"repo\":\"nope\"}")
          .json().path("field").asText());
      assertEquals("instances", api.post("/api/v1/tenants/acme/apps", token,
          "{\"name\":\"x\",\"repo\":\"site\",\"instances\":-1}").json().path("field").asText());
      assertEquals("env", api.post("/api/v1/tenants/acme/apps", token,
          "{\"name\":\"x\",\"repo\":\"site\",\"env\":{\"PORT\":\"1\"}}").json().path("field").asText());
      Api.Response created = api.post("/api/v1/tenants/acme/apps", token,
          "{\"name\":\"site\",\"repo\":\"site\",\"env\":{\"GREETING\":\"hello\"}}");
      assertEquals(201, created.status(), created.body());
      assertEquals(503, get(node, "/apps/acme/site/").statusCode(), "no release yet");
      assertEquals(404, get(node, "/apps/acme/nothing/").statusCode());

      // Release 1.
      Files.createDirectories(work);
      FeedFixtures.commit(work, url, "Procfile", "web: python3 app.py\n", "procfile");
      FeedFixtures.commit(work, url, "devflow.yml", "build:\n  - echo building $GITHUB_SHA\n"
          + "health:\n  path: /health\n  timeoutSeconds: 20\nenv:\n  MODE: from-manifest\n  GREETING: overridden\n",
          "manifest");
      FeedFixtures.commit(work, url, "app.py", pythonApp("v1"), "v1");
      FeedFixtures.push(work);
      JsonNode app = awaitLive(api, token, "site", 1);
      assertEquals(1, app.get("processes").size());
      HttpResponse<String> first = get(node, "/apps/acme/site/hello?x=1");
      assertEquals(200, first.statusCode(), first.body());
      assertTrue(first.body().startsWith("v1 "), first.body());
      assertTrue(first.body().contains("prefix=/apps/acme/site"), first.body());
      assertTrue(first.body().contains("path=/hello?x=1"), first.body());
      assertTrue(first.body().contains("mode=from-manifest greeting=hello"), "devflow.yml env, the app's env wins: "
          + first.body());
      assertEquals("rows 1", get(node, "/apps/acme/site/db").body(), "DATABASE_URL: the app's own database");
      assertEquals("rows 2", get(node, "/apps/acme/site/db").body());

      // Release 2 while a client keeps asking: no request fails during the switch.
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger failures = new AtomicInteger();
      Set<String> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
      AtomicInteger requests = new AtomicInteger();
      Thread client = new Thread(() -> {
        while (running.get()) {
          try {
            HttpResponse<String> r = get(node, "/apps/acme/site/");
            requests.incrementAndGet();
            if (r.statusCode() != 200) {
              failures.incrementAndGet();
            } else {
              versions.add(r.body().substring(0, 2));
            }
          } catch (Exception e) {
            failures.incrementAndGet();
          }
        }
      });
      client.start();
      FeedFixtures.commit(work, url, "app.py", pythonApp("v2"), "v2");
      FeedFixtures.push(work);
      awaitLive(api, token, "site", 2);
      Thread.sleep(4000); // past the drain: the old instances are stopping or gone
      running.set(false);
      client.join();
      assertEquals(0, failures.get(), "failed requests during the deploy, of " + requests.get());
      assertEquals(Set.of("v1", "v2"), versions);
      assertTrue(get(node, "/apps/acme/site/").body().startsWith("v2 "));
      await("the old instance stopped", 30, () -> api.get("/api/v1/tenants/acme/apps/site", token).json()
          .get("processes").size() == 1);

      // A release that dies at once is contained: release 2 keeps serving.
      FeedFixtures.commit(work, url, "Procfile", "web: python3 -c 'import sys; print(\"boom\"); sys.exit(3)'\n",
          "broken");
      FeedFixtures.push(work);
      JsonNode failed = awaitRelease(api, token, "site", 3, "failed");
      assertTrue(failed.get("reason").asText().contains("code 3"), failed.toString());
      assertTrue(get(node, "/apps/acme/site/").body().startsWith("v2 "));

      // No Procfile: failed with that message.
      FeedFixtures.git(work, "rm", "-q", "Procfile");
      FeedFixtures.git(work, "commit", "-q", "-m", "no procfile");
      FeedFixtures.push(work);
      assertTrue(awaitRelease(api, token, "site", 4, "failed").get("reason").asText().contains("no Procfile"));

      // Rollback to release 1: a new release (5) copying it goes live, 2 is rolled back.
      Api.Response rb = api.post("/api/v1/tenants/acme/apps/site/rollback", token, "{\"release\":1}");
      assertEquals(202, rb.status(), rb.body());
      assertEquals("release", api.post("/api/v1/tenants/acme/apps/site/rollback", token, "{\"release\":4}")
          .json().path("field").asText(), "a release that was never built cannot go live");
      awaitLive(api, token, "site", 5);
      assertTrue(get(node, "/apps/acme/site/").body().startsWith("v1 "));
      assertEquals("rolled-back", awaitRelease(api, token, "site", 2, "rolled-back").get("status").asText());

      // The newest 3 distinct builds are kept (keep-builds, set above): a fourth pushes release 2's
      // out (5 copies 1's, 4 was never built), and it can no longer be rolled back to.
      FeedFixtures.commit(work, url, "Procfile", "web: python3 app.py\n", "procfile again");
      FeedFixtures.commit(work, url, "app.py", pythonApp("v3"), "v3");
      FeedFixtures.push(work);
      awaitLive(api, token, "site", 6);
      assertTrue(get(node, "/apps/acme/site/").body().startsWith("v3 "));
      Api.Response pruned = api.post("/api/v1/tenants/acme/apps/site/rollback", token, "{\"release\":2}");
      assertEquals(400, pruned.status(), pruned.body());
      assertTrue(pruned.json().path("detail").asText().contains("no longer kept"), pruned.body());
      // What the artifact sweeper reads: the three kept builds (6, 5 = 1, 3), not 2's.
      await("the kept artifacts recorded", 10, () -> new AppStore(node.database()).artifactsInUse().size() == 3);
      assertFalse(new AppStore(node.database()).artifactsInUse().contains(
          awaitRelease(api, token, "site", 2, "rolled-back").get("artifact").asText()));

      // Scale to 2: requests go round robin over both instances.
      assertEquals(200, api.call("PATCH", "/api/v1/tenants/acme/apps/site", token, "{\"instances\":2}").status());
      await("two healthy instances", 60, () -> healthy(api, token, "site").size() == 2);
      Set<String> pids = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        String body = get(node, "/apps/acme/site/").body();
        pids.add(body.substring(body.indexOf("pid="), body.indexOf(" release")));
      }
      assertEquals(2, pids.size(), "round robin: " + pids);

      // kill -9 of an instance: restarted.
      JsonNode victim = healthy(api, token, "site").get(0);
      new ProcessBuilder("kill", "-9", victim.get("pid").asText()).start().waitFor();
      long killed = System.nanoTime();
      await("the killed instance healthy again", 30, () -> healthy(api, token, "site").stream()
          .anyMatch(i -> i.get("id").asText().equals(victim.get("id").asText()) && i.get("restarts").asInt() == 1));
      System.out.printf("instance restarted %.1f s after kill -9%n", (System.nanoTime() - killed) / 1e9);

      // Logs and the feed.
      String logs = api.get("/api/v1/tenants/acme/apps/site/logs", token).body();
      assertTrue(logs.contains("served /"), logs);
      try (RawSse follow = new RawSse(node.httpPort().join(), "/api/v1/tenants/acme/apps/site/logs?follow=true",
          token, Map.of(), 0)) {
        assertEquals(200, follow.readHead());
        get(node, "/apps/acme/site/followed");
        // Past output first, then new lines as they come (a stalled stream fails the read after 30 s).
        int n = 1;
        while (follow.readEvents(n).stream().noneMatch(m -> m.data().contains("served /followed"))) {
          n = follow.events().size() + 1;
        }
      }
      try (RawSse feed = new RawSse(node.httpPort().join(),
          "/api/v1/tenants/acme/events?types=release.*,instance.*&after=0", token, Map.of(), 0)) {
        assertEquals(200, feed.readHead());
        List<String> types = new ArrayList<>();
        for (RawSse.Message m : feed.readEvents(8)) {
          types.add(m.event());
        }
        assertTrue(types.containsAll(List.of("release.created", "instance.started", "release.live")), types.toString());
        assertFalse(types.contains("instance.output"), "app output only when asked for by name");
      }
      // The app's output, asked for by name, from the start of the feed.
      try (RawSse output = new RawSse(node.httpPort().join(),
          "/api/v1/tenants/acme/events?types=instance.output&after=0", token, Map.of(), 0)) {
        assertEquals(200, output.readHead());
        int n = 1;
        while (output.readEvents(n).stream().noneMatch(m -> m.data().contains("served /followed"))) {
          n = output.events().size() + 1;
        }
        JsonNode entry = new ObjectMapper().readTree(output.events().get(0).data());
        assertEquals("site", entry.get("app").asText());
        assertEquals("web", entry.get("process").asText());
        assertTrue(entry.get("lines").isArray(), entry.toString());
      }

      // A Node.js app next to it.
      FeedFixtures.createRepo(api, "acme", token, "api");
      Path apiWork = dir.resolve("api");
      Files.createDirectories(apiWork);
      String apiUrl = FeedFixtures.gitUrl(node.baseUrl(), token, "acme", "api");
      assertEquals(201, api.post("/api/v1/tenants/acme/apps", token, "{\"name\":\"api\",\"repo\":\"api\"}").status());
      FeedFixtures.commit(apiWork, apiUrl, "Procfile", "web: node server.js\n", "procfile");
      FeedFixtures.commit(apiWork, apiUrl, "server.js", NODE_APP, "server");
      FeedFixtures.push(apiWork);
      awaitLive(api, token, "api", 1);
      assertEquals("node says hi from acme/api", get(node, "/apps/acme/api/").body());
    }
  }

  static HttpResponse<String> get(RunningNode node, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Healthy instances of the live release (a replaced release's instances drain for a while). */
  static List<JsonNode> healthy(Api api, String token, String app) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    JsonNode a = api.get("/api/v1/tenants/acme/apps/" + app, token).json();
    long live = a.path("currentRelease").path("number").asLong();
    for (JsonNode p : a.path("processes")) {
      if (p.get("status").asText().equals("healthy") && p.get("release").asLong() == live) {
        out.add(p);
      }
    }
    return out;
  }

  static JsonNode awaitLive(Api api, String token, String app, long release) throws Exception {
    JsonNode[] last = new JsonNode[1];
    try {
      await("release " + release + " of " + app + " live", 180, () -> {
        last[0] = api.get("/api/v1/tenants/acme/apps/" + app, token).json();
        return last[0].path("currentRelease").path("number").asLong() == release
            && healthy(api, token, app).size() > 0;
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; app: " + last[0]
          + "; releases: " + api.get("/api/v1/tenants/acme/apps/" + app + "/releases", token).body(), e);
    }
    return last[0];
  }

  static JsonNode awaitRelease(Api api, String token, String app, long release, String status) throws Exception {
    JsonNode[] found = new JsonNode[1];
    await("release " + release + " " + status, 180, () -> {
      for (JsonNode r : api.get("/api/v1/tenants/acme/apps/" + app + "/releases", token).json().get("items")) {
        if (r.get("number").asLong() == release && r.get("status").asText().equals(status)) {
          found[0] = r;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
