package dev.devflow.actors.secrets;

import dev.devflow.actors.runner.JobSecrets;
import dev.devflow.persistence.audit.AuditEntry;
import dev.devflow.persistence.audit.AuditStore;
import dev.devflow.persistence.secrets.SecretStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three tiers a job (later an app) receives, the nearest winning: system, then the tenant's,
 * then the repository's own.
 *
 * <p>System tier, weakest first: configuration, {@code DEVFLOW_SECRET_*} environment variables,
 * the {@code .env} file, a 1Password vault — so 1Password overrides .env overrides the
 * environment. The tenant tier is DevFlow's encrypted table, overridden by the tenant's 1Password
 * vault when one is configured. A 1Password error fails the job with its message unless
 * {@code fallback-on-error} says to go on without it; it never silently yields weaker values.
 *
 * <p>Every delivery is audited: one {@code secret.read} entry per name, by the job.
 */
public final class TieredSecrets implements JobSecrets {

  private static final Logger log = LoggerFactory.getLogger(TieredSecrets.class);

  private final SecretSources sources;
  private final SecretStore store;
  private final AuditStore audit;

  public TieredSecrets(SecretSources sources, SecretStore store, AuditStore audit) {
    this.sources = sources;
    this.store = store;
    this.audit = audit;
  }

  @Override
  public Map<String, String> forJob(String tenant, String repo, String job) {
    Map<String, String> values = new LinkedHashMap<>(system());
    override(values, store.values(tenant, ""));
    if (!sources.tenantVault().isEmpty()) {
      override(values, vault(sources.tenantVault().replace("{tenant}", tenant)));
    }
    override(values, store.values(tenant, repo));
    List<AuditEntry> reads = new ArrayList<>();
    for (String name : values.keySet()) {
      reads.add(AuditEntry.of(tenant, "job", job, "secret.read", "repos/" + repo + "/secrets/" + name, null, 200));
    }
    audit.append(reads);
    return values;
  }

  /**
   * Puts the nearer tier's values over the others'. Names compare ignoring case, as in GitHub
   * Actions (where {@code secrets.npm_token} is {@code NPM_TOKEN}): a nearer {@code npm_token}
   * replaces a farther {@code NPM_TOKEN} instead of standing beside it.
   */
  private static void override(Map<String, String> values, Map<String, String> nearer) {
    for (Map.Entry<String, String> e : nearer.entrySet()) {
      values.keySet().removeIf(k -> k.equalsIgnoreCase(e.getKey()));
      values.put(e.getKey(), e.getValue());
    }
  }

  /** The system tier alone (names are listed to tenants; values only ever go to jobs). */
  public Map<String, String> system() {
    Map<String, String> values = new LinkedHashMap<>(sources.config());
    override(values, sources.environment());
    if (sources.envFile() != null) {
      override(values, DotEnv.read(sources.envFile()));
    }
    if (!sources.systemVault().isEmpty()) {
      override(values, vault(sources.systemVault()));
    }
    return values;
  }

  private Map<String, String> vault(String name) {
    if (sources.onePassword() == null) {
      throw new SecretProviderException("vault '" + name + "' is configured but 1Password Connect is not "
          + "(devflow.secrets.onepassword.url and token)");
    }
    try {
      return sources.onePassword().vaultSecrets(name);
    } catch (SecretProviderException e) {
      if (!sources.fallbackOnError()) {
        throw e;
      }
      log.warn("{}; going on without it (devflow.secrets.onepassword.fallback-on-error = on)", e.getMessage());
      return Map.of();
    }
  }
}
