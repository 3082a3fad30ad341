package dev.devflow.actors.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.audit.AuditEntry;
import dev.devflow.persistence.audit.AuditQuery;
import dev.devflow.persistence.audit.AuditStore;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import dev.devflow.persistence.secrets.SecretStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cascade of sources behind a job's secrets on a real PostgreSQL and a 1Password Connect test
 * server: who wins, what a provider failure does with and without fallback, and the audit of reads.
 */
class TieredSecretsTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static SecretStore store;
  static AuditStore audit;
  static OnePasswordConnectServer onePassword;
  static Path envFile;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    Keyring keys = new Keyring(List.of(MasterKey.generate()));
    store = new SecretStore(db, () -> keys);
    store.checkKeys();
    audit = new AuditStore(db);
    onePassword = OnePasswordConnectServer.start("op");
    onePassword.vault("system").item("SHARED", OnePasswordConnectServer.Field.password("from-1password"));
    envFile = home.resolve("secrets.env");
    Files.writeString(envFile, "SHARED=from-dotenv\nDOTENV_ONLY=dotenv\n");
  }

  @AfterAll
  static void stop() throws Exception {
    onePassword.close();
    db.close();
    pg.close();
  }

  static TieredSecrets tiers(URI connect, boolean fallback) {
    OnePasswordConnect client = new OnePasswordConnect(connect, "op", Duration.ofSeconds(2), Duration.ZERO);
    Map<String, String> env = SecretSources.fromEnvironment(
        Map.of("DEVFLOW_SECRET_SHARED", "from-env", "DEVFLOW_SECRET_ENV_ONLY", "env", "PATH", "/bin"),
        "DEVFLOW_SECRET_");
    return new TieredSecrets(new SecretSources(Map.of("SHARED", "from-config", "CONFIG_ONLY", "config"), env,
        envFile, client, "system", "", fallback), store, audit);
  }

  @Test
  void eachSourceOverridesTheWeakerOnesAndTheRepositoryWinsOverall() {
    TieredSecrets tiers = tiers(onePassword.url(), false);
    assertEquals(Map.of("SHARED", "from-1password", "DOTENV_ONLY", "dotenv", "ENV_ONLY", "env", "CONFIG_ONLY",
        "config"), tiers.system(), "1Password > .env > environment > configuration; PATH is no secret");
    store.put("acme", "", "SHARED", "tenant", "t");
    store.put("acme", "web", "SHARED", "repo", "t");
    assertEquals("repo", tiers.forJob("acme", "web", "acme/web/1/build#1").get("SHARED"));
    assertEquals("tenant", tiers.forJob("acme", "api", "acme/api/1/build#1").get("SHARED"));
    store.put("acme", "cased", "shared", "lower-case repo", "t");
    Map<String, String> cased = tiers.forJob("acme", "cased", "acme/cased/1/build#1");
    assertEquals("lower-case repo", cased.get("shared"), "names compare ignoring case, as in GitHub");
    assertEquals(null, cased.get("SHARED"), "the farther tier's SHARED gives way to the nearer shared");
    List<AuditEntry> reads = audit.read("acme", new AuditQuery("secret.read", null, "repos/web/", null, null, null,
        null, 100));
    assertEquals(4, reads.size(), "one entry per secret the job received: " + reads);
    assertTrue(reads.stream().allMatch(e -> e.actorName().equals("acme/web/1/build#1")));
  }

  @Test
  void aProviderFailureFailsUnlessFallbackIsConfigured() throws Exception {
    URI down;
    try (OnePasswordConnectServer gone = OnePasswordConnectServer.start("op")) {
      down = gone.url();
    }
    SecretProviderException e =
        assertThrows(SecretProviderException.class, () -> tiers(down, false).forJob("acme", "web", "j#1"));
    assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
    assertEquals("from-dotenv", tiers(down, true).system().get("SHARED"),
        "with fallback-on-error the next source down answers");
  }
}
