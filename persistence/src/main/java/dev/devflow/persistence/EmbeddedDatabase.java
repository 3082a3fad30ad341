package dev.devflow.persistence;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.ArchUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server started from the binaries Maven delivered (zonky), with its data kept in
 * {@code <home>/pgdata} so that a second start on the same home finds everything again.
 *
 * <p>Not thread-safe: one owner starts it and closes it.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(30);

  private final EmbeddedPostgres postgres;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private EmbeddedDatabase(EmbeddedPostgres postgres, FileChannel lockChannel, FileLock lock) {
    this.postgres = postgres;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Starts PostgreSQL on a free loopback port with data under {@code home/pgdata}. The binaries are
   * unpacked under {@code home/pgbin} rather than the shared temp directory, so two homes never
   * race over one unpacked copy.
   *
   * <p>The home is locked ({@code <home>/pgdata.lock}) for as long as the server runs, so a second
   * DevFlow on the same home fails at once. A server still running from a process that was killed
   * (kill -9 leaves PostgreSQL behind) is stopped first: holding the lock proves nobody uses it.
   *
   * @throws IOException when another process holds the home, or PostgreSQL does not start
   */
  public static EmbeddedDatabase start(Path home) throws IOException {
    return start(home, true);
  }

  /**
   * @param synchronousCommit off trades a window of the last few hundred milliseconds of
   *     acknowledged writes on a PostgreSQL or machine crash (never corruption; a killed DevFlow
   *     loses nothing, PostgreSQL outlives it) for several times the write throughput
   */
  public static EmbeddedDatabase start(Path home, boolean synchronousCommit) throws IOException {
    Path data = home.resolve("pgdata");
    Path bin = home.resolve("pgbin");
    Files.createDirectories(data);
    Files.createDirectories(bin);
    FileChannel channel =
        FileChannel.open(home.resolve("pgdata.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      channel.close();
      throw new IOException("another DevFlow process is using " + home);
    }
    try {
      stopOrphan(data);
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(data)
              .setCleanDataDirectory(false)
              .setOverrideWorkingDirectory(bin.toFile())
              .setPgBinaryResolver(EmbeddedDatabase::binaries)
              .setPGStartupWait(Duration.ofSeconds(60))
              // zonky's defaults suit throwaway test databases; this one holds users' data:
              // an acknowledged write must survive a crash (zonky starts with -F, fsync off).
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", synchronousCommit ? "on" : "off")
              .setServerConfig("max_connections", "200")
              // The node stops PostgreSQL after its actor system, not in parallel with it.
              .setRegisterShutdownHook(false)
              .start();
      return new EmbeddedDatabase(pg, channel, lock);
    } catch (IOException | RuntimeException e) {
      lock.release();
      channel.close();
      throw e;
    }
  }

  /**
   * zonky's own lookup, except that two copies of the same binaries jar on the class path are not
   * an error: a class path that holds the packaged devflow.jar also gets its lib/ through the
   * jar's manifest, beside the build's copy of the same jar (the bench module's tests).
   */
  private static InputStream binaries(String system, String hardware) throws IOException {
    try {
      return DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, hardware);
    } catch (IllegalStateException duplicate) {
      // zonky's own name: "postgres-linux-x86_64.txz" for ("Linux", "amd64").
      String name = ("postgres-" + system + "-" + ArchUtils.normalize(hardware) + ".txz").toLowerCase(Locale.ROOT);
      InputStream first = EmbeddedDatabase.class.getClassLoader().getResourceAsStream(name);
      if (first == null) {
        throw duplicate;
      }
      return first;
    }
  }

  /** Stops a postmaster left running by a killed DevFlow (SIGTERM: PostgreSQL's smart shutdown). */
  private static void stopOrphan(Path data) throws IOException {
    Path pidFile = data.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty() || !lines.get(0).trim().matches("\\d+")) {
      return;
    }
    Optional<ProcessHandle> orphan = ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    if (orphan.isEmpty() || !orphan.get().info().command().orElse("").endsWith("postgres")) {
      return; // stale pid file: PostgreSQL itself cleans it up on start
    }
    orphan.get().destroy();
    try {
      orphan.get().onExit().get(ORPHAN_STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("a PostgreSQL left running on " + data + " (pid " + orphan.get().pid() + ") did not stop", e);
    }
  }

  public DatabaseSettings settings() {
    return new DatabaseSettings(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
  }

  public int port() {
    return postgres.getPort();
  }

  /** Stops the server (a fast, clean shutdown; data stays on disk). */
  @Override
  public void close() throws IOException {
    try {
      postgres.close();
    } finally {
      lock.release();
      lockChannel.close();
    }
  }
}
