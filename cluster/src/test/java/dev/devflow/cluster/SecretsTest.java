package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.actors.secrets.OnePasswordConnectServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets end to end on a real node: the three tiers and their sources (configuration, a .env
 * file, 1Password Connect — the one third-party service, played by a test server) reach a CI job
 * nearest-first, never appear in logs, API answers, events or tables, and every change and read
 * is audited.
 */
class SecretsTest {

  // Values with characters that URL-encoding changes, so the encoded form is a distinct leak.
  static final String REPO_TOKEN = "repo/token value&more=1";
  static final String TENANT_TOKEN = "tenant-token-value-7f3a";
  static final String TENANT_ONLY = "tenant-only-9c1d";
  static final String OP_SYSTEM = "from-1password-4e2b";
  static final String DOTENV = "from-dotenv-5a6c";
  static final String CONFIG = "from-config-8b2f";
  static final String OP_TENANT = "op-tenant-3d9e";
  static final List<String> ALL = List.of(REPO_TOKEN, TENANT_TOKEN, TENANT_ONLY, OP_SYSTEM, DOTENV, CONFIG, OP_TENANT);

  @TempDir static Path dir;
  static OnePasswordConnectServer onePassword;
  static RunningNode node;
  static Api api;
  static String admin;
  static String acmeAdmin;
  static String acmeRead;
  static String otherAdmin;

  @BeforeAll
  static void start() throws Exception {
    onePassword = OnePasswordConnectServer.start("op-token");
    onePassword.vault("devflow-system").item("SYS_OP", OnePasswordConnectServer.Field.password(OP_SYSTEM));
    onePassword.vault("devflow-acme").item("FROM_OP_TENANT", OnePasswordConnectServer.Field.password(OP_TENANT));
    Path env = dir.resolve("secrets.env");
    // SYS_OP is in .env too: 1Password wins over .env.
    Files.writeString(env, "# system secrets\nENV_FILE_SECRET=\"" + DOTENV + "\"\nSYS_OP=stale-dotenv-value\n");
    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    o.put("devflow.secrets.system.CONFIG_SECRET", CONFIG);
    o.put("devflow.secrets.system.ENV_FILE_SECRET", "stale-config-value");
    o.put("devflow.secrets.env-file", env.toString());
    o.put("devflow.secrets.onepassword.url", onePassword.url().toString());
    o.put("devflow.secrets.onepassword.token", "op-token");
    o.put("devflow.secrets.onepassword.system-vault", "devflow-system");
    o.put("devflow.secrets.onepassword.tenant-vault", "devflow-{tenant}");
    o.put("devflow.webhooks.allow-private-targets", true);
    node = TestNodes.start(o);
    api = new Api(node.baseUrl());
    admin = node.createdAdminToken().orElseThrow();
    acmeAdmin = api.tenantWithToken(admin, "acme", "admin");
    acmeRead = api.token(admin, "acme", "read");
    otherAdmin = api.tenantWithToken(admin, "other", "admin");
  }

  @AfterAll
  static void stop() {
    node.close();
    onePassword.close();
  }

  static Api.Response put(String path, String token, String value) throws Exception {
    return api.call("PUT", path, token, value == null ? "{}" : "{\"value\":" + Api.JSON.writeValueAsString(value) + "}");
  }

  static void created(String repo) throws Exception {
    Api.Response r = api.post("/api/v1/tenants/acme/repos", acmeAdmin, "{\"name\":\"" + repo + "\"}");
    assertEquals(201, r.status(), r.body());
  }

  static void push(String tenant, String token, String repo, String workflow) throws Exception {
    Path work = dir.resolve("work-" + tenant + "-" + repo);
    GitInteropTest.ok(work.getParent(), "init", "-q", work.toString());
    Files.createDirectories(work.resolve(".devflow/workflows"));
    Files.writeString(work.resolve(".devflow/workflows/ci.yml"), workflow);
    GitInteropTest.ok(work, "add", "-A");
    GitInteropTest.ok(work, "commit", "-q", "-m", "ci");
    GitInteropTest.ok(work, "push", "-q",
        "http://x:" + token + "@127.0.0.1:" + node.httpPort().join() + "/git/" + tenant + "/" + repo + ".git",
        "HEAD:refs/heads/main");
  }

