package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.devflow.agents.llm.LlmSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration layering and the errors a user sees for bad settings. */
class NodeConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsNeedNoConfiguration() {
    NodeSettings s = NodeSettings.from(NodeConfig.load(Map.of(), null, Map.of()));
    assertEquals(8080, s.httpPort());
    assertEquals(Set.of("api", "core", "runner", "runtime"), s.roles());
    assertTrue(s.embeddedDatabase());
    assertEquals(10L * 1024 * 1024, s.maxBodyBytes());
    assertEquals(Duration.ofMillis(500), s.tokenCacheTtl());
    assertTrue(s.home().isAbsolute());
  }

  @Test
  void commandLineBeatsTheConfigFileWhichBeatsDefaults() throws Exception {
    Path file = dir.resolve("devflow.conf");
    Files.writeString(file, "devflow.http.port = 9000\ndevflow.cluster.roles = \"api,core\"\n");
    Config c = NodeConfig.load(Map.of("devflow.http.port", 9100), file, Map.of());
    NodeSettings s = NodeSettings.from(c);
    assertEquals(9100, s.httpPort());
    assertEquals(Set.of("api", "core"), s.roles());
  }

  @Test
  void seedsAndRolesAreParsed() {
    NodeSettings s =
        NodeSettings.from(
            NodeConfig.load(
                Map.of("devflow.cluster.seeds", "10.0.0.1:2552, node-b:2553", "devflow.cluster.roles", "core"),
                null,
                Map.of()));
    assertEquals(List.of("10.0.0.1:2552", "node-b:2553"), s.seeds());
    assertEquals(Set.of("core"), s.roles());
  }

  @Test
  void theSettingsReachPekko() {
    Config c = NodeConfig.load(Map.of("devflow.cluster.port", 2999, "devflow.db.url", "jdbc:postgresql://db/x"), null, Map.of());
    assertEquals(2999, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("jdbc:postgresql://db/x", c.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
    assertEquals("jdbc-journal", c.getString("pekko.persistence.journal.plugin"));
    assertEquals(10L * 1024 * 1024, c.getBytes("pekko.http.server.parsing.max-content-length"));
  }

  @Test
  void theLlmBlockHasDefaultsAndOpenTenantAndPriceMaps() throws Exception {
    LlmSettings defaults = LlmSettings.fromConfig(NodeConfig.load(Map.of(), null, Map.of()).getConfig("devflow.llm"));
    assertEquals(LlmSettings.unconfigured().defaults().model(), defaults.defaults().model());
    assertEquals(Duration.ofSeconds(120), defaults.timeout());

    Path file = dir.resolve("llm.conf");
    Files.writeString(file, """
        devflow.llm {
          base-url = "http://ollama:11434/v1"
          prices { "gpt-4.1-mini" { input-per-million = 0.4, output-per-million = 1.6 } }
          tenants { acme { model = "llama3.1", monthly-budget-usd = 20 } }
        }
        """);
    LlmSettings s = LlmSettings.fromConfig(NodeConfig.load(Map.of(), file, Map.of()).getConfig("devflow.llm"));
    assertTrue(s.endpoint("acme").configured());
    assertEquals("llama3.1", s.endpoint("acme").model());
    assertEquals(20, s.endpoint("acme").monthlyBudgetUsd());
    assertEquals(2.0, s.cost("gpt-4.1-mini", 0, 1_250_000), 1e-9);
  }

  @Test
  void unknownKeysAreRefusedByName() throws Exception {
    Path file = dir.resolve("typo.conf");
    Files.writeString(file, "devflow.http.prot = 9000\n");
    var e = assertThrows(NodeConfig.InvalidConfigException.class, () -> NodeConfig.load(Map.of(), file, Map.of()));
    assertTrue(e.getMessage().contains("devflow.http.prot"), e.getMessage());
  }

  @Test
  void corruptFilesAndWrongTypesAreClearErrors() throws Exception {
    Path corrupt = dir.resolve("corrupt.conf");
    Files.writeString(corrupt, "devflow { http { port = \n");
    assertThrows(NodeConfig.InvalidConfigException.class, () -> NodeConfig.load(Map.of(), corrupt, Map.of()));
    Path wrongType = dir.resolve("wrong.conf");
    Files.writeString(wrongType, "devflow.http.port = eighty\n");
    var e = assertThrows(
        RuntimeException.class, () -> NodeSettings.from(NodeConfig.load(Map.of(), wrongType, Map.of())));
    assertTrue(e.getMessage().contains("port"), e.getMessage());
    assertThrows(
        NodeConfig.InvalidConfigException.class, () -> NodeConfig.load(Map.of(), dir.resolve("missing.conf"), Map.of()));
  }

  @Test
  void badRolesAndSeedsAreRefused() {
    var role = assertThrows(
        NodeConfig.InvalidConfigException.class,
        () -> NodeSettings.from(NodeConfig.load(Map.of("devflow.cluster.roles", "api,boss"), null, Map.of())));
    assertTrue(role.getMessage().contains("boss"));
    var seed = assertThrows(
        NodeConfig.InvalidConfigException.class,
        () -> NodeSettings.from(NodeConfig.load(Map.of("devflow.cluster.seeds", "nohostport"), null, Map.of())));
    assertTrue(seed.getMessage().contains("nohostport"));
  }

  @Test
  void bootstrapReachesPekkoManagementAndExcludesSeeds() {
    Config c = NodeConfig.load(Map.of("devflow.cluster.bootstrap", "kubernetes-api", "devflow.cluster.host", "10.1.2.3",
        "devflow.cluster.bootstrap-expect", 5, "devflow.cluster.management-port", 7700), null, Map.of());
    NodeSettings s = NodeSettings.from(c);
    assertEquals("kubernetes-api", s.bootstrap().orElseThrow().method());
    assertEquals("10.1.2.3", c.getString("pekko.management.http.hostname"));
    assertEquals(7700, c.getInt("pekko.management.http.port"));
    assertEquals(5, c.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    assertEquals("app.kubernetes.io/name=devflow,app.kubernetes.io/component=node",
        c.getString("pekko.discovery.kubernetes-api.pod-label-selector"));

    var both = assertThrows(NodeConfig.InvalidConfigException.class, () -> NodeSettings.from(NodeConfig.load(
        Map.of("devflow.cluster.bootstrap", "kubernetes-api", "devflow.cluster.seeds", "a:2552"), null, Map.of())));
    assertTrue(both.getMessage().contains("only one"), both.getMessage());
    var unknown = assertThrows(NodeConfig.InvalidConfigException.class, () -> NodeSettings.from(NodeConfig.load(
        Map.of("devflow.cluster.bootstrap", "consul"), null, Map.of())));
    assertTrue(unknown.getMessage().contains("consul"), unknown.getMessage());
  }
}
