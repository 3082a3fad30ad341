package dev.devflow.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code devflow.ci { }} settings: queue leases and retries, per-plan concurrency, the log
 * cap, and this node's runner (used when it has the runner role).
 */
record CiConfig(
    int maxRetries, Duration leaseTimeout, Map<String, Integer> concurrentJobs, long logCap,
    Map<String, String> labelAliases, String runnerName, List<String> runnerLabels, int runnerSlots,
    Path runnerWorkDir, Duration runnerHeartbeat) {

  static CiConfig from(Config devflow, Path home) {
    Config c = devflow.getConfig("ci");
    Map<String, Integer> concurrent = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getConfig("concurrent-jobs").entrySet()) {
      concurrent.put(e.getKey(), ((Number) e.getValue().unwrapped()).intValue());
    }
    Map<String, String> aliases = new LinkedHashMap<>();
    Config aliasConfig = c.getConfig("label-aliases");
    for (Map.Entry<String, ConfigValue> e : aliasConfig.root().entrySet()) {
      aliases.put(e.getKey().toLowerCase(), String.valueOf(e.getValue().unwrapped()).toLowerCase());
    }
    Config r = c.getConfig("runner");
    int slots = r.getInt("slots");
    if (slots < 1) {
      throw new NodeConfig.InvalidConfigException("devflow.ci.runner.slots must be at least 1");
    }
    List<String> labels = Arrays.stream(r.getString("labels").split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    String workDir = r.getString("work-dir");
    String name = r.getString("name");
    return new CiConfig(
        c.getInt("max-retries"),
        c.getDuration("lease-timeout"),
        concurrent,
        c.getBytes("log-cap"),
        aliases,
        name.isBlank() ? defaultName() : name,
        labels,
        slots,
        workDir.isBlank() ? home.resolve("runner") : Path.of(workDir).toAbsolutePath().normalize(),
        r.getDuration("heartbeat"));
  }

  /** Concurrent jobs a tenant on {@code plan} may run. */
  int limitFor(String plan) {
    return concurrentJobs.getOrDefault(plan, concurrentJobs.getOrDefault("free", 2));
  }

  private static String defaultName() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "runner";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
