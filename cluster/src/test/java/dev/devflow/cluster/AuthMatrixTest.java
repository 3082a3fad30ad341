package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auth matrix of API.md over HTTP on a real node (embedded PostgreSQL): no or invalid token
 * 401, another tenant's token 404, a role too weak 403 — for every tenant route — plus the problem
 * documents of bad input.
 */
class AuthMatrixTest {

  @TempDir static Path home;
  static RunningNode node;
  static Api api;
  static String admin;
  static String acmeAdmin;
  static String acmeWrite;
  static String acmeRead;
  static String acmeRunner;
  static String otherAdmin;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.options(home));
    api = new Api(node.baseUrl());
    admin = node.createdAdminToken().orElseThrow();
    acmeAdmin = api.tenantWithToken(admin, "acme", "admin");
    acmeWrite = api.token(admin, "acme", "write");
    acmeRead = api.token(admin, "acme", "read");
    acmeRunner = api.token(admin, "acme", "runner");
    otherAdmin = api.tenantWithToken(admin, "other", "admin");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Each tenant route with the weakest role that may use it. */
  record Case(String method, String path, String body, String minRole) {}

  static final List<Case> TENANT_ROUTES =
      List.of(
          new Case("GET", "/api/v1/tenants/acme", null, "read"),
          new Case("PATCH", "/api/v1/tenants/acme", "{\"displayName\":\"Acme\"}", "admin"),
          new Case("GET", "/api/v1/tenants/acme/tokens", null, "admin"),
          new Case("POST", "/api/v1/tenants/acme/tokens", "{\"name\":\"x\",\"role\":\"read\"}", "admin"),
          new Case("DELETE", "/api/v1/tenants/acme/tokens/doesnotexist", null, "admin"),
          new Case("GET", "/api/v1/tenants/acme/webhooks", null, "admin"),
          new Case("PUT", "/api/v1/tenants/acme/webhooks/h1", "{\"url\":\"http://127.0.0.1/x\",\"secret\":\"s\"}", "admin"),
          new Case("GET", "/api/v1/tenants/acme/webhooks/h1/deliveries", null, "admin"));

  @Test
  void adminTokenFileIsPrivate() throws Exception {
    Path file = home.resolve("admin-token");
    assertEquals(admin, Files.readString(file).trim());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void withoutAValidTokenEveryApiRouteIs401() throws Exception {
    List<Case> all = new java.util.ArrayList<>(TENANT_ROUTES);
    all.add(new Case("POST", "/api/v1/tenants", "{\"name\":\"zzz\"}", null));
    all.add(new Case("GET", "/api/v1/cluster", null, null));
    for (Case c : all) {
      for (String token : new String[] {null, "nonsense", "dfa_wrong", "dft_acme_0000_wrong", "dft_../x_y_z"}) {
        Api.Response r = api.call(c.method(), c.path(), token, c.body());
        assertEquals(401, r.status(), c + " with " + token + ": " + r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertTrue(r.raw().headers().firstValue("www-authenticate").isPresent());
      }
    }
    assertFalse(api.get("/api/v1/tenants/zzz", admin).status() == 200, "nothing was created");
  }

  @Test
  void anotherTenantsTokenSeesNothingNotEvenExistence() throws Exception {
    for (Case c : TENANT_ROUTES) {
      Api.Response r = api.call(c.method(), c.path(), otherAdmin, c.body());
      assertEquals(404, r.status(), c + ": " + r.body());
    }
    // The same answer for a tenant that does not exist at all.
    assertEquals(404, api.get("/api/v1/tenants/nosuchtenant", otherAdmin).status());
  }

  @Test
  void rolesTooWeakAre403AndStrongEnoughPass() throws Exception {
    List<String> order = List.of("read", "write", "admin");
    for (Case c : TENANT_ROUTES) {
      for (String role : order) {
        String token = switch (role) {
          case "read" -> acmeRead;
          case "write" -> acmeWrite;
          default -> acmeAdmin;
        };
        Api.Response r = api.call(c.method(), c.path(), token, c.body());
        boolean allowed = order.indexOf(role) >= order.indexOf(c.minRole());
        if (allowed) {
          assertTrue(r.status() != 401 && r.status() != 403, c + " as " + role + ": " + r.status());
        } else {
          assertEquals(403, r.status(), c + " as " + role + ": " + r.body());
        }
      }
      assertEquals(403, api.call(c.method(), c.path(), acmeRunner, c.body()).status(), c + " as runner");
    }
    // The runner role is for runners only: Unleash SDK routes refuse it too (the token selects
    // the tenant there, so they are not in the tenant route list).
    for (String path : List.of("/api/client/features", "/api/frontend")) {
      assertEquals(403, api.call("GET", path, acmeRunner, null).status(), path + " as runner");
      assertEquals(200, api.call("GET", path, acmeRead, null).status(), path + " as read");
    }
  }

  @Test
  void onlyTheClusterAdminCreatesTenantsChangesPlansAndSeesTheCluster() throws Exception {
    assertEquals(403, api.post("/api/v1/tenants", acmeAdmin, "{\"name\":\"sneaky\"}").status());
    assertEquals(403, api.call("PATCH", "/api/v1/tenants/acme", acmeAdmin, "{\"plan\":\"enterprise\"}").status());
    assertEquals(403, api.get("/api/v1/cluster", acmeAdmin).status());
    Api.Response plan = api.call("PATCH", "/api/v1/tenants/acme", admin, "{\"plan\":\"team\"}");
    assertEquals(200, plan.status());
    assertEquals("team", plan.json().get("plan").asText());
    Api.Response cluster = api.get("/api/v1/cluster", admin);
    assertEquals(200, cluster.status());
    assertEquals("up", cluster.json().get("members").get(0).get("status").asText());
  }

  @Test
  void revokedTokenStopsWorking() throws Exception {
    Api.Response issued = api.post("/api/v1/tenants/acme/tokens", acmeAdmin, "{\"name\":\"temp\",\"role\":\"read\"}");
    String token = issued.json().get("token").asText();
    String id = issued.json().get("id").asText();
    assertEquals(200, api.get("/api/v1/tenants/acme", token).status());
    assertEquals(204, api.call("DELETE", "/api/v1/tenants/acme/tokens/" + id, acmeAdmin, null).status());
    assertEquals(401, api.get("/api/v1/tenants/acme", token).status());
    Api.Response list = api.get("/api/v1/tenants/acme/tokens", acmeAdmin);
    assertFalse(list.body().contains(id), list.body());
    assertFalse(list.body().contains("\"token\""), "token values are never listed");
  }

  @Test
  void badInputIsA400ProblemNamingTheFieldAndCreatesNothing() throws Exception {
    record Bad(String body, int status, String field) {}
    List<Bad> bad =
        List.of(
            new Bad("{\"name\":\"Bad Name\"}", 400, "name"),
            new Bad("{\"name\":\"-x\"}", 400, "name"),
            new Bad("{\"name\":\"" + "a".repeat(64) + "\"}", 400, "name"),
            new Bad("{\"name\":\"bad1\",\"plan\":\"gold\"}", 400, "plan"),
            new Bad("{\"name\":5}", 400, "name"),
            new Bad("{\"name\":\"bad2\",\"plna\":\"team\"}", 400, "plna"),
            new Bad("{\"name\":\"bad3\",", 400, null),
            new Bad("[1,2]", 400, null),
            new Bad("", 400, null));
    for (Bad b : bad) {
      Api.Response r = api.post("/api/v1/tenants", admin, b.body());
      assertEquals(b.status(), r.status(), b + ": " + r.body());
      assertTrue(r.contentType().startsWith("application/problem+json"));
      assertTrue(r.json().get("type").asText().startsWith("https://devflow.dev/problems/"));
      assertEquals(b.status(), r.json().get("status").asInt());
      if (b.field() != null) {
        assertEquals(b.field(), r.json().get("field").asText(), r.body());
      }
    }
    Api.Response malformed = api.post("/api/v1/tenants", admin, "{\"name\":\"bad3\",");
    assertTrue(malformed.json().get("detail").asText().contains("line 1, column"), malformed.body());
    for (String name : List.of("bad1", "bad2", "bad3")) {
      assertEquals(404, api.get("/api/v1/tenants/" + name, admin).status(), name + " must not exist");
    }
    Api.Response role = api.post("/api/v1/tenants/acme/tokens", admin, "{\"name\":\"x\",\"role\":\"owner\"}");
    assertEquals(400, role.status());
    assertEquals("role", role.json().get("field").asText());
    assertEquals(400, api.get("/api/v1/tenants/Not_Valid", admin).status());
  }

  @Test
  void webhooksToPrivateOrMetadataAddressesAreRefused() throws Exception {
    // This node runs with the default devflow.webhooks.allow-private-targets = false.
    for (String url : List.of("http://127.0.0.1:9000/hook", "http://localhost/hook", "http://169.254.169.254/latest",
        "http://10.0.0.7/hook", "http://[::1]/hook", "ftp://example.com/x", "not a url")) {
      Api.Response r = api.call("PUT", "/api/v1/tenants/acme/webhooks/ssrf", acmeAdmin,
          "{\"url\":\"" + url + "\",\"secret\":\"s\"}");
      assertEquals(400, r.status(), url + ": " + r.body());
      assertEquals("url", r.json().get("field").asText(), r.body());
    }
    assertEquals(404, api.get("/api/v1/tenants/acme/webhooks/ssrf", acmeAdmin).status(), "nothing was stored");
  }

  @Test
  void unknownRoutesMethodsAndHugeBodiesAreProblems() throws Exception {
    Api.Response unknown = api.get("/api/v1/nothing-here", admin);
    assertEquals(404, unknown.status());
    assertTrue(unknown.contentType().startsWith("application/problem+json"));
    Api.Response method = api.call("PUT", "/api/v1/tenants", admin, "{}");
    assertEquals(405, method.status());
    assertTrue(method.contentType().startsWith("application/problem+json"));
    assertEquals("POST", method.raw().headers().firstValue("allow").orElse(""));
    String huge = "{\"name\":\"" + "a".repeat(11 * 1024 * 1024) + "\"}";
    Api.Response tooLarge = api.post("/api/v1/tenants", admin, huge);
    assertEquals(413, tooLarge.status());
    assertTrue(tooLarge.contentType().startsWith("application/problem+json"));
  }

  @Test
  void serviceEndpoints() throws Exception {
    assertEquals(200, api.get("/health/alive", null).status());
    assertEquals(200, api.get("/health/ready", null).status());
    api.get("/api/v1/tenants/acme", acmeRead);
    Api.Response metrics = api.get("/metrics", null);
    assertEquals(200, metrics.status());
    assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "JVM metrics");
    assertTrue(metrics.body().contains("devflow_cluster_members{status=\"up\"} 1"), "cluster metrics");
    assertTrue(
        metrics.body().contains("http_server_requests_seconds_count{method=\"GET\",route=\"/api/v1/tenants/{t}\",status=\"200\"}"),
        "request metrics by route template");
    assertTrue(metrics.body().contains("http_server_requests_seconds_bucket"), "latency histogram");
  }
}
