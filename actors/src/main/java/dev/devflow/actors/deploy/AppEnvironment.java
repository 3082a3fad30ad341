package dev.devflow.actors.deploy;

import dev.devflow.actors.runner.JobSecrets;
import dev.devflow.persistence.apps.AppDatabases;
import dev.devflow.persistence.secrets.SecretStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The environment an app's instances get: {@code DATABASE_URL} of the app's own database (created
 * on the first deploy), then the {@code env:} of the commit's devflow.yml, then the repository's
 * secrets (all three tiers, as a CI job of the repository gets them), then the app's env — a later
 * one wins. The secret values and the
 * database password are masked in the instances' logs.
 */
public final class AppEnvironment {

  /** The env and the values to mask. */
  record Env(Map<String, String> vars, List<String> masked) {}

  private final JobSecrets secrets;
  private final SecretStore store;
  private final AppDatabases databases;
  private final Executor blocking;

  public AppEnvironment(JobSecrets secrets, SecretStore store, AppDatabases databases, Executor blocking) {
    this.secrets = secrets;
    this.store = store;
    this.databases = databases;
    this.blocking = blocking;
  }

  CompletionStage<Env> forRelease(String tenant, String app, String repo, Release r) {
    return CompletableFuture.supplyAsync(() -> {
      Map<String, String> vars = new HashMap<>();
      List<String> masked = new ArrayList<>();
      AppDatabases.AppDatabase db = databases.ensure(tenant, app, store);
      vars.put("DATABASE_URL", db.url());
      masked.add(db.password());
      vars.putAll(r.manifestEnv());
      Map<String, String> s = secrets.forJob(tenant, repo, "app:" + tenant + "/" + app + "#" + r.number());
      vars.putAll(s);
      masked.addAll(s.values());
      vars.putAll(r.env());
      return new Env(Map.copyOf(vars), List.copyOf(masked));
    }, blocking);
  }

  /** Drops the app's database (the app was deleted). */
  CompletionStage<Void> drop(String tenant, String app) {
    return CompletableFuture.runAsync(() -> databases.drop(tenant, app, store), blocking);
  }
}
