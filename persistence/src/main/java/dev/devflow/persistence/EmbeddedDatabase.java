package dev.devflow.persistence;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real PostgreSQL server started from the binaries Maven delivered (zonky), with its data kept in
 * {@code <home>/pgdata} so that a second start on the same home finds everything again.
 *
 * <p>Not thread-safe: one owner starts it and closes it.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts PostgreSQL on a free loopback port with data under {@code home/pgdata}. The binaries are
   * unpacked under {@code home/pgbin} rather than the shared temp directory, so two homes never
   * race over one unpacked copy.
   */
  public static EmbeddedDatabase start(Path home) throws IOException {
    Path data = home.resolve("pgdata");
    Path bin = home.resolve("pgbin");
    Files.createDirectories(data);
    Files.createDirectories(bin);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            .setOverrideWorkingDirectory(bin.toFile())
            .setPGStartupWait(Duration.ofSeconds(60))
            .setServerConfig("max_connections", "200")
            .start();
    return new EmbeddedDatabase(pg);
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
    postgres.close();
  }
}
