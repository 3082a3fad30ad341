package dev.devflow.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant isolation for every route, with the route table read from the http module's sources so
 * that a route added later is covered without anyone editing this test.
 *
 * <p>Discovery: every route is wrapped in {@code label("<template>", () -> ...)} for the metrics;
 * {@link RouteScanner} finds those calls in {@code http/src/main/java} and the HTTP method
 * directives inside each. A label without a method, or a path variable without a fixture value,
 * fails the test with what to add: nothing is skipped silently.
 *
 * <p>Fixtures: one node (embedded PostgreSQL); victim tenant {@code acme} with one of every
 * resource, so that every path variable names something that exists; attacker tenant {@code
 * other}. For every route under {@code /api/v1/tenants/{t}} (API.md "Authentication"): another
 * tenant's admin token gets a 404 that looks exactly like the one for something that does not
 * exist; a token whose role is too weak gets a 403; no token or an invalid one gets a 401. Then
 * acme reads exactly as before. Routes outside the tenant tree (service, cluster admin, git smart
 * HTTP, Unleash's client API) have explicit expectations in {@link #nonTenantExpectations}, and a
 * new one fails until it gets one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouteIsolationTest {

  // ---------------------------------------------------------------------------------------------
  // What the test knows about the routes (everything else comes from the sources)
  // ---------------------------------------------------------------------------------------------

  static final String TENANT_TREE = "/api/v1/tenants/{t}";
  static final Set<String> WRITE_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");

  /**
   * Writes that a read token may call by design (minimum role READ in the route code). Any other
   * POST/PUT/PATCH/DELETE under the tenant tree must answer a read token with 403.
   */
  static final Map<String, String> READ_LEVEL_WRITES = Map.of(
      "POST /api/v1/tenants/{t}/flags/evaluate",
      "evaluating flags only reads them (FlagRoutes: tenantScope(p, t, Role.READ, ...)); a POST for the body");

  /**
   * Tenant routes a runner token may use. None: the runner role is reserved for runner
   * registration and covers nothing else (Role.covers), so it must get 403 everywhere here.
   */
  static final Set<String> RUNNER_ROUTES = Set.of();

  /**
   * GET routes left out of the before/after comparison because they change by themselves, and
   * why. Each is still attacked like every other route.
   */
  static final Map<String, String> CHANGES_BY_ITSELF = Map.of(
      "GET /api/v1/tenants/{t}/events", "an SSE stream (no snapshot possible); new entries appear as things happen",
      "GET /api/v1/tenants/{t}/audit", "the audit log records the requests of this very test",
      "GET /api/v1/tenants/{t}/sdk-instances",
      "Unleash SDK traffic updates it (routesOutsideTheTenantTree... checks the attacker's SDK never shows in it)",
      "GET /api/v1/tenants/{t}/flags/{key}/results",
      "exposures from the read token's allowed flags/evaluate call are recorded in the background");

  /** Plausible valid bodies for writes; auth is checked before the body is read (ApiDirectives). */
  static final Map<String, String> BODIES = Map.ofEntries(
      Map.entry("PATCH /api/v1/tenants/{t}", "{\"displayName\":\"Owned\"}"),
      Map.entry("POST /api/v1/tenants/{t}/tokens", "{\"name\":\"evil\",\"role\":\"admin\"}"),
      Map.entry("POST /api/v1/tenants/{t}/repos", "{\"name\":\"evil\"}"),
      Map.entry("PATCH /api/v1/tenants/{t}/repos/{r}", "{\"visibility\":\"internal\"}"),
      Map.entry("POST /api/v1/tenants/{t}/repos/{r}/pipelines", "{\"ref\":\"main\"}"),
      Map.entry("PUT /api/v1/tenants/{t}/webhooks/{name}",
          "{\"url\":\"http://203.0.113.66/steal\",\"secret\":\"evil-secret\"}"),
      Map.entry("PUT /api/v1/tenants/{t}/flags/{key}", "{\"enabled\":false}"),
      Map.entry("POST /api/v1/tenants/{t}/flags/evaluate", "{\"context\":{\"userId\":\"u1\"}}"),
      Map.entry("POST /api/v1/tenants/{t}/analytics/events", "{\"event\":\"evil\",\"userId\":\"u1\"}"),
      Map.entry("PUT /api/v1/tenants/{t}/secrets/{name}", "{\"value\":\"evil\"}"),
      Map.entry("PUT /api/v1/tenants/{t}/repos/{r}/secrets/{name}", "{\"value\":\"evil\"}"),
      Map.entry("PUT /api/v1/tenants/{t}/agents/{name}", "{\"kind\":\"reviewer\",\"repo\":\"vault\"}"),
      Map.entry("POST /api/v1/tenants/{t}/apps", "{\"name\":\"evil\",\"repo\":\"vault\"}"),
      Map.entry("PATCH /api/v1/tenants/{t}/apps/{a}", "{\"instances\":3}"),
      Map.entry("POST /api/v1/tenants/{t}/apps/{a}/rollback", "{\"release\":1}"));

  static final String MALFORMED_BODY = "{\"name\": ";

  static final String WORKFLOW = """
      on: push
      jobs:
        hello:
          runs-on: linux
          steps:
            - run: echo hi
      """;

  /** Acme's flag: enabled for everyone, so any leak through the Unleash APIs would show it. */
  static final String ACME_FLAG = "secret-launch";
  static final String OTHER_FLAG = "other-flag";
  static final String ON_FOR_EVERYONE = "{\"enabled\":true,\"strategies\":[{\"name\":\"default\"}]}";

  /** Acme's repository over git smart HTTP. */
  static final String ACME_GIT = "/git/acme/vault.git";

  // ---------------------------------------------------------------------------------------------
  // Fixtures
  // ---------------------------------------------------------------------------------------------

  @TempDir static Path dir;
  static RunningNode node;
  static String base;
  static String admin;
  static String acmeAdmin;
  static String acmeWrite;
  static String acmeRead;
  static String acmeRunner;
  static String revoked;
  static String otherAdmin;
  static String pushedSha;
  static Map<String, String> before;

  /** A real acme resource for every path variable (filled in by {@link #start}). */
  static final Map<String, String> FIXTURES = new LinkedHashMap<>();

  /** The same variables naming nothing that exists, in a tenant that does not exist. */
  static final Map<String, String> GHOSTS = Map.of(
      "t", "ghost-tenant", "r", "ghost-repo", "n", "999", "job", "ghost-job", "key", "ghost-flag",
      "name", "ghost-name", "id", "0123456789ab", "path", "ghost.txt", "a", "ghost-app");

  static final RouteScanner.Scan SCAN = RouteScanner.scan(httpSources(), GHOSTS.keySet());

  /**
   * Secrets (path → route): created where the route answers. They landed while this test was
   * written; a 404 at start is accepted only while the scanner does not find the route either.
   */
  static final Map<String, String> OPTIONAL_FIXTURES = Map.of(
      "/api/v1/tenants/acme/secrets/fx1", "PUT /api/v1/tenants/{t}/secrets/{name}",
      "/api/v1/tenants/acme/repos/vault/secrets/fx1", "PUT /api/v1/tenants/{t}/repos/{r}/secrets/{name}");
  static final Set<String> OPTIONAL_FIXTURES_MISSING = new TreeSet<>();

  @BeforeAll
  static void start() throws Exception {
    FIXTURES.put("t", "acme");
    FIXTURES.put("r", "vault");
    FIXTURES.put("n", "1");
    FIXTURES.put("job", "hello");
    FIXTURES.put("key", ACME_FLAG);
    FIXTURES.put("name", "fx1"); // a webhook and (once the routes exist) a secret of that name
    FIXTURES.put("path", "README.md");
    FIXTURES.put("a", "fx1"); // an app on the repository, created after its push (nothing deploys)
    FIXTURES.put("id", null); // below: the id of a token created for it
    assertEquals(GHOSTS.keySet(), FIXTURES.keySet(), "every variable needs a fixture and a ghost");

    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    // This test fails authentication a few hundred times from 127.0.0.1: the per-address back-off
    // must not turn those 401s into 429s (TestNodes sets this too; here it is this test's premise).
    o.put("devflow.http.auth-failures.max", 1_000_000);
    node = TestNodes.start(o);
    base = node.baseUrl();
    Api api = new Api(base);
    admin = node.createdAdminToken().orElseThrow();
    acmeAdmin = api.tenantWithToken(admin, "acme", "admin");
    acmeWrite = api.token(admin, "acme", "write");
    acmeRead = api.token(admin, "acme", "read");
    acmeRunner = api.token(admin, "acme", "runner");
    otherAdmin = api.tenantWithToken(admin, "other", "admin");

    // {id}: a token nobody uses, so that a revocation that should not happen shows in the list.
    FIXTURES.put("id", created(send("POST", "/api/v1/tenants/acme/tokens", bearer(acmeAdmin),
        "{\"name\":\"victim\",\"role\":\"read\"}")).get("id").asText());
    JsonNode gone = created(send("POST", "/api/v1/tenants/acme/tokens", bearer(acmeAdmin),
        "{\"name\":\"revoked\",\"role\":\"admin\"}"));
    revoked = gone.get("token").asText();
    expect(204, send("DELETE", "/api/v1/tenants/acme/tokens/" + gone.get("id").asText(), bearer(acmeAdmin), null));

    // {r}, {n}, {job}, {path}: a repository with one pushed commit whose workflow ran.
    created(send("POST", "/api/v1/tenants/acme/repos", bearer(acmeWrite), "{\"name\":\"vault\"}"));
    Path work = dir.resolve("work");
    GitInteropTest.ok(work, "init", "-q");
    Files.createDirectories(work.resolve(".devflow/workflows"));
    Files.writeString(work.resolve(".devflow/workflows/ci.yml"), WORKFLOW);
    Files.writeString(work.resolve("README.md"), "# vault\n");
    GitInteropTest.ok(work, "add", "-A");
    GitInteropTest.ok(work, "commit", "-q", "-m", "first");
    GitInteropTest.ok(work, "push", "-q", gitUrl(acmeWrite), "HEAD:refs/heads/main");
    pushedSha = GitInteropTest.ok(work, "rev-parse", "HEAD").output().trim();

    // {key}: acme's flag, on for everyone; the attacker has a flag of its own (positive control).
    created(send("PUT", "/api/v1/tenants/acme/flags/" + ACME_FLAG, bearer(acmeWrite), ON_FOR_EVERYONE));
    created(send("PUT", "/api/v1/tenants/other/flags/" + OTHER_FLAG, bearer(otherAdmin), ON_FOR_EVERYONE));

    // {name}: a webhook to a public documentation address for an event this test never causes,
    // so its delivery log stays empty (and nothing leaves the machine).
    created(send("PUT", "/api/v1/tenants/acme/webhooks/fx1", bearer(acmeAdmin),
        "{\"url\":\"http://203.0.113.10/hook\",\"types\":[\"release.live\"],\"secret\":\"hook-secret\"}"));

    // {name} again: a review agent on the repository (created after the push: it reviews nothing).
    created(send("PUT", "/api/v1/tenants/acme/agents/fx1", bearer(acmeAdmin),
        "{\"kind\":\"reviewer\",\"repo\":\"vault\"}"));

    // {a}: an app on the repository, created after the push (so it deploys nothing).
    created(send("POST", "/api/v1/tenants/acme/apps", bearer(acmeAdmin), "{\"name\":\"fx1\",\"repo\":\"vault\"}"));

    // {name} again: a tenant and a repository secret (404: no such route in this build).
    for (String secret : new TreeSet<>(OPTIONAL_FIXTURES.keySet())) {
      Resp r = send("PUT", secret, bearer(acmeAdmin), "{\"value\":\"fixture-secret-value\"}");
      if (r.status() == 404) {
        OPTIONAL_FIXTURES_MISSING.add(secret);
      } else {
        assertTrue(r.status() / 100 == 2, "PUT " + secret + ": " + r.brief());
      }
    }

    // Everything settles before the first snapshot: the pipeline is over, the catalogs have the flags.
    waitFor("pipeline acme/vault/1 finished", () -> {
      Resp p = send("GET", "/api/v1/tenants/acme/repos/vault/pipelines/1", bearer(acmeRead), null);
      return p.status() == 200 && p.json().hasNonNull("finishedAt");
    });
    waitFor("acme's flag in its list", () ->
        send("GET", "/api/v1/tenants/acme/flags", bearer(acmeRead), null).body().contains(ACME_FLAG));
    waitFor("acme's flag in its Unleash features", () ->
        send("GET", "/api/client/features", acmeRead, null).body().contains(ACME_FLAG));
    waitFor("the attacker's flag in its Unleash features", () ->
        send("GET", "/api/client/features", otherAdmin, null).body().contains(OTHER_FLAG));
    before = snapshot();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The checks
  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void theScannerFindsEveryRouteWithAMethodAndFixtures() {
    assertNone(SCAN.problems(), "route discovery");
    Set<String> found = SCAN.routes().stream().map(RouteScanner.Route::key).collect(Collectors.toSet());
    for (String expected : List.of("POST /api/v1/tenants/{t}/repos", "DELETE /api/v1/tenants/{t}/tokens/{id}",
        "GET /api/v1/tenants/{t}/repos/{r}/pipelines/{n}/jobs/{job}/log", "PUT /api/v1/tenants/{t}/flags/{key}",
        "GET /health/alive", "POST /git/{t}/{r}.git/git-receive-pack", "GET /api/client/features")) {
      assertTrue(found.contains(expected), "the scanner missed " + expected + "; it found " + new TreeSet<>(found));
    }
    int tenantRoutes = tenantRoutes().size();
    assertTrue(tenantRoutes >= 30, "only " + tenantRoutes + " tenant routes found: " + found);
    for (String exception : READ_LEVEL_WRITES.keySet()) {
      assertTrue(found.contains(exception), "READ_LEVEL_WRITES names " + exception + ", which no longer exists");
    }
    for (String missing : OPTIONAL_FIXTURES_MISSING) {
      assertTrue(!found.contains(OPTIONAL_FIXTURES.get(missing)),
          "the scanner finds " + OPTIONAL_FIXTURES.get(missing) + " but PUT " + missing + " answered 404 at start");
    }
  }

  /** The scanner's rules on a made-up source: what counts as a method directive, and what not. */
  @Test
  @Order(2)
  void theScannersRules() {
    String src = """
        class X extends ApiDirectives {
          // label("/commented", () -> get(() -> x()))
          /** label("/javadoc", () -> post(() -> x())) */
          Route route(String t) {
            String s = "label(\\"/in-a-string\\", () -> put(() -> x()))";
            return concat(
                label("/a/{t}", () -> concat(get(() -> one(')')), delete(() -> two()))),
                label(
                    "/b", () -> helper(t)),
                label("/c", () -> completeAsync(store.get(t), x -> complete(Map.get("k")))),
                label("/d", () -> get(this::ready)),
                label("/e/{nofixture}", () -> patch(() -> x())));
          }
          private Route helper(String t) {
            return concat(post(() -> put(t, "x")), deeper());
          }
          private Route deeper() {
            return put(() -> x());
          }
        }
        """;
    RouteScanner.Scan scan = new RouteScanner.Scan(new ArrayList<>(), new ArrayList<>());
    RouteScanner.scanSource("X.java", src, GHOSTS.keySet(), scan);
    assertEquals(List.of("GET /a/{t}", "DELETE /a/{t}", "POST /b", "PUT /b", "GET /d", "PATCH /e/{nofixture}"),
        scan.routes().stream().map(RouteScanner.Route::key).toList());
    assertEquals(2, scan.problems().size(), scan.problems().toString());
    assertTrue(scan.problems().get(0).contains("/c") && scan.problems().get(0).contains("no HTTP method"),
        scan.problems().toString());
    assertTrue(scan.problems().get(1).contains("{nofixture}"), scan.problems().toString());
  }

  /** (a) Another tenant's admin token: 404 for everything, indistinguishable from "does not exist". */
  @Test
  @Order(10)
  void anotherTenantsAdminTokenGets404OnEveryTenantRoute() {
    assertNone(Sweep.ATTACKER.offenders(),
        "tenant routes that do not answer another tenant's admin token as API.md says (404, existence not revealed)");
  }

  /** (b) Acme's read token cannot write; acme's runner token can do nothing. */
  @Test
  @Order(11)
  void rolesTooWeakGet403() {
    assertNone(Sweep.WEAK.offenders(), "tenant routes that do not answer a weak role with 403");
  }

  /** (c) No token, or one that is not valid: 401 with a challenge, also before a malformed body. */
  @Test
  @Order(12)
  void withoutAValidTokenEveryTenantRouteIs401() {
    assertNone(Sweep.UNAUTHENTICATED.offenders(),
        "tenant routes that do not answer 401 without a valid token");
  }

  /** Routes outside /api/v1/tenants/{t}, each with its own expectation. */
  @Test
  @Order(13)
  void routesOutsideTheTenantTreeKeepTenantsApart() {
    assertNone(Sweep.NON_TENANT.offenders(), "routes outside " + TENANT_TREE);
  }

  /** After every attack above, every GET of acme answers exactly as before. */
  @Test
  @Order(100)
  void nothingChangedForTheVictim() throws Exception {
    // Run the attacks even when this method runs alone (the sweeps run once and are remembered).
    for (Sweep sweep : Sweep.values()) {
      sweep.offenders();
    }
    List<String> notReadable = before.entrySet().stream().filter(e -> !e.getValue().startsWith("200 "))
        .map(e -> e.getKey() + " answers acme's admin token with " + brief(e.getValue())
            + " (a wrong fixture would make every 404 above meaningless)")
        .toList();
    assertNone(notReadable, "GET routes that acme's own admin token cannot read");
    Map<String, String> after = snapshot();
    List<String> changed = new ArrayList<>();
    for (String route : before.keySet()) {
      if (!before.get(route).equals(after.get(route))) {
        changed.add(route + "\n      before: " + brief(before.get(route)) + "\n      after:  " + brief(after.get(route)));
      }
    }
    assertNone(changed, "acme's state changed during the attacks");
  }

  // ---------------------------------------------------------------------------------------------
  // Sweeps: each collects every offender, then the test asserts once
  // ---------------------------------------------------------------------------------------------

  static List<String> attackerSweep() {
    List<String> off = new ArrayList<>();
    for (RouteScanner.Route rt : tenantRoutes()) {
      String body = bodyFor(rt);
      Resp real = send(rt.method(), path(rt, FIXTURES), bearer(otherAdmin), body);
      if (real.status() != 404 || !real.isProblem()) {
        off.add(rt.key() + ": expected 404 problem+json, got " + real.brief());
        continue;
      }
      Resp ghost = send(rt.method(), path(rt, GHOSTS), bearer(otherAdmin), body);
      String realShape = shape(real, FIXTURES);
      String ghostShape = shape(ghost, GHOSTS);
      if (!realShape.equals(ghostShape)) {
        off.add(rt.key() + ": the 404 for acme's real resource differs from the one for a tenant and resource that "
            + "do not exist (reveals existence)\n      real:  " + realShape + "\n      ghost: " + ghostShape);
      }
      if (WRITE_METHODS.contains(rt.method())) {
        Resp malformed = send(rt.method(), path(rt, FIXTURES), bearer(otherAdmin), MALFORMED_BODY);
        if (malformed.status() != 404) {
          off.add(rt.key() + " with a malformed body: expected 404 (tenant check before the body is parsed), got "
              + malformed.brief());
        }
      }
    }
    return off;
  }

  static List<String> weakTokenSweep() {
    List<String> off = new ArrayList<>();
    for (RouteScanner.Route rt : tenantRoutes()) {
      String path = path(rt, FIXTURES);
      String body = bodyFor(rt);
      if (READ_LEVEL_WRITES.containsKey(rt.key())) {
        Resp r = send(rt.method(), path, bearer(acmeRead), body);
        if (r.status() == 401 || r.status() == 403 || r.status() >= 500) {
          off.add(rt.key() + ": listed in READ_LEVEL_WRITES, but a read token got " + r.brief());
        }
      } else if (WRITE_METHODS.contains(rt.method())) {
        expectProblem(off, rt.key() + " with acme's read token", send(rt.method(), path, bearer(acmeRead), body), 403);
      }
      if (!RUNNER_ROUTES.contains(rt.key())) {
        expectProblem(off, rt.key() + " with acme's runner token", send(rt.method(), path, bearer(acmeRunner), body),
            403);
      }
    }
    return off;
  }

  static List<String> unauthenticatedSweep() {
    Map<String, String> credentials = new LinkedHashMap<>();
    credentials.put("no Authorization header", null);
    credentials.put("a nonsense bearer token", "Bearer nonsense");
    credentials.put("acme's admin token with one character changed", bearer(tampered(acmeAdmin)));
    credentials.put("a revoked acme admin token", bearer(revoked));
    credentials.put("acme's admin token sent as Basic", basic(acmeAdmin));
    List<String> off = new ArrayList<>();
    for (RouteScanner.Route rt : tenantRoutes()) {
      String path = path(rt, FIXTURES);
      for (Map.Entry<String, String> c : credentials.entrySet()) {
        Resp r = send(rt.method(), path, c.getValue(), bodyFor(rt));
        expectUnauthorized(off, rt.key() + " with " + c.getKey(), r, "Bearer");
      }
      if (WRITE_METHODS.contains(rt.method())) {
        expectUnauthorized(off, rt.key() + " without a token and with a malformed body",
            send(rt.method(), path, null, MALFORMED_BODY), "Bearer");
      }
    }
    return off;
  }

  static List<String> nonTenantSweep() {
    List<String> off = new ArrayList<>();
    Map<String, Check> expectations = nonTenantExpectations();
    Set<String> discovered = SCAN.routes().stream().filter(r -> !r.template().startsWith(TENANT_TREE))
        .map(RouteScanner.Route::key).collect(Collectors.toCollection(TreeSet::new));
    for (String route : discovered) {
      if (!expectations.containsKey(route)) {
        off.add(route + ": a route outside " + TENANT_TREE + " without an expectation; add one to "
            + "RouteIsolationTest.nonTenantExpectations (who may call it, what another tenant's token gets)");
      }
    }
    for (Map.Entry<String, Check> e : expectations.entrySet()) {
      if (!discovered.contains(e.getKey())) {
        off.add(e.getKey() + ": has an expectation but the scanner no longer finds the route; remove or rename it");
        continue;
      }
      try {
        e.getValue().check(off);
      } catch (Exception | AssertionError x) {
        off.add(e.getKey() + ": " + x);
      }
    }
    return off;
  }

  // ---------------------------------------------------------------------------------------------
  // Routes outside the tenant tree: explicit expectations, one per discovered (method, template)
  // ---------------------------------------------------------------------------------------------

  interface Check {
    void check(List<String> off) throws Exception;
  }

  static Map<String, Check> nonTenantExpectations() {
    Map<String, Check> m = new LinkedHashMap<>();
    // Probes for load balancers and Prometheus: no token, and nothing about any tenant in them
    // (request metrics are labelled with route templates, never raw paths).
    for (String path : List.of("/health/alive", "/health/ready")) {
      m.put("GET " + path, off -> expectStatus(off, "GET " + path, send("GET", path, null, null), 200));
    }
    m.put("GET /metrics", off -> {
      Resp r = send("GET", "/metrics", null, null);
      expectStatus(off, "GET /metrics", r, 200);
      for (String name : List.of("acme", "vault", ACME_FLAG, "fx1")) {
        if (r.body().contains(name)) {
          off.add("GET /metrics (unauthenticated) names acme's " + name);
        }
      }
    });
    // Cluster admin only (ServiceRoutes.clusterRoute, PipelineRoutes.runners): any tenant token,
    // even a tenant admin, is a 403 — the code checks p.clusterAdmin() after authentication.
    // AuditRoutes.clusterRoute likewise (403 "the cluster audit log needs the admin token").
    for (String path : List.of("/api/v1/cluster", "/api/v1/runners", "/api/v1/audit")) {
      m.put("GET " + path, off -> {
        clusterAdminOnly(off, "GET", path, null);
        expectStatus(off, "GET " + path + " with the cluster admin token (control)", send("GET", path, bearer(admin), null), 200);
      });
    }
    // Creating tenants: cluster admin only (TenantRoutes.createTenant: 403 for any tenant token).
    m.put("POST /api/v1/tenants", off -> {
      clusterAdminOnly(off, "POST", "/api/v1/tenants", "{\"name\":\"evil-tenant\"}");
      expectStatus(off, "evil-tenant must not exist", send("GET", "/api/v1/tenants/evil-tenant", bearer(admin), null), 404);
    });
    // git smart HTTP: Basic auth with the token as password (GitRoutes.repository). Another
    // tenant's token: 404 (acme's repository is private); none or invalid: 401 asking for Basic;
    // a read token pushing: 403.
    m.put("GET /git/{t}/{r}.git/info/refs", off -> {
      gitChecks(off, "GET", "/info/refs?service=git-upload-pack", false);
      gitChecks(off, "GET", "/info/refs?service=git-receive-pack", true);
      gitCli(off);
    });
    m.put("POST /git/{t}/{r}.git/git-upload-pack", off -> gitChecks(off, "POST", "/git-upload-pack", false));
    m.put("POST /git/{t}/{r}.git/git-receive-pack", off -> gitChecks(off, "POST", "/git-receive-pack", true));
    // Unleash client and frontend API: the token selects the tenant (UnleashRoutes.sdk), so there
    // is no tenant in the path to refuse. The attacker's token works but sees only its own flags,
    // and what it reports lands in its own tenant; the cluster admin token is a 403 (no flags).
    m.put("GET /api/client/features", unleashRead("GET /api/client/features", "/api/client/features"));
    m.put("GET /api/client/streaming", off -> {
      unleashAuth(off, "GET", "/api/client/streaming", null);
      String first = firstSseEvent("/api/client/streaming", otherAdmin);
      if (!first.contains("unleash-connected") || !first.contains(OTHER_FLAG) || first.contains(ACME_FLAG)) {
        off.add("GET /api/client/streaming with other's token: expected its own flags only, got " + brief(first));
      }
    });
    m.put("GET /api/frontend", unleashRead("GET /api/frontend", "/api/frontend?userId=u1"));
    m.put("POST /api/frontend", off -> {
      String body = "{\"context\":{\"userId\":\"u1\"}}";
      unleashAuth(off, "POST", "/api/frontend", body);
      flagsOnlyOwn(off, "POST /api/frontend", send("POST", "/api/frontend", otherAdmin, body));
    });
    m.put("POST /api/client/register", off -> {
      String body = "{\"appName\":\"attacker-app\",\"instanceId\":\"evil-1\",\"sdkVersion\":\"unleash-client-java:9\","
          + "\"strategies\":[\"default\"],\"started\":\"" + Instant.now() + "\",\"interval\":15000}";
      unleashAuth(off, "POST", "/api/client/register", body);
      expectStatus(off, "POST /api/client/register with other's token", send("POST", "/api/client/register", otherAdmin, body), 202);
      waitFor("the attacker's SDK instance in its own tenant (control)", () ->
          send("GET", "/api/v1/tenants/other/sdk-instances", bearer(otherAdmin), null).body().contains("attacker-app"));
      if (send("GET", "/api/v1/tenants/acme/sdk-instances", bearer(acmeAdmin), null).body().contains("attacker-app")) {
        off.add("POST /api/client/register with other's token: the instance shows in acme's sdk-instances");
      }
    });
    m.put("POST /api/client/metrics", off -> {
      String body = "{\"appName\":\"attacker-app\",\"instanceId\":\"evil-1\",\"bucket\":{\"start\":\"" + Instant.now()
          + "\",\"stop\":\"" + Instant.now() + "\",\"toggles\":{\"" + ACME_FLAG + "\":{\"yes\":4242,\"no\":0}}}}";
      unleashAuth(off, "POST", "/api/client/metrics", body);
      expectStatus(off, "POST /api/client/metrics with other's token", send("POST", "/api/client/metrics", otherAdmin, body), 202);
      String results = "/flags/" + ACME_FLAG + "/results?goal=signup";
      expectContains(off, "the attacker's SDK metrics in its own tenant (control)",
          send("GET", "/api/v1/tenants/other" + results, bearer(otherAdmin), null), "4242");
      Resp acme = send("GET", "/api/v1/tenants/acme" + results, bearer(acmeAdmin), null);
      if (acme.status() != 200 || acme.body().contains("4242")) {
        off.add("POST /api/client/metrics with other's token naming acme's flag: acme's results show it: " + acme.brief());
      }
    });
    return m;
  }

  /** Git smart HTTP to {@code ACME_GIT + rest} with each credential; {@code receive}: a push endpoint. */
  static void gitChecks(List<String> off, String method, String rest, boolean receive) {
    String path = ACME_GIT + rest;
    String body = method.equals("POST") ? "0000" : null;
    String what = method + " " + path;
    expectUnauthorized(off, what + " without credentials", git(method, path, null, body), "Basic");
    expectUnauthorized(off, what + " with a nonsense token", git(method, path, basic("nonsense"), body), "Basic");
    expectUnauthorized(off, what + " with a revoked acme token", git(method, path, basic(revoked), body), "Basic");
    expectProblem(off, what + " with other's admin token", git(method, path, basic(otherAdmin), body), 404);
    Resp ghost = git(method, "/git/ghost-tenant/ghost-repo.git" + rest, basic(otherAdmin), body);
    Resp real = git(method, path, basic(otherAdmin), body);
    Map<String, String> repoNames = Map.of("t", "acme", "r", "vault");
    Map<String, String> ghostNames = Map.of("t", "ghost-tenant", "r", "ghost-repo");
    if (!shape(real, repoNames).equals(shape(ghost, ghostNames))) {
      off.add(what + " with other's admin token reveals that the repository exists: " + real.brief() + " vs "
          + ghost.brief());
    }
    if (receive) {
      expectProblem(off, what + " with acme's read token", git(method, path, basic(acmeRead), body), 403);
    } else if (method.equals("GET")) {
      expectStatus(off, what + " with acme's read token (control)", git(method, path, basic(acmeRead), body), 200);
    }
  }

  /** The real git client with the attacker's token: it can neither list nor push. */
  static void gitCli(List<String> off) throws Exception {
    String url = gitUrl(otherAdmin);
    GitInteropTest.Git ls = GitInteropTest.git(dir, "ls-remote", url);
    if (ls.code() == 0 || ls.output().contains(pushedSha)) {
      off.add("git ls-remote of acme/vault with other's token: exit " + ls.code() + ": " + ls.output());
    }
    Path work = dir.resolve("attacker");
    GitInteropTest.ok(work, "init", "-q");
    Files.writeString(work.resolve("evil.txt"), "evil\n");
    GitInteropTest.ok(work, "add", "-A");
    GitInteropTest.ok(work, "commit", "-q", "-m", "evil");
    GitInteropTest.Git push = GitInteropTest.git(work, "push", url, "HEAD:refs/heads/evil");
    if (push.code() == 0) {
      off.add("git push to acme/vault with other's token succeeded: " + push.output());
    }
  }

  /** Cluster admin only: 401 without a token, 403 for any tenant's admin token. */
  static void clusterAdminOnly(List<String> off, String method, String path, String body) {
    String what = method + " " + path;
    expectUnauthorized(off, what + " without a token", send(method, path, null, body), "Bearer");
    expectProblem(off, what + " with acme's admin token", send(method, path, bearer(acmeAdmin), body), 403);
    expectProblem(off, what + " with other's admin token", send(method, path, bearer(otherAdmin), body), 403);
  }

  static void unleashAuth(List<String> off, String method, String path, String body) {
    String what = method + " " + path;
    expectUnauthorized(off, what + " without a token", send(method, path, null, body), "Bearer");
    expectUnauthorized(off, what + " with a nonsense token", send(method, path, "nonsense", body), "Bearer");
    expectUnauthorized(off, what + " with a revoked acme token", send(method, path, revoked, body), "Bearer");
    expectProblem(off, what + " with the cluster admin token", send(method, path, admin, body), 403);
  }

  /** An Unleash read: refused without a tenant token; other's sees its own flags only, acme's its own. */
  static Check unleashRead(String what, String path) {
    return off -> {
      unleashAuth(off, "GET", path, null);
      flagsOnlyOwn(off, what, send("GET", path, otherAdmin, null));
      expectContains(off, what + " with acme's read token (control)", send("GET", path, acmeRead, null), ACME_FLAG);
    };
  }

  static void flagsOnlyOwn(List<String> off, String what, Resp r) {
    if (r.status() != 200 || !r.body().contains(OTHER_FLAG) || r.body().contains(ACME_FLAG)) {
      off.add(what + " with other's token: expected 200 with its own flag and not acme's, got " + r.brief());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The route table
  // ---------------------------------------------------------------------------------------------

  /** The discovered routes under /api/v1/tenants/{t}; fails when discovery has problems. */
  static List<RouteScanner.Route> tenantRoutes() {
    assertNone(SCAN.problems(), "route discovery");
    return SCAN.routes().stream().filter(r -> r.template().startsWith(TENANT_TREE)).toList();
  }

  static Path httpSources() {
    Path sources = Path.of("").toAbsolutePath().resolve("../http/src/main/java").normalize();
    if (!Files.isDirectory(sources)) {
      throw new IllegalStateException("RouteIsolationTest reads the routes from the http module's sources, expected at "
          + sources + " (relative to the cluster module's working directory " + Path.of("").toAbsolutePath()
          + "); run it from the cluster module (mvn -pl cluster test)");
    }
    return sources;
  }

  static String path(RouteScanner.Route rt, Map<String, String> values) {
    String path = rt.template();
    for (String var : rt.variables()) {
      path = path.replace("{" + var + "}", values.get(var));
    }
    return path;
  }

  static String bodyFor(RouteScanner.Route rt) {
    if (!WRITE_METHODS.contains(rt.method()) || rt.method().equals("DELETE")) {
      return null;
    }
    return BODIES.getOrDefault(rt.key(), "{}");
  }

  /**
   * Acme as its admin token reads it through every GET route (but those that change by
   * themselves): route → "status body".
   */
  static Map<String, String> snapshot() {
    Map<String, String> s = new TreeMap<>();
    for (RouteScanner.Route rt : tenantRoutes()) {
      if (rt.method().equals("GET") && !CHANGES_BY_ITSELF.containsKey(rt.key())) {
        Resp r = send("GET", path(rt, FIXTURES), bearer(acmeAdmin), null);
        s.put(rt.key(), r.status() + " " + r.body());
      }
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  record Resp(int status, String contentType, String body, HttpHeaders headers) {
    boolean isProblem() {
      return contentType.startsWith("application/problem+json");
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String brief() {
      return status + " " + RouteIsolationTest.brief(body);
    }
  }

  static Resp send(String method, String path, String authorization, String body) {
    return send(method, path, authorization, "application/json", body);
  }

  static Resp git(String method, String path, String authorization, String body) {
    String type = path.endsWith("git-upload-pack") ? "application/x-git-upload-pack-request"
        : "application/x-git-receive-pack-request";
    return send(method, path, authorization, type, body);
  }

  /**
   * One request with a short timeout. An event stream's body is not read (only its status
   * counts): the stream would not end.
   */
  static Resp send(String method, String path, String authorization, String contentType, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", contentType);
    }
    try {
      HttpResponse<InputStream> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      String type = r.headers().firstValue("content-type").orElse("");
      try (InputStream in = r.body()) {
        String text = type.startsWith("text/event-stream") ? "<event stream, not read>"
            : new String(in.readAllBytes(), UTF_8);
        return new Resp(r.statusCode(), type, text, r.headers());
      }
    } catch (IOException e) {
      return new Resp(-1, "", "no answer: " + e, HttpHeaders.of(Map.of(), (k, v) -> true));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The first SSE message of a stream (Unleash's token as the raw Authorization value). */
  static String firstSseEvent(String path, String token) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", token).GET().build();
    HttpResponse<InputStream> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        return r.statusCode() + " " + new String(in.readAllBytes(), UTF_8);
      }
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
        StringBuilder text = new StringBuilder();
        try {
          int c;
          while ((c = in.read()) >= 0) {
            text.append((char) c);
            if (text.indexOf("data:") >= 0 && text.toString().endsWith("\n\n")) {
              break;
            }
          }
        } catch (IOException e) {
          text.append(" <").append(e).append('>');
        }
        return text.toString();
      });
      return first.get(10, TimeUnit.SECONDS);
    }
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  static String basic(String token) {
    return "Basic " + Base64.getEncoder().encodeToString(("x:" + token).getBytes(UTF_8));
  }

  static String tampered(String token) {
    char last = token.charAt(token.length() - 1);
    return token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
  }

  static String gitUrl(String token) {
    return "http://x:" + token + "@127.0.0.1:" + node.httpPort().join() + ACME_GIT;
  }

  /**
   * A response with the fixture values replaced by their variable names: two responses of the
   * same shape tell a caller nothing about which of the two exists.
   */
  static String shape(Resp r, Map<String, String> values) {
    String text = r.status() + " " + r.contentType() + " " + r.body();
    List<Map.Entry<String, String>> byLength = values.entrySet().stream()
        .sorted(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getValue().length()).reversed()).toList();
    for (Map.Entry<String, String> e : byLength) {
      text = text.replaceAll("(?<![\\w-])" + Pattern.quote(e.getValue()) + "(?![\\w-])",
          Matcher.quoteReplacement("{" + e.getKey() + "}"));
    }
    return text;
  }

  static JsonNode created(Resp r) {
    assertTrue(r.status() == 200 || r.status() == 201, "fixture: " + r.brief());
    return r.json();
  }

  static void expect(int status, Resp r) {
    assertEquals(status, r.status(), "fixture: " + r.brief());
  }

  static void expectStatus(List<String> off, String what, Resp r, int status) {
    if (r.status() != status) {
      off.add(what + ": expected " + status + ", got " + r.brief());
    }
  }

  static void expectProblem(List<String> off, String what, Resp r, int status) {
    if (r.status() != status || !r.isProblem()) {
      off.add(what + ": expected " + status + " problem+json, got " + r.brief());
    }
  }

  static void expectUnauthorized(List<String> off, String what, Resp r, String scheme) {
    String challenge = r.headers().firstValue("www-authenticate").orElse("");
    if (r.status() != 401 || !r.isProblem() || !challenge.startsWith(scheme)) {
      off.add(what + ": expected 401 problem+json with WWW-Authenticate: " + scheme + ", got " + r.brief()
          + (challenge.isEmpty() ? " (no WWW-Authenticate)" : " (WWW-Authenticate: " + challenge + ")"));
    }
  }

  static void expectContains(List<String> off, String what, Resp r, String text) {
    if (r.status() != 200 || !r.body().contains(text)) {
      off.add(what + ": expected 200 containing " + text + ", got " + r.brief());
    }
  }

  static String brief(String s) {
    if (s == null) {
      return "nothing";
    }
    String one = s.replace('\n', ' ');
    return one.length() > 300 ? one.substring(0, 300) + "…" : one;
  }

  static void assertNone(List<String> offenders, String what) {
    if (!offenders.isEmpty()) {
      fail(what + " (" + offenders.size() + "):\n  " + String.join("\n  ", offenders));
    }
  }

  /** The sweeps, each run once: its test and {@link #nothingChangedForTheVictim} share the offenders. */
  enum Sweep {
    ATTACKER(RouteIsolationTest::attackerSweep),
    WEAK(RouteIsolationTest::weakTokenSweep),
    UNAUTHENTICATED(RouteIsolationTest::unauthenticatedSweep),
    NON_TENANT(RouteIsolationTest::nonTenantSweep);

    private final Callable<List<String>> run;
    private List<String> offenders; // guarded by RouteIsolationTest.class: one sweep at a time

    Sweep(Callable<List<String>> run) {
      this.run = run;
    }

    List<String> offenders() {
      synchronized (RouteIsolationTest.class) {
        if (offenders == null) {
          try {
            offenders = run.call();
          } catch (Exception e) {
            throw new AssertionError("sweep " + name().toLowerCase(Locale.ROOT).replace('_', '-') + " failed", e);
          }
        }
        return offenders;
      }
    }
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitFor(String what, Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
