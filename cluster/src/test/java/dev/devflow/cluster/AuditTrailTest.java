package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every audited action leaves an entry. The actions are read from the routes' own
 * {@code audited(...)} calls, so a route that starts auditing a new action fails this test until
 * the scenario below performs it.
 */
class AuditTrailTest {

  @TempDir Path dir;

  static final Pattern AUDITED = Pattern.compile("audited\\([^\"]*\"([a-z]+\\.[a-z]+)\"");

  static TreeSet<String> auditedActions() throws Exception {
    TreeSet<String> actions = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("../http/src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = AUDITED.matcher(Files.readString(f));
        while (m.find()) {
          actions.add(m.group(1));
        }
      }
    }
    assertTrue(actions.size() >= 15, "the scan found the routes' audited actions: " + actions);
    return actions;
  }

  @Test
  void eachAuditedActionIsRecordedWithWhoWhatWhenWhereAndResult() throws Exception {
    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    o.put("devflow.webhooks.allow-private-targets", true);
    try (RunningNode node = TestNodes.start(o)) {
      Api api = new Api(node.baseUrl());
      String admin = node.createdAdminToken().orElseThrow();
      Api.Response tenant = api.post("/api/v1/tenants", admin, "{\"name\":\"acme\"}");
      assertEquals(201, tenant.status(), tenant.body());
      Api.Response issued = api.post("/api/v1/tenants/acme/tokens", admin, "{\"name\":\"ops\",\"role\":\"admin\"}");
      String token = issued.json().get("token").asText();
      String tokenId = issued.json().get("id").asText();
      String spare = api.post("/api/v1/tenants/acme/tokens", token, "{\"name\":\"spare\",\"role\":\"read\"}")
          .json().get("id").asText();
      ok(api.call("DELETE", "/api/v1/tenants/acme/tokens/" + spare, token, null));
      ok(api.call("PATCH", "/api/v1/tenants/acme", token, "{\"displayName\":\"Acme\"}"));
      ok(api.post("/api/v1/tenants/acme/repos", token, "{\"name\":\"site\"}"));
      ok(api.call("PATCH", "/api/v1/tenants/acme/repos/site", token, "{\"description\":\"the site\"}"));
      ok(api.post("/api/v1/tenants/acme/repos", token, "{\"name\":\"gone\"}"));
      ok(api.call("DELETE", "/api/v1/tenants/acme/repos/gone", token, null));
      ok(api.call("PUT", "/api/v1/tenants/acme/flags/new-ui", token, "{\"enabled\":true}"));
      ok(api.call("DELETE", "/api/v1/tenants/acme/flags/new-ui", token, null));
      ok(api.call("PUT", "/api/v1/tenants/acme/webhooks/h1", token, "{\"url\":\"http://127.0.0.1:9/x\",\"secret\":\"s\"}"));
      ok(api.call("DELETE", "/api/v1/tenants/acme/webhooks/h1", token, null));
      ok(api.call("PUT", "/api/v1/tenants/acme/secrets/S", token, "{\"value\":\"v\"}"));
      ok(api.call("DELETE", "/api/v1/tenants/acme/secrets/S", token, null));
      ok(api.call("PUT", "/api/v1/tenants/acme/agents/bot", token, "{\"kind\":\"reviewer\",\"repo\":\"site\"}"));

      // No instances: its releases build and go live without running anything.
      ok(api.post("/api/v1/tenants/acme/apps", token, "{\"name\":\"web\",\"repo\":\"site\",\"instances\":0}"));

      Path work = dir.resolve("work");
      GitInteropTest.ok(dir, "init", "-q", work.toString());
      Files.writeString(work.resolve("Procfile"), "web: sleep 600\n");
      Files.createDirectories(work.resolve(".devflow/workflows"));
      Files.writeString(work.resolve(".devflow/workflows/m.yml"),
          "on: workflow_dispatch\njobs:\n  wait:\n    runs-on: linux\n    steps:\n      - run: sleep 30\n");
      GitInteropTest.ok(work, "add", "-A");
      GitInteropTest.ok(work, "commit", "-q", "-m", "manual");
      GitInteropTest.ok(work, "push", "-q", "http://x:" + token + "@127.0.0.1:" + node.httpPort().join()
          + "/git/acme/site.git", "HEAD:refs/heads/main");
      ok(api.post("/api/v1/tenants/acme/repos/site/pipelines", token, "{\"ref\":\"main\"}"));
      ok(api.post("/api/v1/tenants/acme/repos/site/pipelines/1/cancel", token, null));
      awaitLive(api, token, 1);
      ok(api.post("/api/v1/tenants/acme/apps/web/deploy", token, "{}"));
      awaitLive(api, token, 2);
      ok(api.post("/api/v1/tenants/acme/apps/web/rollback", token, "{\"release\":1}"));
      ok(api.call("PATCH", "/api/v1/tenants/acme/apps/web", token, "{\"instances\":0}"));
      ok(api.call("DELETE", "/api/v1/tenants/acme/apps/web", token, null));

      Map<String, String> seen = new TreeMap<>();
      for (JsonNode e : api.get("/api/v1/tenants/acme/audit?limit=500", token).json().get("items")) {
        seen.putIfAbsent(e.get("action").asText(), e.get("result").asText());
        assertFalse(e.get("at").asText().isEmpty());
        assertEquals("127.0.0.1", e.get("remote").asText(), e.toString());
        String actor = e.get("actor").get("id").asText();
        assertTrue(actor.equals(tokenId) || actor.equals("admin"), "who: " + e);
      }
      for (JsonNode e : api.get("/api/v1/audit", admin).json().get("items")) {
        seen.putIfAbsent(e.get("action").asText(), e.get("result").asText());
      }
      for (String action : auditedActions()) {
        assertEquals("ok", seen.get(action), action + " has no successful entry; the log has " + seen);
      }
    }
  }

  static void awaitLive(Api api, String token, long release) throws Exception {
    FeedFixtures.await("release " + release + " live", 120, () -> api.get("/api/v1/tenants/acme/apps/web", token)
        .json().path("currentRelease").path("number").asLong() == release);
  }

  static void ok(Api.Response r) {
    assertTrue(r.status() >= 200 && r.status() < 300, r.status() + " " + r.body());
  }
}
