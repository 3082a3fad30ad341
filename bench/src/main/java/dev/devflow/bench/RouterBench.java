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
 * keep-alive, closed loop), same run, order alternated between rounds. Arguments: seconds per run
 * (default 10), rounds (default 2). Prints a Markdown table.
 */
public final class RouterBench {

  private static final int[] CONNECTIONS = {1, 32};

  record Result(String via, int connections, long requests, double seconds, long p50, long p99, long errors) {
    String row() {
      return String.format("| %s | %d | %,.0f | %.3f | %.3f | %d |",
          via, connections, requests / seconds, p50 / 1e6, p99 / 1e6, errors);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
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

      // Warm-up: the JIT on both paths and the router's connection pool.
      run("router", routerPort, "/apps/bench/app/", 32, 5);
      run("direct", appPort, "/", 32, 3);

      List<Result> results = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        for (int c : CONNECTIONS) {
          boolean routerFirst = round % 2 == 1;
          for (int i = 0; i < 2; i++) {
            boolean router = (i == 0) == routerFirst;
            results.add(router
                ? run("router", routerPort, "/apps/bench/app/", c, seconds)
                : run("direct", appPort, "/", c, seconds));
          }
        }
      }
      System.out.println("| via | connections | requests/s | p50 ms | p99 ms | errors |");
      System.out.println("| --- | --- | --- | --- | --- | --- |");
      results.forEach(r -> System.out.println(r.row()));
    } finally {
      if (system != null) {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      node.destroy();
    }
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
        while (System.nanoTime() < end) {
          try {
            if (socket == null) {
              socket = new Socket();
              socket.setTcpNoDelay(true);
              socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
              socket.setSoTimeout(10_000);
            }
            long start = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            if (!readResponse(socket.getInputStream())) {
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
