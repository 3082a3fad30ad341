package dev.devflow.bench;

import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.deploy.AppEndpoints;
import dev.devflow.actors.deploy.Endpoint;
import dev.devflow.actors.deploy.RouteTable;
import dev.devflow.http.AppRouter;
import dev.devflow.http.AuditLog;
import dev.devflow.http.AuthFailureLimit;
import dev.devflow.http.AuthFailures;
import dev.devflow.http.Authenticator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The app router's cost: requests per second and latency percentiles of {@code GET /} straight to
 * one app process (a Node.js http server answering "ok") against the same through the router
 * ({@code /apps/bench/app/}), in-process with its RouteTable. Same client (raw sockets, HTTP/1.1
 * keep-alive, closed loop, buffered reads), same run, order alternated between rounds. The client
 * runs in a JVM of its own (this class with {@code client} as first argument), so that the router's
 * JVM holds only the router: its CPU time per request is measured apart from the client's, and so
 * is the app's. Arguments: seconds per run (default 10), rounds (default 2), router warm-up
 * seconds (default 20). Prints a Markdown table.
 */
public final class RouterBench {

  private static final int[] CONNECTIONS = {1, 32};

  record Result(String via, int connections, long requests, double seconds, long p50, long p99, long errors) {
    String line() {
      return String.join(" ", via, "" + connections, "" + requests, "" + seconds, "" + p50, "" + p99, "" + errors);
    }

