package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;

/** Shared pieces of the event feed tests: waiting, repos, git pushes, heap counts. */
final class FeedFixtures {

  private FeedFixtures() {}

  interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls {@code condition} until it holds; fails after {@code seconds}. */
  static void await(String what, int seconds, Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + seconds + " s");
      }
      Thread.sleep(50);
    }
  }

  static void createRepo(Api api, String tenant, String token, String name) throws Exception {
    Api.Response r = api.post("/api/v1/tenants/" + tenant + "/repos", token, "{\"name\":\"" + name + "\"}");
    assertEquals(201, r.status(), "create repo " + name + ": " + r.body());
  }

  static void deleteRepo(Api api, String tenant, String adminToken, String name) throws Exception {
    Api.Response r = api.call("DELETE", "/api/v1/tenants/" + tenant + "/repos/" + name, adminToken, null);
    assertEquals(204, r.status(), "delete repo " + name + ": " + r.body());
  }

  /** Git with the settings of GitInteropTest (no credential helper, no prompts). */
  static String git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
        "-c", "credential.helper=", "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    Files.createDirectories(cwd);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.environment().put("GIT_ASKPASS", "");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "git " + String.join(" ", args));
    assertEquals(0, p.exitValue(), "git " + String.join(" ", args) + ":\n" + out);
    return out;
  }

  static String gitUrl(String baseUrl, String token, String tenant, String repo) {
    return baseUrl.replace("http://", "http://x:" + token + "@") + "/git/" + tenant + "/" + repo + ".git";
  }

  /** Clones into {@code work} if needed, commits one file there; returns the commit id (not pushed). */
  static String commit(Path work, String url, String file, String content, String message) throws Exception {
    if (!Files.isDirectory(work.resolve(".git"))) {
      git(work.getParent(), "clone", "-q", url, work.toString());
    }
    Files.createDirectories(work.resolve(file).getParent());
    Files.writeString(work.resolve(file), content);
    git(work, "add", file);
    git(work, "commit", "-q", "-m", message);
    return git(work, "rev-parse", "HEAD").trim();
  }

  static void push(Path work) throws Exception {
    git(work, "push", "-q", "origin", "HEAD:main");
  }

  /**
   * Live instances per class in this JVM after a full GC (the {@code GC.class_histogram}
   * diagnostic command), for the given fully qualified class names.
   */
  static Map<String, Long> liveInstances(String... classNames) throws Exception {
    String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, Long> out = new HashMap<>();
    for (String c : classNames) {
      out.put(c, 0L);
    }
    for (String line : histogram.split("\n")) {
      String[] f = line.trim().split("\\s+");
      // "  num:  #instances  #bytes  class name (module)"
      if (f.length >= 4 && f[0].endsWith(":") && out.containsKey(f[3])) {
        out.put(f[3], Long.parseLong(f[1]));
      }
    }
    return out;
  }
}
