package dev.devflow.actors.runtime.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Blocking helpers of an instance's start and end: ports, environment, work dirs, diagnosis. Stateless. */
public final class Launch {

  /** Taken from the node's environment unless the spec sets them. */
  static final List<String> INHERITED = List.of("PATH", "HOME", "LANG");

  private Launch() {}

  /** {@code preferred} when it is free (an instance keeps its port over restarts), else any free port. */
  public static int freePort(int preferred) throws IOException {
    if (preferred > 0) {
      try (ServerSocket s = new ServerSocket(preferred, 1, InetAddress.getByName("0.0.0.0"))) {
        return s.getLocalPort();
      } catch (IOException e) {
        // taken: pick another
      }
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
      return s.getLocalPort();
    }
  }

  /** The node's PATH, HOME and LANG, then the spec's env, then PORT. */
  public static Map<String, String> environment(Map<String, String> specEnv, int port) {
    Map<String, String> env = new HashMap<>();
    for (String name : INHERITED) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.putAll(specEnv);
    env.put("PORT", String.valueOf(port));
    return env;
  }

  /** Deletes {@code dir} and everything in it, without following links. Missing is fine. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Why an app that did not answer health checks in time did not, as far as /proc tells. */
  public static String healthTimeout(long pgid, int port, String path, int seconds) {
    String what = "no answer below 500 from GET " + path + " on $PORT (" + port + ") within " + seconds + " s";
    Set<Integer> ports = ListeningPorts.ofGroup(pgid);
    if (ports.isEmpty()) {
      return what + "; the app does not listen on any TCP port";
    }
    if (!ports.contains(port)) {
      Integer first = ports.iterator().next();
      return what + ": it listens on port " + (ports.size() == 1 ? String.valueOf(first) : ports.toString())
          + ", but must listen on $PORT (" + port + ")";
    }
    return what + "; it listens on that port but answers too slowly or with errors";
  }

  /** " last output: a | b | c" or " (no output)". */
  public static String lastOutput(List<String> lines) {
    return lines.isEmpty() ? "; no output" : "; last output: " + String.join(" | ", lines);
  }
}
