package dev.devflow.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import dev.devflow.actors.secrets.OnePasswordConnect;
import dev.devflow.actors.secrets.SecretSources;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code devflow.secrets { }} settings: the master key (or its file), the system tier's
 * sources, an optional 1Password Connect, and the largest value accepted.
 *
 * @param masterKey    {@code DEVFLOW_MASTER_KEY}: base64 keys, newest first, comma-separated; empty
 *                     = {@code <home>/master.key}
 */
record SecretsConfig(
    String masterKey, Path keyFile, Map<String, String> system, Path envFile, String envPrefix, long maxValueBytes,
    String onePasswordUrl, String onePasswordToken, String systemVault, String tenantVault, boolean fallbackOnError,
    Duration onePasswordTimeout, Duration onePasswordCacheTtl) {

  static SecretsConfig from(Config devflow, Path home) {
    Config c = devflow.getConfig("secrets");
    Map<String, String> system = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getConfig("system").root().entrySet()) {
      system.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    String envFile = c.getString("env-file");
    Config op = c.getConfig("onepassword");
    String url = op.getString("url");
    if (!url.isBlank() && op.getString("token").isBlank()) {
      throw new NodeConfig.InvalidConfigException(
          "devflow.secrets.onepassword.url is set but no token: set devflow.secrets.onepassword.token (OP_CONNECT_TOKEN)");
    }
    if (url.isBlank() && !(op.getString("system-vault").isBlank() && op.getString("tenant-vault").isBlank())) {
      throw new NodeConfig.InvalidConfigException(
          "a 1Password vault is configured but devflow.secrets.onepassword.url (OP_CONNECT_HOST) is not");
    }
    return new SecretsConfig(
        c.getString("master-key").trim(),
        home.resolve("master.key"),
        system,
        envFile.isBlank() ? null : Path.of(envFile).toAbsolutePath().normalize(),
        c.getString("env-prefix"),
        c.getBytes("max-value-size"),
        url,
        op.getString("token"),
        op.getString("system-vault"),
        op.getString("tenant-vault"),
        op.getBoolean("fallback-on-error"),
        op.getDuration("timeout"),
        op.getDuration("cache-ttl"));
  }

  /** The configured sources; a named .env file must exist (a typo must not mean "no secrets"). */
  SecretSources sources() {
    if (envFile != null && !Files.isReadable(envFile)) {
      throw new NodeConfig.InvalidConfigException(
          "devflow.secrets.env-file " + envFile + " does not exist or is not readable");
    }
    OnePasswordConnect onePassword = onePasswordUrl.isBlank() ? null
        : new OnePasswordConnect(URI.create(onePasswordUrl), onePasswordToken, onePasswordTimeout, onePasswordCacheTtl);
    return new SecretSources(system, SecretSources.fromEnvironment(System.getenv(), envPrefix), envFile, onePassword,
        systemVault, tenantVault, fallbackOnError);
  }
}
