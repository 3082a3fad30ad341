package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code devflow} command as a real process: start-up failures are one line and exit code 2,
 * SIGTERM and SIGINT stop the node and its embedded PostgreSQL, and a node killed with kill -9
 * starts again on the same home with nothing acknowledged lost.
 */
class ProcessTest {

  @TempDir Path dir;

  private Process devflow(Path out, String... args) throws IOException {
    return TestProcesses.devflow(Map.of(), out, args);
  }

  private Process devflow(Map<String, String> env, Path out, String... args) throws IOException {
    return TestProcesses.devflow(env, out, args);
  }

  private static String stderr(Path out) throws IOException {
    return TestProcesses.stderr(out);
  }

  private static void assertOneLineError(Path out, String expected) throws IOException {
    String err = stderr(out).strip();
    assertTrue(err.startsWith("devflow: "), err);
    assertTrue(err.contains(expected), err);
    assertEquals(1, err.lines().count(), "one line, no stack trace: " + err);
  }

  @Test
  void unreachableDatabaseIsOneLineWithTheUrlMaskedAndExitCode2() throws Exception {
    Path out = dir.resolve("db.out");
    Process p = devflow(out, "node", "--home", dir.resolve("h").toString(), "--http-port", "0",
        "--cluster-port", "0", "--db-url", "jdbc:postgresql://127.0.0.1:1/devflow?password=s3cret");
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertOneLineError(out, "jdbc:postgresql://127.0.0.1:1/devflow?password=***");
    assertFalse(stderr(out).contains("s3cret"));
  }

  @Test
  void portInUseIsAClearErrorWithExitCode2() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      Path out = dir.resolve("port.out");
      Process p = devflow(out, "start", "--home", dir.resolve("h").toString(), "--port",
          Integer.toString(taken.getLocalPort()));
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
      assertOneLineError(out, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void environmentVariablesReachTheConfiguration() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      Path out = dir.resolve("env.out");
      Process p = devflow(
          Map.of("DEVFLOW_HTTP_PORT", Integer.toString(taken.getLocalPort()), "DEVFLOW_HOME", dir.resolve("envhome").toString()),
          out, "start");
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
      assertOneLineError(out, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
    Path conf = dir.resolve("env.conf");
    Files.writeString(conf, "devflow.http.bogus = 1\n");
    Path out = dir.resolve("envconf.out");
    Process p = devflow(Map.of("DEVFLOW_CONFIG", conf.toString()), out, "start", "--home", dir.resolve("h2").toString());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertOneLineError(out, "devflow.http.bogus");
  }

  @Test
  void unknownConfigKeyIsAClearErrorWithExitCode2() throws Exception {
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, "devflow.htp.port = 1\n");
    Path out = dir.resolve("conf.out");
    Process p = devflow(out, "start", "--home", dir.resolve("h").toString(), "--config", conf.toString());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertOneLineError(out, "devflow.htp.port");
  }

  @Test
  void sigtermAndSigintStopTheNodeAndItsDatabase() throws Exception {
    Path home = dir.resolve("home");
    for (String signal : List.of("TERM", "INT")) {
      int port = TestNodes.freePort();
      Path out = dir.resolve("sig-" + signal + ".out");
      Process p = devflow(out, "start", "--home", home.toString(), "--port", Integer.toString(port));
      waitReady(port, p, out);
      long postgres = postmasterPid(home);
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s after SIG" + signal);
      assertEquals(0, p.exitValue(), stderr(out));
      assertFalse(Files.exists(home.resolve("pgdata/postmaster.pid")), "PostgreSQL shut down cleanly");
      // pg_ctl returns once the pid file is gone, a moment before the postmaster process ends.
      ProcessHandle.of(postgres).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
    }
  }

  @Test
  void killMinus9LosesNothingAcknowledged() throws Exception {
    Path home = dir.resolve("home9");
    int port = TestNodes.freePort();
    Path out = dir.resolve("k1.out");
    Process p = devflow(out, "start", "--home", home.toString(), "--port", Integer.toString(port));
    waitReady(port, p, out);
    Api api = new Api("http://127.0.0.1:" + port);
    String admin = Files.readString(home.resolve("admin-token")).trim();
    String token = api.tenantWithToken(admin, "acme", "write");
    assertEquals(200, api.call("PATCH", "/api/v1/tenants/acme", admin, "{\"plan\":\"enterprise\"}").status());
    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    Path out2 = dir.resolve("k2.out");
    Process again = devflow(out2, "start", "--home", home.toString(), "--port", Integer.toString(port));
    try {
      waitReady(port, again, out2);
      Api.Response r = api.get("/api/v1/tenants/acme", token);
      assertEquals(200, r.status(), r.body());
      assertEquals("enterprise", r.json().get("plan").asText());
    } finally {
      again.destroy();
      again.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static long postmasterPid(Path home) throws IOException {
    return Long.parseLong(Files.readAllLines(home.resolve("pgdata/postmaster.pid")).get(0).trim());
  }

  private static void waitReady(int port, Process p, Path out) throws Exception {
    TestProcesses.waitReady(port, p, out);
  }
}
