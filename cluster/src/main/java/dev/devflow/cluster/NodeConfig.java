package dev.devflow.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a node's configuration from its layers and refuses what it does not know.
 *
 * <p>Precedence, highest first: command-line options, {@code -D} system properties, the {@code
 * --config} file, {@code DEVFLOW_*} environment variables (the {@code ${?…}} lines of
 * devflow.conf), defaults. A key under {@code devflow} that no default declares is an error: a
 * misspelt setting would otherwise be silently ignored.
 */
public final class NodeConfig {

  private NodeConfig() {}

  /** A configuration problem, reported to the user as one line. */
  public static final class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String message) {
      super(message);
    }
  }

  /**
   * @param options   dotted keys from the command line (highest precedence)
   * @param configFile optional HOCON file given with --config
   * @param runtime   values only known at run time (the embedded database's URL), above all
   */
  public static Config load(Map<String, Object> options, Path configFile, Map<String, Object> runtime) {
    try {
      Config defaults = ConfigFactory.parseResources("application.conf");
      Config file = ConfigFactory.empty();
      if (configFile != null) {
        if (!Files.isRegularFile(configFile)) {
          throw new InvalidConfigException("config file " + configFile + " does not exist");
        }
        file = ConfigFactory.parseFile(configFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        rejectUnknownKeys(file, defaults.withFallback(ConfigFactory.defaultReference()));
      }
      Config cli = ConfigFactory.parseMap(options, "command line");
      rejectUnknownKeys(cli, defaults);
      return ConfigFactory.parseMap(runtime, "runtime")
          .withFallback(cli)
          .withFallback(ConfigFactory.systemProperties())
          .withFallback(file)
          .withFallback(defaults)
          .withFallback(ConfigFactory.defaultReference())
          .resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException("invalid configuration: " + e.getMessage());
    }
  }

  private static void rejectUnknownKeys(Config given, Config known) {
    if (!given.hasPath("devflow")) {
      return;
    }
    Set<String> unknown = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : given.getConfig("devflow").entrySet()) {
      String key = "devflow." + e.getKey();
      // Maps whose keys are open by design: kryo ids (extended by modules), system secrets, label
      // aliases, and the LLM price table and tenant overrides (named by users).
      if (!known.hasPathOrNull(key) && !key.startsWith("devflow.serialization.")
          && !key.startsWith("devflow.secrets.system.") && !key.startsWith("devflow.ci.label-aliases.")
          && !key.startsWith("devflow.llm.prices.") && !key.startsWith("devflow.llm.tenants.")) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new InvalidConfigException("unknown configuration key(s): " + String.join(", ", unknown));
    }
  }
}
