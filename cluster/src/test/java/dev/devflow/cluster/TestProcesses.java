package dev.devflow.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts the {@code devflow} command as a real process (the test class path, 256 MiB heap). */
final class TestProcesses {

  private TestProcesses() {}

  /** Output goes to {@code out}, errors to {@code out + ".err"}; DEVFLOW_* comes only from env. */
  static Process devflow(Map<String, String> env, Path out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectOutput(out.toFile());
    pb.redirectError(Path.of(out + ".err").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("DEVFLOW_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  static String stderr(Path out) throws IOException {
    return Files.readString(Path.of(out + ".err"));
  }

  static void waitReady(int port, Process p, Path out) throws Exception {
    Api api = new Api("http://127.0.0.1:" + port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("node exited " + p.exitValue() + ": " + stderr(out) + Files.readString(out));
      }
      try {
        if (api.get("/health/ready", null).status() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    p.destroyForcibly();
    throw new AssertionError("node never became ready: " + Files.readString(out));
  }
}
