package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.util.Map;

/**
 * What an app deploys and how many instances of its {@code web} process run. {@code requireCi}
 * null: deploy only after the push's CI pipelines succeeded when the push starts any (the
 * default); false: deploy every push at once. {@code privateApp}: the router asks for a token.
 */
public record AppConfig(String repo, String branch, int instances, Map<String, String> env, Boolean requireCi,
    boolean privateApp) implements CrossNodeMessage {

  public AppConfig {
    env = env == null ? Map.of() : Map.copyOf(env);
  }

  AppConfig withInstances(int n) {
    return new AppConfig(repo, branch, n, env, requireCi, privateApp);
  }

  AppConfig withEnv(Map<String, String> e) {
    return new AppConfig(repo, branch, instances, e, requireCi, privateApp);
  }
}
