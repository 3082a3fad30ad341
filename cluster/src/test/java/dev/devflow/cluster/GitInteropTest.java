package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Git hosting with the real {@code git} CLI against a real node: clone, push, fetch, rejections,
 * protection, auth, concurrency and hostile names, with {@code git fsck --strict} on the bare
 * repository after every scenario.
 */
class GitInteropTest {

  @TempDir static Path dir;
  static RunningNode node;
  static Api api;
  static String admin;
  static String write;
  static String read;
  static String otherWrite;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(options());
    api = new Api(node.baseUrl());
    port = node.httpPort().join();
    admin = node.createdAdminToken().orElseThrow();
    write = api.tenantWithToken(admin, "acme", "write");
    read = api.token(admin, "acme", "read");
    otherWrite = api.tenantWithToken(admin, "other", "write");
  }

  /** A small push limit, so that the limit can be tested without gigabytes. */
  static Map<String, Object> options() {
    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    o.put("devflow.git.max-push-size", "2m");
    return o;
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  record Git(int code, String output) {}

  static Git git(Path cwd, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
        "-c", "credential.helper=", "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    Files.createDirectories(cwd);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.environment().put("GIT_ASKPASS", "");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "git " + String.join(" ", args));
    return new Git(p.exitValue(), out);
  }

  static Git ok(Path cwd, String... args) throws Exception {
    Git g = git(cwd, args);
    assertEquals(0, g.code(), "git " + String.join(" ", args) + ":\n" + g.output());
    return g;
  }

  static String url(String token, String tenant, String repo) {
    return "http://x:" + token + "@127.0.0.1:" + port + "/git/" + tenant + "/" + repo + ".git";
  }

  static void createRepo(String name) throws Exception {
    Api.Response r = api.post("/api/v1/tenants/acme/repos", write, "{\"name\":\"" + name + "\"}");
    assertEquals(201, r.status(), r.body());
  }

  static Path bare(String name) {
    return dir.resolve("home/git/acme/" + name + ".git");
  }

  /** Checks the bare repository once this node's background repacks are done. */
  static void fsck(String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!api.get("/metrics", null).body().contains("devflow_git_repacks_pending 0")) {
      assertTrue(System.nanoTime() < deadline, "repacks never finished");
      Thread.sleep(50);
    }
    ok(bare(name), "fsck", "--strict");
  }

  static Path commit(Path work, String file, String content) throws Exception {
    Files.writeString(work.resolve(file), content);
    ok(work, "add", file);
    ok(work, "commit", "-q", "-m", "change " + file);
    return work;
  }

  @Test
  void cloneEmptyPushCloneAndFetch() throws Exception {
    createRepo("web");
    Path a = dir.resolve("web-a");
    ok(dir, "clone", "-q", url(write, "acme", "web"), a.toString());
    commit(a, "README.md", "hello\n");
    ok(a, "push", "-q", "origin", "HEAD:main");
    fsck("web");

    Path b = dir.resolve("web-b");
    ok(dir, "clone", "-q", url(read, "acme", "web"), b.toString());
    assertEquals("hello\n", Files.readString(b.resolve("README.md")));

    commit(a, "second.txt", "two\n");
    ok(a, "push", "-q", "origin", "HEAD:main");
    Git fetch = ok(b, "-c", "protocol.version=2", "fetch", "origin");
    ok(b, "merge", "-q", "--ff-only", "origin/main");
    assertEquals("two\n", Files.readString(b.resolve("second.txt")));
    fsck("web");

    String head = ok(a, "rev-parse", "HEAD").output().trim();
    Api.Response repo = waitForRef("web", "refs/heads/main", head);
    assertTrue(repo.json().get("cloneUrl").asText().endsWith("/git/acme/web.git"));
    Api.Response commits = api.get("/api/v1/tenants/acme/repos/web/commits?ref=main&limit=1", read);
    assertEquals(head, commits.json().get("items").get(0).get("id").asText());
    Api.Response file = api.get("/api/v1/tenants/acme/repos/web/files/second.txt?ref=main", read);
    assertEquals("two\n", file.body());
    assertEquals(404, api.get("/api/v1/tenants/acme/repos/web/files/missing.txt", read).status());
    assertFalse(fetch.output().contains("fatal"));

    // After a push that leaves several packs the repository is repacked in the background, with a
    // reachability bitmap.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!hasBitmap("web")) {
      assertTrue(System.nanoTime() < deadline, "no bitmap written after the push");
      Thread.sleep(100);
    }
    fsck("web");
  }

  static boolean hasBitmap(String repo) throws IOException {
    try (var files = Files.list(bare(repo).resolve("objects/pack"))) {
      return files.anyMatch(f -> f.toString().endsWith(".bitmap"));
    }
  }

  @Test
  void nonFastForwardIsRejectedAndProtectedBranchIsNotForcedOrDeleted() throws Exception {
    createRepo("prot");
    Path a = dir.resolve("prot-a");
    ok(dir, "clone", "-q", url(write, "acme", "prot"), a.toString());
    commit(a, "a.txt", "1\n");
    ok(a, "push", "-q", "origin", "HEAD:main");
    commit(a, "a.txt", "2\n");
    ok(a, "push", "-q", "origin", "HEAD:main");
    String remoteHead = ok(a, "rev-parse", "HEAD").output().trim();
    ok(a, "reset", "-q", "--hard", "HEAD~1");
    commit(a, "b.txt", "diverged\n");

    Git nonFf = git(a, "push", "origin", "HEAD:main");
    assertNotEquals(0, nonFf.code());
    assertTrue(nonFf.output().contains("non-fast-forward") || nonFf.output().contains("fetch first"), nonFf.output());

    Git force = git(a, "push", "-f", "origin", "HEAD:main");
    assertNotEquals(0, force.code());
    assertTrue(force.output().contains("protected branch main cannot be force-pushed"), force.output());

    Git delete = git(a, "push", "origin", ":main");
    assertNotEquals(0, delete.code());
    assertTrue(delete.output().contains("protected branch main cannot be deleted"), delete.output());

    assertEquals(remoteHead, ok(bare("prot"), "rev-parse", "refs/heads/main").output().trim());
    // Other branches may be force-pushed and deleted.
    ok(a, "push", "-q", "origin", "HEAD:feature");
    ok(a, "reset", "-q", "--hard", "HEAD~1");
    ok(a, "push", "-q", "-f", "origin", "HEAD:feature");
    ok(a, "push", "-q", "origin", ":feature");
    fsck("prot");
  }

  @Test
  void protectedBranchPatternsAreSettings() throws Exception {
    createRepo("patterns");
    Api.Response bad = api.call("PATCH", "/api/v1/tenants/acme/repos/patterns", admin, "{\"protectedBranches\":[\"a b\"]}");
    assertEquals(400, bad.status());
    assertEquals("protectedBranches", bad.json().get("field").asText());
    Api.Response changed = api.call("PATCH", "/api/v1/tenants/acme/repos/patterns", admin,
        "{\"protectedBranches\":[\"release/*\"]}");
    assertEquals(200, changed.status(), changed.body());
    assertEquals("release/*", changed.json().get("protectedBranches").get(0).asText());
    Path a = dir.resolve("patterns-a");
    ok(dir, "clone", "-q", url(write, "acme", "patterns"), a.toString());
    commit(a, "a.txt", "1\n");
    commit(a, "a.txt", "2\n");
    ok(a, "push", "-q", "origin", "HEAD:main", "HEAD:release/1.0");
    ok(a, "reset", "-q", "--hard", "HEAD~1");
    Git force = git(a, "push", "-f", "origin", "HEAD:release/1.0");
    assertNotEquals(0, force.code());
    assertTrue(force.output().contains("protected branch release/1.0 cannot be force-pushed"), force.output());
    Git delete = git(a, "push", "origin", ":release/1.0");
    assertTrue(delete.output().contains("protected branch release/1.0 cannot be deleted"), delete.output());
    // main is no longer in the list: it may now be rewritten.
    ok(a, "push", "-q", "-f", "origin", "HEAD:main");
    fsck("patterns");
  }

  @Test
  void internalRepositoriesAreReadableByEveryTenantButWritableOnlyByTheirOwn() throws Exception {
    createRepo("shared");
    Path w = dir.resolve("shared-w");
    ok(dir, "clone", "-q", url(write, "acme", "shared"), w.toString());
    commit(w, "lib.txt", "lib\n");
    ok(w, "push", "-q", "origin", "HEAD:main");
    Git before = git(dir, "clone", "-q", url(otherWrite, "acme", "shared"), dir.resolve("shared-o1").toString());
    assertNotEquals(0, before.code(), "private: another tenant sees nothing");
    assertEquals(404, api.get("/api/v1/tenants/acme/repos/shared", otherWrite).status());

    Api.Response internal = api.call("PATCH", "/api/v1/tenants/acme/repos/shared", admin, "{\"visibility\":\"internal\"}");
    assertEquals("internal", internal.json().get("visibility").asText(), internal.body());
    Path o = dir.resolve("shared-o2");
    ok(dir, "clone", "-q", url(otherWrite, "acme", "shared"), o.toString());
    assertEquals(200, api.get("/api/v1/tenants/acme/repos/shared/files/lib.txt", otherWrite).status());
    commit(o, "evil.txt", "x\n");
    Git push = git(o, "push", "origin", "HEAD:main");
    assertNotEquals(0, push.code(), "reading is all another tenant may do");
    assertEquals(404, api.get("/api/v1/tenants/acme/repos", otherWrite).status(), "and it cannot list the tenant");
    assertEquals(400, api.call("PATCH", "/api/v1/tenants/acme/repos/shared", admin, "{\"visibility\":\"public\"}").status());
    fsck("shared");
  }

  @Test
  void authFailuresAndForeignTenants() throws Exception {
    createRepo("secure");
    Path work = dir.resolve("secure-none");
    Git none = git(dir, "clone", "-q", "http://127.0.0.1:" + port + "/git/acme/secure.git", work.toString());
    assertNotEquals(0, none.code());
    var challenge = api.get("/git/acme/secure.git/info/refs?service=git-upload-pack", null);
    assertEquals(401, challenge.status());
    String www = challenge.raw().headers().firstValue("www-authenticate").orElse("");
    assertTrue(www.startsWith("Basic realm=\"DevFlow\""), www);

    Git wrong = git(dir, "clone", "-q", url("dft_acme_00_bad", "acme", "secure"), dir.resolve("secure-bad").toString());
    assertNotEquals(0, wrong.code());

    Git foreign = git(dir, "clone", "-q", url(otherWrite, "acme", "secure"), dir.resolve("secure-foreign").toString());
    assertNotEquals(0, foreign.code());
    assertTrue(foreign.output().contains("not found"), foreign.output());

    Path r = dir.resolve("secure-read");
    ok(dir, "clone", "-q", url(read, "acme", "secure"), r.toString());
    commit(r, "x.txt", "x\n");
    Git readPush = git(r, "push", "origin", "HEAD:main");
    assertNotEquals(0, readPush.code());
    assertTrue(readPush.output().contains("403"), readPush.output());
    fsck("secure");
  }

  @Test
  void unknownRepositoriesAndHostileNamesCreateNothing() throws Exception {
    for (String name : List.of("nope", "..", "%2e%2e", "..%2f..%2fetc", "a%2fb", "UPPER", "x".repeat(70))) {
      Git g = git(dir, "clone", "-q", url(write, "acme", name), dir.resolve("hostile").toString());
      assertNotEquals(0, g.code(), name);
    }
    for (String body : List.of("{\"name\":\"..\"}", "{\"name\":\"../x\"}", "{\"name\":\"/etc\"}", "{\"name\":\"a/b\"}")) {
      assertEquals(400, api.post("/api/v1/tenants/acme/repos", write, body).status(), body);
    }
    assertEquals(404, api.get("/api/v1/tenants/acme/repos/nope", read).status());
    try (var s = Files.list(dir.resolve("home/git/acme"))) {
      assertTrue(s.map(p -> p.getFileName().toString()).allMatch(n -> n.matches("[a-z0-9][a-z0-9-]*\\.git")));
    }
    assertFalse(Files.exists(dir.resolve("home/git/acme/nope.git")));
    assertFalse(Files.exists(dir.resolve("home/etc")));
  }

  @Test
  void concurrentPushesNeverCorruptRefs() throws Exception {
    createRepo("busy");
    Path seed = dir.resolve("busy-seed");
    ok(dir, "clone", "-q", url(write, "acme", "busy"), seed.toString());
    commit(seed, "base.txt", "base\n");
    ok(seed, "push", "-q", "origin", "HEAD:main");

    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      List<Future<Git>> branches = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        Path w = dir.resolve("busy-" + i);
        ok(dir, "clone", "-q", url(write, "acme", "busy"), w.toString());
        commit(w, "f" + i + ".txt", "client " + i + "\n");
        int n = i;
        branches.add(pool.submit(() -> git(w, "push", "-q", "origin", "HEAD:refs/heads/b" + n)));
      }
      // Both racers clone before either pushes: otherwise the second could clone the first's
      // commit, and its push would rightly be a fast-forward.
      List<Path> racerDirs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Path w = dir.resolve("busy-race-" + i);
        ok(dir, "clone", "-q", url(write, "acme", "busy"), w.toString());
        commit(w, "race.txt", "racer " + i + "\n");
        racerDirs.add(w);
      }
      List<Future<Git>> racers = new ArrayList<>();
      for (Path w : racerDirs) {
        racers.add(pool.submit(() -> git(w, "push", "origin", "HEAD:main")));
      }
      for (Future<Git> f : branches) {
        assertEquals(0, f.get().code(), f.get().output());
      }
      int won = 0;
      for (Future<Git> f : racers) {
        if (f.get().code() == 0) {
          won++;
        } else {
          // git's ordinary answer to a stale push: refused by the client ("fetch first") when it
          // saw the winner's ref, by the server ("non-fast-forward") when it did not. When the
          // winner's update lands while the loser's pack is still arriving, JGit's own check of
          // the old id answers first ("invalid old id sent"): also a clean refusal, never a lock.
          String out = f.get().output();
          assertTrue(out.contains("non-fast-forward") || out.contains("fetch first")
              || out.contains("invalid old id sent"), out);
          assertFalse(out.contains("lock"), out);
        }
      }
      // The racers' commits diverge, so both succeeding would mean one overwrote the other.
      assertEquals(1, won, "exactly one racer wins");
    } finally {
      pool.shutdown();
    }
    fsck("busy");
    for (int i = 0; i < 10; i++) {
      ok(bare("busy"), "rev-parse", "--verify", "refs/heads/b" + i);
    }
  }

  @Test
  void pushesMadeBehindTheEntitysBackAreRecordedWhenItStarts() throws Exception {
    createRepo("recon");
    Path w = dir.resolve("recon-w");
    ok(dir, "clone", "-q", url(write, "acme", "recon"), w.toString());
    commit(w, "a.txt", "a\n");
    // Straight to the bare repository on disk: the entity never hears of it.
    ok(w, "push", "-q", bare("recon").toString(), "HEAD:refs/heads/side");
    String head = ok(w, "rev-parse", "HEAD").output().trim();
    // The entity learns of it when it next starts: restart the node.
    node.close();
    node = TestNodes.start(options());
    api = new Api(node.baseUrl());
    port = node.httpPort().join();
    waitForRef("recon", "refs/heads/side", head);
  }

  @Test
  void aPushOverTheSizeLimitIsRejectedAndChangesNothing() throws Exception {
    createRepo("limited");
    Path w = dir.resolve("limited-w");
    ok(dir, "clone", "-q", url(write, "acme", "limited"), w.toString());
    commit(w, "small.txt", "small\n");
    ok(w, "push", "-q", "origin", "HEAD:main");
    String before = ok(bare("limited"), "rev-parse", "refs/heads/main").output().trim();
    byte[] random = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(random);
    Files.write(w.resolve("big.bin"), random);
    ok(w, "add", "big.bin");
    ok(w, "commit", "-q", "-m", "too big");
    Git push = git(w, "push", "origin", "HEAD:main");
    assertNotEquals(0, push.code(), push.output());
    assertTrue(push.output().toLowerCase().contains("too large") || push.output().contains("limit"), push.output());
    assertEquals(before, ok(bare("limited"), "rev-parse", "refs/heads/main").output().trim());
    fsck("limited");
  }

  @Test
  void aCorruptPackIsRejectedAndChangesNothing() throws Exception {
    createRepo("corrupt");
    byte[] body = receivePackRequest("refs/heads/evil", "PACK\0\0\0\2\0\0\0\1garbage-not-a-pack");
    int status = rawPost("/git/acme/corrupt.git/git-receive-pack", body, body.length);
    assertTrue(status == 200 || status >= 400, "answered: " + status);
    Git refs = git(bare("corrupt"), "for-each-ref");
    assertEquals("", refs.output().trim(), "no ref was created");
    fsck("corrupt");
  }

  @Test
  void aClientThatDisconnectsMidPushLeavesNoRef() throws Exception {
    createRepo("cut");
    byte[] start = receivePackRequest("refs/heads/cut", "PACK\0\0\0\2\0\0\0\5");
    // Promise a megabyte, send the start, hang up.
    rawPost("/git/acme/cut.git/git-receive-pack", start, 1024 * 1024);
    // The repository still takes a normal push afterwards, and only that push left a ref.
    Path w = dir.resolve("cut-w");
    ok(dir, "clone", "-q", url(write, "acme", "cut"), w.toString());
    commit(w, "a.txt", "a\n");
    ok(w, "push", "-q", "origin", "HEAD:main");
    String refs = git(bare("cut"), "for-each-ref", "--format=%(refname)").output().trim();
    assertEquals("refs/heads/main", refs);
    fsck("cut");
  }

  /** A receive-pack request creating {@code ref} at a made-up commit, followed by {@code pack}. */
  private static byte[] receivePackRequest(String ref, String pack) {
    String create = "0".repeat(40) + " " + "1234567890".repeat(4) + " " + ref + "\0report-status\n";
    return concat(pkt(create), "0000".getBytes(), pack.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  private static byte[] pkt(String line) {
    return (String.format("%04x", line.length() + 4) + line).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * POSTs {@code body} with a declared length of {@code declared} over a raw socket: when the
   * declared length is longer, the connection closes mid-body. Returns the status, or -1.
   */
  private static int rawPost(String path, byte[] body, int declared) throws IOException {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      String auth = java.util.Base64.getEncoder().encodeToString(("x:" + write).getBytes());
      String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + auth
          + "\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: " + declared
          + "\r\nConnection: close\r\n\r\n";
      s.getOutputStream().write(head.getBytes());
      s.getOutputStream().write(body);
      s.getOutputStream().flush();
      if (declared > body.length) {
        return -1;
      }
      String reply = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
      return Integer.parseInt(reply.substring(9, 12));
    }
  }

  static Api.Response waitForRef(String repo, String ref, String id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    Api.Response r;
    do {
      r = api.get("/api/v1/tenants/acme/repos/" + repo, read);
      if (r.status() == 200 && r.json().get("refs").has(ref) && r.json().get("refs").get(ref).asText().equals(id)) {
        return r;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError(ref + " never became " + id + ": " + r.body());
  }
}
