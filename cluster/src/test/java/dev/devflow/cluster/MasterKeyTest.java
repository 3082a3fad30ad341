package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master key's life on a real node: generated at the first start into a private file, a node
 * with another key (or none) refused without touching anything, and an online rotation by the
 * {@code devflow secrets rotate-master-key} command while the node keeps serving jobs.
 */
class MasterKeyTest {

  @TempDir Path dir;

  /** A node on {@code home} that keeps its key in {@code <home>/master.key}. */
  static Map<String, Object> fileKeyed(Path home) {
    Map<String, Object> o = TestNodes.options(home);
    o.remove("devflow.secrets.master-key");
    return o;
  }

  @Test
  void theFirstStartWritesAPrivateKeyFileAndAnotherKeyIsRefused() throws Exception {
    Path home = dir.resolve("home");
    Path keyFile = home.resolve("master.key");
    try (RunningNode node = TestNodes.start(fileKeyed(home))) {
      Api api = new Api(node.baseUrl());
      String token = api.tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
      assertEquals(204, api.call("PUT", "/api/v1/tenants/acme/secrets/KEPT", token, "{\"value\":\"kept\"}").status());
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    assertEquals(1, Keyring.parse(Files.readString(keyFile)).keys().size());
    byte[] key = Files.readAllBytes(keyFile);

    Map<String, Object> wrong = fileKeyed(home);
    wrong.put("devflow.secrets.master-key", MasterKey.generate().base64());
    Node.StartupException refused = assertThrows(Node.StartupException.class, () -> TestNodes.start(wrong));
    assertTrue(refused.getMessage().contains("does not match") && refused.getMessage().contains("nothing was changed"),
        refused.getMessage());

    Map<String, Object> garbage = fileKeyed(home);
    garbage.put("devflow.secrets.master-key", "not-a-key");
    assertTrue(assertThrows(Node.StartupException.class, () -> TestNodes.start(garbage)).getMessage()
        .contains("is not valid: a master key must be base64"));

    Path moved = dir.resolve("master.key.saved");
    Files.move(keyFile, moved);
    Node.StartupException none = assertThrows(Node.StartupException.class, () -> TestNodes.start(fileKeyed(home)));
    assertTrue(none.getMessage().startsWith("no master key: this database's secrets are encrypted with key"),
        none.getMessage());
    assertTrue(Files.notExists(keyFile), "a node without the key must not make one up for an existing database");
    Files.move(moved, keyFile);

    assertArrayEquals(key, Files.readAllBytes(keyFile), "the refused starts left the key file alone");
    try (RunningNode node = TestNodes.start(fileKeyed(home))) {
      Api api = new Api(node.baseUrl());
      String admin = Files.readString(home.resolve("admin-token")).trim();
      String token = api.token(admin, "acme", "admin");
      assertTrue(api.get("/api/v1/tenants/acme/secrets", token).body().contains("\"KEPT\""));
    }
  }

  @Test
  void rotationReencryptsEverythingWhileTheNodeServes() throws Exception {
    Path home = dir.resolve("home");
    Path keyFile = home.resolve("master.key");
    try (RunningNode node = TestNodes.start(fileKeyed(home))) {
      Api api = new Api(node.baseUrl());
      String token = api.tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
      assertEquals(201, api.post("/api/v1/tenants/acme/repos", token, "{\"name\":\"app\"}").status());
      for (int i = 0; i < 50; i++) {
        assertEquals(204, api.call("PUT", "/api/v1/tenants/acme/secrets/T" + i, token, "{\"value\":\"t" + i + "\"}")
            .status());
      }
      assertEquals(204, api.call("PUT", "/api/v1/tenants/acme/repos/app/secrets/R", token, "{\"value\":\"r\"}").status());
      String oldId = keyring(keyFile).newest().id();

      Path out = dir.resolve("rotate.out");
      Process rotate = TestProcesses.devflow(Map.of(), out, "secrets", "rotate-master-key", "--home", home.toString());
      assertTrue(rotate.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, rotate.exitValue(), TestProcesses.stderr(out) + Files.readString(out));
      assertTrue(Files.readString(out).contains("51 values re-encrypted"), Files.readString(out));

      Keyring now = keyring(keyFile);
      assertEquals(1, now.keys().size(), "the old key is gone from the file once nothing needs it");
      assertNotEquals(oldId, now.newest().id());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
      assertEquals(List.of(now.newest().id() + "=51"), rowsPerKey(node));

      // The running node was never told: it picks the new key up from the file when it meets it.
      assertEquals(204, api.call("PUT", "/api/v1/tenants/acme/secrets/AFTER", token, "{\"value\":\"after\"}").status());
      assertEquals(List.of(now.newest().id() + "=52"), rowsPerKey(node));
      Path work = dir.resolve("work");
      GitInteropTest.ok(dir, "init", "-q", work.toString());
      Files.createDirectories(work.resolve(".devflow/workflows"));
      Files.writeString(work.resolve(".devflow/workflows/ci.yml"), """
          on: push
          jobs:
            check:
              runs-on: linux
              steps:
                - run: test "$T7" = t7 && test "$R" = r && test "$AFTER" = after
                  env:
                    T7: ${{ secrets.T7 }}
                    R: ${{ secrets.R }}
                    AFTER: ${{ secrets.AFTER }}
          """);
      GitInteropTest.ok(work, "add", "-A");
      GitInteropTest.ok(work, "commit", "-q", "-m", "ci");
      GitInteropTest.ok(work, "push", "-q", "http://x:" + token + "@127.0.0.1:" + node.httpPort().join()
          + "/git/acme/app.git", "HEAD:refs/heads/main");
      assertEquals("succeeded", finished(api, token).get("status").asText());
    }
  }

  static Keyring keyring(Path file) throws Exception {
    return Keyring.parse(Files.readString(file));
  }

  static List<String> rowsPerKey(RunningNode node) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = node.database().dataSource().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT key_id, count(*) FROM secret GROUP BY key_id")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "=" + rs.getInt(2));
      }
    }
    return rows;
  }

  static JsonNode finished(Api api, String token) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      Api.Response r = api.get("/api/v1/tenants/acme/repos/app/pipelines/1", token);
      if (r.status() == 200 && (last = r.json()).get("finishedAt") != null) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the pipeline did not finish: " + last);
  }
}
