package dev.devflow.actors.secrets;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the system tier comes from and what may back the tenant tier, as configured
 * ({@code devflow.secrets}).
 *
 * @param config      {@code devflow.secrets.system { NAME = value }}
 * @param environment variables whose names start with {@code envPrefix}, prefix removed
 * @param envFile     a {@code .env} file, or null
 * @param onePassword the 1Password Connect client, or null when not configured
 * @param systemVault vault whose items are system secrets ("" = none)
 * @param tenantVault vault backing each tenant's tier, {@code {tenant}} replaced ("" = none)
 * @param fallbackOnError on a 1Password error, go on without it (logged) instead of failing the job
 */
public record SecretSources(
    Map<String, String> config, Map<String, String> environment, Path envFile, OnePasswordConnect onePassword,
    String systemVault, String tenantVault, boolean fallbackOnError) {

  public SecretSources {
    config = Map.copyOf(config);
    environment = Map.copyOf(environment);
  }

  /** Only the configured map: no environment, file or 1Password. */
  public static SecretSources configOnly(Map<String, String> config) {
    return new SecretSources(config, Map.of(), null, null, "", "", false);
  }

  /** The process environment's {@code <prefix>NAME} variables as {@code NAME}. */
  public static Map<String, String> fromEnvironment(Map<String, String> env, String prefix) {
    Map<String, String> out = new java.util.TreeMap<>();
    if (!prefix.isEmpty()) {
      env.forEach((k, v) -> {
        if (k.startsWith(prefix) && k.length() > prefix.length()) {
          out.put(k.substring(prefix.length()), v);
        }
      });
    }
    return out;
  }
}
