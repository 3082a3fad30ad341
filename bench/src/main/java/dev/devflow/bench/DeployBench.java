package dev.devflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.cluster.Node;
import dev.devflow.cluster.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Push-to-live of the sample Python app: one node with every role in this JVM (embedded
 * PostgreSQL, its runner builds, its runtime supervisor runs the app), {@code pushes} real
 * {@code git push}es of a changed app, each timed from the moment {@code git push} returned to
 * (a) the release being live and (b) the router answering with the new version.
 *
 * <p>{@code bench/run deploy [pushes]}.
 */
public final class DeployBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static final String APP = """
      import http.server, os
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              body = b"%s"
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)
          def log_message(self, *args):
              pass
      http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
      """;

  public static void main(String[] args) throws Exception {
    int pushes = args.length > 0 ? Integer.parseInt(args[0]) : 6;
    Path dir = Files.createTempDirectory("devflow-deploy-bench");
    Map<String, Object> o = new HashMap<>();
    o.put("devflow.home", dir.resolve("home").toString());
    o.put("devflow.http.port", 0);
    o.put("devflow.cluster.port", 0);
    o.put("devflow.cluster.seeds", "");
    System.out.printf("cores %d, load average before: %s%n%n", Runtime.getRuntime().availableProcessors(),
        AgentsBench.load());
    try (RunningNode node = Node.start(o, null)) {
      node.httpPort().get(120, TimeUnit.SECONDS);
      String base = node.baseUrl();
      String admin = node.createdAdminToken().orElseThrow();
      call(base, "POST", "/api/v1/tenants", admin, "{\"name\":\"bench\"}");
      String token = JSON.readTree(call(base, "POST", "/api/v1/tenants/bench/tokens", admin,
          "{\"name\":\"b\",\"role\":\"admin\"}")).get("token").asText();
      call(base, "POST", "/api/v1/tenants/bench/repos", token, "{\"name\":\"site\"}");
      call(base, "POST", "/api/v1/tenants/bench/apps", token, "{\"name\":\"site\",\"repo\":\"site\"}");
      Path work = dir.resolve("work");
      String url = base.replace("http://", "http://x:" + token + "@") + "/git/bench/site.git";
      git(dir, "clone", "-q", url, work.toString());
      Files.writeString(work.resolve("Procfile"), "web: python3 app.py\n");
      List<Double> live = new ArrayList<>();
      List<Double> served = new ArrayList<>();
      for (int i = 1; i <= pushes + 1; i++) {
        String version = "version " + i;
        Files.writeString(work.resolve("app.py"), APP.formatted(version));
        git(work, "add", "-A");
        git(work, "commit", "-q", "-m", version);
        git(work, "push", "-q", "origin", "HEAD:main");
        long pushed = System.nanoTime();
        double liveAt = -1;
        while (true) {
          if (liveAt < 0) {
            JsonNode app = JSON.readTree(call(base, "GET", "/api/v1/tenants/bench/apps/site", token, null));
            if (app.path("currentRelease").path("number").asInt() == i) {
              liveAt = (System.nanoTime() - pushed) / 1e9;
            }
          }
          HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/apps/bench/site/")).build(),
              HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200 && r.body().equals(version)) {
            break;
          }
          if (System.nanoTime() - pushed > TimeUnit.MINUTES.toNanos(3)) {
            throw new IllegalStateException("release " + i + " not served within 3 minutes");
          }
          Thread.sleep(20);
        }
        double servedAt = (System.nanoTime() - pushed) / 1e9;
        if (i > 1) { // the first push also starts the runner's and the app's first JVM-side work
          live.add(liveAt < 0 ? servedAt : liveAt);
          served.add(servedAt);
        }
        System.out.printf("push %d: live after %.2f s, new version served after %.2f s%n", i, liveAt, servedAt);
      }
      Collections.sort(live);
      Collections.sort(served);
      System.out.printf("%n| push → | p50 s | max s |%n| --- | ---: | ---: |%n");
      System.out.printf("| release live | %.2f | %.2f |%n", live.get(live.size() / 2), live.get(live.size() - 1));
      System.out.printf("| new version served by the router | %.2f | %.2f |%n", served.get(served.size() / 2),
          served.get(served.size() - 1));
      System.out.printf("%n%d timed pushes (after one untimed); load average after: %s%n", pushes,
          AgentsBench.load());
    }
  }

  private static String call(String base, String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private static void git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=b", "-c", "user.email=b@x",
        "-c", "credential.helper=", "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("git " + String.join(" ", args) + ": " + out);
    }
  }
}