    static Result parse(String line) {
      String[] f = line.trim().split(" ");
      return new Result(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), Double.parseDouble(f[3]),
          Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]));
    }
  }

  /** A run with the CPU time the router's JVM and the app's process spent in it. */
  record Measured(Result r, long routerCpuNanos, long appCpuNanos) {
    String row() {
      return String.format("| %s | %d | %,.0f | %.3f | %.3f | %d | %.0f | %.0f |",
          r.via, r.connections, r.requests / r.seconds, r.p50 / 1e6, r.p99 / 1e6, r.errors,
          r.requests == 0 ? 0 : routerCpuNanos / 1e3 / r.requests, r.requests == 0 ? 0 : appCpuNanos / 1e3 / r.requests);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("client")) {
      // port path connections seconds: one second of warm-up (the client's JIT), then the run.
      int port = Integer.parseInt(args[1]);
      int connections = Integer.parseInt(args[3]);
      run(args[2], port, args[2], connections, 1);
      System.out.println(run(args[2], port, args[2], connections, Integer.parseInt(args[4])).line());
      return;
    }
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Path dir = Files.createTempDirectory("router-bench");
    Files.writeString(dir.resolve("server.js"), """
        const http = require('http');
        const server = http.createServer((req, res) => {
          res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': 2});
          res.end('ok');
        });
        server.keepAliveTimeout = 60000;
        server.listen(0, '127.0.0.1', () => console.log(server.address().port));
        """);
    Process node = new ProcessBuilder("node", "server.js").directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    ActorSystem<Void> system = null;
    try {
      int appPort = Integer.parseInt(
          new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8)).readLine().trim());
      system = ActorSystem.create(Behaviors.empty(), "router-bench", ConfigFactory.parseString("""
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical.hostname = 127.0.0.1
          pekko.remote.artery.canonical.port = 0
          pekko.loglevel = WARNING
          pekko.http.server.remote-address-attribute = on
          """).withFallback(ConfigFactory.load()));
      RouteTable table = new RouteTable();
      table.update("bench", "app", new AppEndpoints(List.of(new Endpoint("127.0.0.1", appPort)), false, 1));
      Authenticator auth = new Authenticator(system, () -> "", Duration.ofMillis(500), Duration.ofSeconds(5),
          new AuthFailures(new AuthFailureLimit(100, Duration.ofMinutes(1), Duration.ofSeconds(10))),
          new AuditLog(null, Runnable::run));
      ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
          .bind(new AppRouter(system, auth, table).route()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      int routerPort = binding.localAddress().getPort();

      // Warm-up: the JIT on both paths and the router's connection pool. Long: on a busy machine
      // the router's JIT was still compiling (C1 and C2 threads busy) after 5 s.
      client("router", routerPort, "/apps/bench/app/", 32, warmUp, node);
      client("router", routerPort, "/apps/bench/app/", 1, Math.max(1, warmUp / 4), node);
      client("direct", appPort, "/", 32, 3, node);

      List<Measured> results = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        for (int c : CONNECTIONS) {
          boolean routerFirst = round % 2 == 1;
          for (int i = 0; i < 2; i++) {
            boolean router = (i == 0) == routerFirst;
            results.add(router
                ? client("router", routerPort, "/apps/bench/app/", c, seconds, node)
                : client("direct", appPort, "/", c, seconds, node));
          }
        }
      }
      System.out.println("| via | connections | requests/s | p50 ms | p99 ms | errors | router CPU µs/req | app CPU µs/req |");
      System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
      results.forEach(m -> System.out.println(m.row()));
    } finally {
      if (system != null) {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      node.destroy();
    }
  }

  /**
   * One run by a client JVM of its own; the CPU time the router's ActorSystem threads and the app
   * spent meanwhile (including the client's one-second warm-up, on both paths alike, so per request
   * slightly high).
   */
  static Measured client(String via, int port, String path, int connections, int seconds, Process app)
      throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        RouterBench.class.getName(), "client", "" + port, path, "" + connections, "" + seconds)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    // The client JVM's start-up is not counted: its warm-up connects first.
    long routerBefore = actorSystemCpuNanos();
    long appBefore = cpuNanos(app.pid());
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    long routerAfter = actorSystemCpuNanos();
    long appAfter = cpuNanos(app.pid());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("client failed: " + out);
    }
    Result r = Result.parse(out.lines().reduce((a, b) -> b).orElseThrow());
    return new Measured(new Result(via, r.connections, r.requests, r.seconds, r.p50, r.p99, r.errors),
        routerAfter - routerBefore, appAfter - appBefore);
  }

  /**
   * CPU time of the router's ActorSystem threads (dispatchers, I/O, scheduler): the router's own
   * work. The JVM's total would add the JIT compiler threads, which on a busy machine were still
   * compiling after the warm-up and then outweighed the routing itself, and this thread's
   * spawning of client processes. Threads that ended meanwhile are not counted (few: pooled).
   */
  static long actorSystemCpuNanos() {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith("router-bench-")) {
        sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return sum;
  }

  /** User and system CPU time of a process, from /proc (clock ticks of 10 ms). */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  /** {@code connections} closed-loop clients for {@code seconds}; latency of every request. */
  static Result run(String via, int port, String path, int connections, int seconds) throws Exception {
    byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    long[][] latencies = new long[connections][];
    int[] counts = new int[connections];
    long[] errors = new long[connections];
    for (int i = 0; i < connections; i++) {
      int me = i;
      Thread t = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        Socket socket = null;
        InputStream in = null;
        while (System.nanoTime() < end) {
          try {
            if (socket == null) {
              socket = new Socket();
              socket.setTcpNoDelay(true);
              socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
              socket.setSoTimeout(10_000);
              // Buffered: a read per byte is a system call per byte, CPU the client takes from
              // the app and the router on the same cores.
              in = new java.io.BufferedInputStream(socket.getInputStream(), 8192);
            }
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            if (!readResponse(in)) {
              throw new IOException("not a 200");
            }
            if (n == mine.length) {
              mine = Arrays.copyOf(mine, n * 2);
            }
            mine[n++] = System.nanoTime() - start;
          } catch (IOException e) {
            errors[me]++;
            try {
              if (socket != null) {
                socket.close();
              }
            } catch (IOException ignored) {
              // closing a broken socket
            }
            socket = null;
          }
        }
        try {
          if (socket != null) {
            socket.close();
          }
        } catch (IOException ignored) {
          // done
        }
        latencies[me] = mine;
        counts[me] = n;
      });
      threads.add(t);
    }
    long started = System.nanoTime();
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int i = 0; i < connections; i++) {
      System.arraycopy(latencies[i], 0, all, at, counts[i]);
      at += counts[i];
    }
    Arrays.sort(all);
    long p50 = total == 0 ? 0 : all[(int) (total * 0.50)];
    long p99 = total == 0 ? 0 : all[Math.min(total - 1, (int) (total * 0.99))];
    return new Result(via, connections, total, elapsed, p50, p99, Arrays.stream(errors).sum());
  }

  /** Reads one response (headers and a Content-Length body); true when its status was 200. */
  private static boolean readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder(256);
    int last4 = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed");
      }
      head.append((char) b);
      last4 = (last4 << 8) | b;
      if (last4 == 0x0d0a0d0a) {
        break;
      }
    }
    String h = head.toString();
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    for (int i = 0; i < length; i++) {
      if (in.read() < 0) {
        throw new IOException("body cut short");
      }
    }
    return h.startsWith("HTTP/1.1 200");
  }
}
