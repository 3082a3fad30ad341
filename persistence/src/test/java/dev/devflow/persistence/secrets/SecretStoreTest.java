package dev.devflow.persistence.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.SystemPostgres;
import dev.devflow.persistence.webhook.Webhook;
import dev.devflow.persistence.webhook.WebhookStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Secret values at rest on a real PostgreSQL (the machine's 15, so its pg_dump can dump it):
 * encrypted, bound to their row, tiers, a wrong key refused, online rotation.
 */
class SecretStoreTest {

  static SystemPostgres pg;
  static final AtomicInteger DATABASES = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(SystemPostgres.available(), "PostgreSQL 15 client tools are not installed");
    pg = SystemPostgres.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  /** Each test its own database: the active master key is cluster-wide state. */
  record Fixture(String name, Database db) implements AutoCloseable {
    @Override
    public void close() {
      db.close();
    }
  }

  static Fixture fresh() throws Exception {
    String name = "secrets" + DATABASES.incrementAndGet();
    return new Fixture(name, pg.newDatabase(name));
  }

  static SecretStore store(Database db, Keyring keys) {
    SecretStore s = new SecretStore(db, () -> keys);
    s.checkKeys();
    return s;
  }

  @Test
  void theNearestTierWins() throws Exception {
    try (Fixture f = fresh()) {
      SecretStore s = store(f.db(), new Keyring(List.of(MasterKey.generate())));
      assertTrue(s.put("acme", "", "TOKEN", "tenant-value", "tok1"));
      assertTrue(s.put("acme", "", "ONLY_TENANT", "t", "tok1"));
      assertTrue(s.put("acme", "web", "TOKEN", "repo-value", "tok2"));
      assertFalse(s.put("acme", "web", "TOKEN", "repo-value-2", "tok2"), "a second put replaces");
      assertEquals(Map.of("TOKEN", "repo-value-2", "ONLY_TENANT", "t"), s.values("acme", "web"));
      assertEquals(Map.of("TOKEN", "tenant-value", "ONLY_TENANT", "t"), s.values("acme", "api"));
      assertEquals(Map.of(), s.values("other", "web"), "another tenant sees nothing");
      assertEquals(List.of("ONLY_TENANT", "TOKEN", "TOKEN"), s.list("acme").stream().map(SecretInfo::name).toList());
      assertEquals(List.of("", "", "web"), s.list("acme").stream().map(SecretInfo::repo).toList());
      assertEquals("tok2", s.list("acme", "web").get(2).updatedBy());
      assertTrue(s.delete("acme", "web", "TOKEN"));
      assertFalse(s.delete("acme", "web", "TOKEN"));
      assertEquals("tenant-value", s.values("acme", "web").get("TOKEN"));
    }
  }

  @Test
  void noClearValueInTheRowsOrInPgDump() throws Exception {
    try (Fixture f = fresh()) {
      SecretStore s = store(f.db(), new Keyring(List.of(MasterKey.generate())));
      String value = "s3cr3t-Value-" + System.nanoTime();
      s.put("acme", "", "API_KEY", value, "tok1");
      s.put("acme", "web", "DB_PASSWORD", value + "-repo", "tok1");
      List<String> forms = List.of(value, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)),
          HexFormat.of().formatHex(value.getBytes(StandardCharsets.UTF_8)), URLEncoder.encode(value, StandardCharsets.UTF_8));
      StringBuilder rows = new StringBuilder();
      try (Connection c = f.db().dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT s::text FROM secret s")) {
        while (rs.next()) {
          rows.append(rs.getString(1)).append('\n');
        }
      }
      String dump = pg.dump(f.name());
      assertTrue(dump.contains("API_KEY") && dump.contains("DB_PASSWORD"), "the dump has the rows");
      for (String form : forms) {
        assertFalse(rows.toString().contains(form), "row text contains " + form);
        assertFalse(dump.contains(form), "pg_dump contains " + form);
      }
      assertEquals(value, s.values("acme", "api").get("API_KEY"));
    }
  }

  @Test
  void webhookSigningSecretsAreSealedIncludingThoseStoredInClearBefore() throws Exception {
    try (Fixture f = fresh()) {
      SecretStore s = store(f.db(), new Keyring(List.of(MasterKey.generate())));
      WebhookStore hooks = new WebhookStore(f.db(), s);
      hooks.put("acme", "new", "http://x/1", List.of(), "new-signing-secret");
      try (Connection c = f.db().dataSource().getConnection(); Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO webhook (tenant, name, url, types, secret, cursor_id, created_at, updated_at) "
            + "VALUES ('acme', 'old', 'http://x/2', '', 'old-clear-secret', 0, now(), now())");
      }
      assertEquals("old-clear-secret", hooks.get("acme", "old").orElseThrow().secret(), "readable before sealing");
      assertEquals(1, hooks.sealClearSecrets());
      assertEquals(0, hooks.sealClearSecrets());
      assertEquals(List.of("new-signing-secret", "old-clear-secret"),
          hooks.list("acme").stream().map(Webhook::secret).toList());
      String dump = pg.dump(f.name());
      assertFalse(dump.contains("new-signing-secret") || dump.contains("old-clear-secret"));
      assertEquals(List.of(), s.list("acme"), "signing secrets are not tenant secrets");
      assertEquals(Map.of(), s.values("acme", "web"), "nor given to jobs");
      hooks.delete("acme", "new");
      assertEquals(1, s.rowsPerKey().values().stream().mapToInt(Integer::intValue).sum(),
          "deleting the webhook deletes its secret; the old one's remains");
    }
  }

  @Test
  void aCiphertextCopiedToAnotherRowDoesNotDecrypt() throws Exception {
    try (Fixture f = fresh()) {
      SecretStore s = store(f.db(), new Keyring(List.of(MasterKey.generate())));
      s.put("acme", "", "A", "value-a", "tok");
      s.put("other", "", "A", "value-b", "tok");
      try (Connection c = f.db().dataSource().getConnection(); Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE secret SET nonce = a.nonce, ciphertext = a.ciphertext FROM secret a "
            + "WHERE a.tenant = 'acme' AND secret.tenant = 'other'");
      }
      SecretDecryptionException e = assertThrows(SecretDecryptionException.class, () -> s.values("other", "x"));
      assertFalse(e.getMessage().contains("value-a"), e.getMessage());
      assertEquals("value-a", s.values("acme", "x").get("A"));
    }
  }

  @Test
  void aNodeWithAnotherKeyRefusesAndChangesNothing() throws Exception {
    try (Fixture f = fresh()) {
      Keyring right = new Keyring(List.of(MasterKey.generate()));
      store(f.db(), right).put("acme", "", "A", "value", "tok");
      Keyring wrong = new Keyring(List.of(MasterKey.generate()));
      SecretStore other = new SecretStore(f.db(), () -> wrong);
      MasterKeyMismatchException e = assertThrows(MasterKeyMismatchException.class, other::checkKeys);
      assertTrue(e.getMessage().contains(right.newest().id()), e.getMessage());
      assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
      assertEquals(Map.of(right.newest().id(), 1), store(f.db(), right).rowsPerKey());
      assertEquals("value", store(f.db(), right).values("acme", "").get("A"));
    }
  }

  @Test
  void rotationReencryptsEverythingWhileWritesGoOn() throws Exception {
    try (Fixture f = fresh()) {
      Keyring old = new Keyring(List.of(MasterKey.generate()));
      SecretStore node = store(f.db(), old);
      for (int i = 0; i < 450; i++) {
        node.put("t" + (i % 7), i % 2 == 0 ? "" : "r" + (i % 3), "S" + i, "value-" + i, "tok");
      }
      Keyring rotated = old.withNewest(MasterKey.generate());
      // A node that keeps writing with its keyring source answering the new keyring once it is
      // there (what the key file does), while another process rotates.
      AtomicBoolean keyFileUpdated = new AtomicBoolean();
      SecretStore writer = new SecretStore(f.db(), () -> keyFileUpdated.get() ? rotated : old);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger written = new AtomicInteger();
      Thread writes = new Thread(() -> {
        while (!stop.get()) {
          int n = written.getAndIncrement();
          writer.put("live", "", "W" + n, "live-" + n, "tok");
        }
      });
      writes.start();
      Thread.sleep(100);
      keyFileUpdated.set(true);
      int moved = new SecretStore(f.db(), () -> rotated).rotate(rotated);
      stop.set(true);
      writes.join();
      assertTrue(moved >= 450, "re-encrypted " + moved);
      assertEquals(Map.of(rotated.newest().id(), 450 + written.get()), node.rowsPerKey(),
          "every value, including those written during the rotation, is under the new key");
      SecretStore onlyNew = store(f.db(), new Keyring(List.of(rotated.newest())));
      assertEquals("value-449", onlyNew.values("t1", "r2").get("S449"));
      assertEquals("live-0", onlyNew.values("live", "").get("W0"));
      assertThrows(MasterKeyMismatchException.class, () -> new SecretStore(f.db(), () -> old).checkKeys(),
          "the old key alone no longer starts a node");
    }
  }
}
