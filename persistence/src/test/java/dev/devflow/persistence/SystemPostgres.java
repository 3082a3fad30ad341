package dev.devflow.persistence;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The machine's PostgreSQL 15 (not the embedded 17) for tests that need its client tools:
 * {@code pg_dump} refuses a server newer than itself, and the embedded bundle has no pg_dump.
 * PostgreSQL refuses to run as root, so as root the server runs as the {@code postgres} user.
 */
public final class SystemPostgres implements AutoCloseable {

  public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  private final Path dir;
  private final int port;

  private SystemPostgres(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  public static boolean available() {
    return Files.isExecutable(BIN.resolve("pg_dump")) && Files.isExecutable(BIN.resolve("initdb"));
  }

  public static SystemPostgres start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("devflow-pg15-");
    run(List.of("chmod", "755", dir.toString()));
    if (isRoot()) {
      run(List.of("chown", "postgres", dir.toString()));
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path data = dir.resolve("data");
    runAsPostgres(List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres",
        "--no-sync", "-E", "UTF8"));
    runAsPostgres(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
        dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off",
        "start"));
    return new SystemPostgres(dir, port);
  }

  /** A new empty database with DevFlow's tables. */
  public Database newDatabase(String name) throws IOException, InterruptedException {
    try (Database admin = Database.open(settings("postgres"), 1);
        var c = admin.dataSource().getConnection();
        var st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (java.sql.SQLException e) {
      throw new IOException(e);
    }
    Database db = Database.open(settings(name), 4);
    Migrations.migrate(db);
    return db;
  }

  public DatabaseSettings settings(String database) {
    return new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", "");
  }

  /** The database as {@code pg_dump} writes it (plain SQL). */
  public String dump(String database) throws IOException, InterruptedException {
    return run(List.of(BIN.resolve("pg_dump").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U",
        "postgres", database));
  }

  @Override
  public void close() throws IOException, InterruptedException {
    runAsPostgres(List.of(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
        "-w", "stop"));
    run(List.of("rm", "-rf", dir.toString()));
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static String runAsPostgres(List<String> command) throws IOException, InterruptedException {
    if (!isRoot()) {
      return run(command);
    }
    List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    all.addAll(command);
    return run(all);
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