  static JsonNode finished(String tenant, String token, String repo) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      Api.Response r = api.get("/api/v1/tenants/" + tenant + "/repos/" + repo + "/pipelines/1", token);
      if (r.status() == 200 && (last = r.json()).get("finishedAt") != null) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("pipeline of " + tenant + "/" + repo + " did not finish: " + last);
  }

  static String sha(String v) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(v.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(d).substring(0, 16);
  }

  /** Prints a short hash of each secret (which tier won), and each secret in the forms a log masks. */
  static final String LEAKY = """
      on: push
      jobs:
        leak:
          runs-on: linux
          steps:
            - shell: bash
              env:
                TOKEN: ${{ secrets.TOKEN }}
                ONLY_TENANT: ${{ secrets.ONLY_TENANT }}
                SYS_OP: ${{ secrets.SYS_OP }}
                ENV_FILE_SECRET: ${{ secrets.ENV_FILE_SECRET }}
                CONFIG_SECRET: ${{ secrets.CONFIG_SECRET }}
                FROM_OP_TENANT: ${{ secrets.FROM_OP_TENANT }}
              run: |
                for v in TOKEN ONLY_TENANT SYS_OP ENV_FILE_SECRET CONFIG_SECRET FROM_OP_TENANT; do
                  echo "hash $v=$(printf %s "${!v}" | sha256sum | cut -c1-16)"
                  echo "plain $v=${!v}"
                  echo "b64 $v=$(printf %s "${!v}" | base64 -w0)"
                  echo "url $v=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote_plus(sys.argv[1]))' "${!v}")"
                  # one value written in two pieces with a pause: two output chunks
                  printf 'split %s=%s' "$v" "${!v:0:5}"; sleep 0.3; printf '%s\\n' "${!v:5}"
                done
                echo "expression ${{ secrets.TOKEN }}"
      """;

  @Test
  void theNearestTierReachesTheJobAndNoFormOfAValueReachesItsLog() throws Exception {
    created("web");
    assertEquals(204, put("/api/v1/tenants/acme/secrets/TOKEN", acmeAdmin, TENANT_TOKEN).status());
    assertEquals(204, put("/api/v1/tenants/acme/secrets/ONLY_TENANT", acmeAdmin, TENANT_ONLY).status());
    Api.Response repoTier = put("/api/v1/tenants/acme/repos/web/secrets/TOKEN", acmeAdmin, REPO_TOKEN);
    assertEquals(204, repoTier.status(), repoTier.body());
    push("acme", acmeAdmin, "web", LEAKY);
    JsonNode p = finished("acme", acmeAdmin, "web");
    assertEquals("succeeded", p.get("status").asText(), p.toString());
    String log = api.get("/api/v1/tenants/acme/repos/web/pipelines/1/jobs/leak/log", acmeAdmin).body();

    Map<String, String> expected = Map.of("TOKEN", REPO_TOKEN, "ONLY_TENANT", TENANT_ONLY, "SYS_OP", OP_SYSTEM,
        "ENV_FILE_SECRET", DOTENV, "CONFIG_SECRET", CONFIG, "FROM_OP_TENANT", OP_TENANT);
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertTrue(log.contains("hash " + e.getKey() + "=" + sha(e.getValue())), e.getKey() + " was not " + e.getValue()
          + ":\n" + log);
      for (String form : List.of("plain", "b64", "url", "split")) {
        assertTrue(log.contains(form + " " + e.getKey() + "=***"), form + " " + e.getKey() + " not masked:\n" + log);
      }
    }
    assertTrue(log.contains("expression ***"), log);
    for (String value : ALL) {
      for (String form : List.of(value, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)),
          URLEncoder.encode(value, StandardCharsets.UTF_8))) {
        assertFalse(log.contains(form), "log contains " + form + ":\n" + log);
      }
    }

    // Every delivery is audited as read by the job.
    JsonNode reads = api.get("/api/v1/tenants/acme/audit?action=secret.read&resource=repos/web/", acmeAdmin).json();
    List<String> read = new ArrayList<>();
    reads.get("items").forEach(i -> read.add(i.get("resource").asText()));
    assertTrue(read.containsAll(List.of("repos/web/secrets/TOKEN", "repos/web/secrets/SYS_OP",
        "repos/web/secrets/FROM_OP_TENANT")), read.toString());
    assertEquals("job", reads.get("items").get(0).get("actor").get("id").asText());
    assertTrue(reads.get("items").get(0).get("actor").get("name").asText().startsWith("acme/web/1/leak#1"),
        reads.toString());
  }

  @Test
  void listsShowNamesTiersAndAuthorsNeverValues() throws Exception {
    created("lists");
    assertEquals(204, put("/api/v1/tenants/acme/secrets/LISTED", acmeAdmin, "listed-value-1").status());
    assertEquals(204, put("/api/v1/tenants/acme/repos/lists/secrets/REPO_LISTED", acmeAdmin, "listed-value-2").status());
    Api.Response tenant = api.get("/api/v1/tenants/acme/secrets", acmeAdmin);
    assertEquals(200, tenant.status(), tenant.body());
    Api.Response repo = api.get("/api/v1/tenants/acme/repos/lists/secrets", acmeAdmin);
    for (Api.Response r : List.of(tenant, repo)) {
      for (String value : List.of("listed-value-1", "listed-value-2", CONFIG, DOTENV, OP_SYSTEM)) {
        assertFalse(r.body().contains(value), r.body());
      }
    }
    assertTrue(tenant.body().contains("{\"name\":\"LISTED\",\"tier\":\"tenant\""), tenant.body());
    assertTrue(tenant.body().contains("{\"name\":\"CONFIG_SECRET\",\"tier\":\"system\"}"), tenant.body());
    assertTrue(tenant.body().contains("{\"name\":\"SYS_OP\",\"tier\":\"system\"}"), tenant.body());
    assertTrue(repo.body().contains("{\"name\":\"REPO_LISTED\",\"tier\":\"repository\",\"repo\":\"lists\""),
        repo.body());
    assertTrue(repo.body().contains("\"updatedBy\":\"t ("), repo.body()); // the token name, then its id
    assertEquals(403, api.get("/api/v1/tenants/acme/secrets", acmeRead).status(), "a read token lists no secrets");
  }

  @Test
  void badInputIsRefusedWithTheFieldNamedAndStoresNothing() throws Exception {
    Api.Response big = put("/api/v1/tenants/acme/secrets/BIG", acmeAdmin, "x".repeat(64 * 1024 + 1));
    assertEquals(413, big.status(), big.body());
    assertEquals("value", big.json().get("field").asText());
    assertEquals(204, put("/api/v1/tenants/acme/secrets/JUST_FITS", acmeAdmin, "y".repeat(64 * 1024)).status());
    Api.Response name = put("/api/v1/tenants/acme/secrets/bad.name", acmeAdmin, "v");
    assertEquals(400, name.status(), name.body());
    assertEquals("name", name.json().get("field").asText());
    Api.Response missing = put("/api/v1/tenants/acme/secrets/NO_VALUE", acmeAdmin, null);
    assertEquals(400, missing.status(), missing.body());
    assertEquals("value", missing.json().get("field").asText());
    assertEquals(404, put("/api/v1/tenants/acme/repos/nosuchrepo/secrets/X", acmeAdmin, "v").status());
    assertEquals(403, put("/api/v1/tenants/acme/secrets/BY_READER", acmeRead, "v").status());
    assertEquals(404, put("/api/v1/tenants/acme/secrets/BY_OTHER", otherAdmin, "v").status());
    assertEquals(404, api.call("DELETE", "/api/v1/tenants/acme/secrets/NEVER_SET", acmeAdmin, null).status());
    String list = api.get("/api/v1/tenants/acme/secrets", acmeAdmin).body();
    for (String absent : List.of("\"BIG\"", "bad.name", "NO_VALUE", "BY_READER", "BY_OTHER", "\"X\"")) {
      assertFalse(list.contains(absent), absent + " was stored: " + list);
    }
    assertEquals(204, api.call("DELETE", "/api/v1/tenants/acme/secrets/JUST_FITS", acmeAdmin, null).status());
    assertFalse(api.get("/api/v1/tenants/acme/secrets", acmeAdmin).body().contains("JUST_FITS"));
  }

  @Test
  void aMissingVaultFailsTheJobWithTheProvidersError() throws Exception {
    String token = api.tenantWithToken(admin, "novault", "admin");
    Api.Response r = api.post("/api/v1/tenants/novault/repos", token, "{\"name\":\"app\"}");
    assertEquals(201, r.status(), r.body());
    push("novault", token, "app", "on: push\njobs:\n  j:\n    runs-on: linux\n    steps:\n      - run: echo ran\n");
    JsonNode p = finished("novault", token, "app");
    assertEquals("failed", p.get("status").asText(), p.toString());
    String reason = p.get("jobs").get(0).get("reason").asText();
    assertTrue(reason.contains("vault 'devflow-novault' not found"), reason);
    String log = api.get("/api/v1/tenants/novault/repos/app/pipelines/1/jobs/j/log", token).body();
    assertTrue(log.contains("cannot read the job's secrets: 1Password Connect at "), log);
    assertFalse(log.contains("ran\n"), "the step never ran without its secrets: " + log);
  }

  @Test
  void changesAreOnTheFeedAndInTheAuditLogWithoutValues() throws Exception {
    String token = api.tenantWithToken(admin, "audited", "admin");
    assertEquals(204, put("/api/v1/tenants/audited/secrets/FEED_ME", token, "feed-value-42").status());
    assertEquals(204, api.call("DELETE", "/api/v1/tenants/audited/secrets/FEED_ME", token, null).status());
    String reader = api.token(admin, "audited", "read");
    assertEquals(403, put("/api/v1/tenants/audited/secrets/NOPE", reader, "v").status());
    assertEquals(404, put("/api/v1/tenants/audited/secrets/SNOOP", otherAdmin, "v").status());

    try (RawSse sse = new RawSse(node.httpPort().join(), "/api/v1/tenants/audited/events?after=0&types=secret.changed",
        token, Map.of(), 0)) {
      assertEquals(200, sse.readHead());
      List<RawSse.Message> events = sse.readEvents(2);
      List<String> actions = new ArrayList<>();
      for (RawSse.Message m : events) {
        actions.add(Api.JSON.readTree(m.data()).get("action").asText());
      }
      assertEquals(List.of("put", "deleted"), actions);
      assertTrue(events.get(0).data().contains("\"name\":\"FEED_ME\""), events.get(0).data());
      assertTrue(events.get(0).data().contains("\"tier\":\"tenant\""), events.get(0).data());
      events.forEach(m -> assertFalse(m.data().contains("feed-value-42"), m.data()));
    }

    JsonNode audit = api.get("/api/v1/tenants/audited/audit", token).json();
    List<String> lines = new ArrayList<>();
    audit.get("items").forEach(i -> lines.add(i.get("action").asText() + " " + i.get("resource").asText() + " "
        + i.get("result").asText() + " " + i.get("status").asInt()));
    List<String> shapes = lines.stream().map(l -> l.replaceAll("tokens/[0-9a-f]+", "tokens/<id>")).toList();
    assertEquals(List.of("secret.put secrets/NOPE denied 403", "token.issue tokens/<id> ok 201",
        "secret.delete secrets/FEED_ME ok 204", "secret.put secrets/FEED_ME ok 204", "token.issue tokens/<id> ok 201"),
        shapes, "newest first; the other tenant's attempt is not in this tenant's log");
    assertEquals("127.0.0.1", audit.get("items").get(0).get("remote").asText());
    JsonNode own = api.get("/api/v1/tenants/other/audit?action=secret.put", otherAdmin).json();
    assertTrue(own.toString().contains("\"resource\":\"tenants/audited/secrets/SNOOP\",\"remote\":\"127.0.0.1\","
        + "\"result\":\"denied\",\"status\":404"), "the attempt is in the caller's own log: " + own);
    assertEquals(400, api.get("/api/v1/tenants/audited/audit?result=nope", token).status());
    JsonNode paged = api.get("/api/v1/tenants/audited/audit?limit=2", token).json();
    assertEquals(2, paged.get("items").size());
    JsonNode next = api.get("/api/v1/tenants/audited/audit?limit=2&cursor=" + paged.get("next").asText(), token).json();
    assertEquals("secret.delete", next.get("items").get(0).get("action").asText());
    assertEquals(400, api.get("/api/v1/tenants/audited/audit?since=yesterday", token).status());
    assertEquals(403, api.get("/api/v1/tenants/audited/audit", reader).status());
    assertTrue(api.get("/api/v1/audit?action=tenant.create", admin).body().contains("\"action\":\"tenant.create\""));
  }

  @Test
  void noClearValueInAnyTable() throws Exception {
    String value = "table-probe-" + System.nanoTime();
    assertEquals(204, put("/api/v1/tenants/acme/secrets/PROBE", acmeAdmin, value).status());
    // A webhook's signing secret is a secret too.
    String signing = "signing-probe-" + System.nanoTime();
    Api.Response hook = api.call("PUT", "/api/v1/tenants/acme/webhooks/probe", acmeAdmin,
        "{\"url\":\"http://127.0.0.1:9/hook\",\"secret\":\"" + signing + "\"}");
    assertTrue(hook.status() == 201 || hook.status() == 200, hook.body());
    StringBuilder everything = new StringBuilder();
    try (Connection c = node.database().dataSource().getConnection(); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = st.executeQuery(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      assertTrue(tables.containsAll(List.of("secret", "event_journal", "feed_entry", "audit_log", "snapshot")), tables
          .toString());
      for (String table : tables) {
        try (ResultSet rs = st.executeQuery("SELECT t::text FROM \"" + table + "\" t")) {
          while (rs.next()) {
            everything.append(rs.getString(1)).append('\n');
          }
        }
      }
    }
    String hex = HexFormat.of().formatHex(value.getBytes(StandardCharsets.UTF_8));
    assertTrue(everything.indexOf("PROBE") >= 0, "the secret's row was read");
    assertFalse(everything.indexOf(value) >= 0, "a table holds the value in clear");
    assertFalse(everything.indexOf(signing) >= 0, "a table holds a webhook's signing secret in clear");
    assertFalse(api.get("/api/v1/tenants/acme/secrets", acmeAdmin).body().contains("probe\""),
        "webhook secrets are not listed as tenant secrets");
    assertFalse(everything.indexOf(hex) >= 0, "a table holds the value's bytes (bytea hex)");

    // The write-ahead log: every change PostgreSQL made, before any checkpoint tidied it away.
    byte[] needle = value.getBytes(StandardCharsets.UTF_8);
    List<Path> wal;
    try (var files = Files.list(dir.resolve("home/pgdata/pg_wal"))) {
      wal = files.filter(Files::isRegularFile).toList();
    }
    boolean nameSeen = false;
    for (Path segment : wal) {
      byte[] bytes = Files.readAllBytes(segment);
      assertFalse(contains(bytes, needle), segment + " holds the value in clear");
      nameSeen |= contains(bytes, "PROBE".getBytes(StandardCharsets.UTF_8));
    }
    assertTrue(nameSeen, "the scan reads the WAL the row went through (its name is there in clear)");
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
