package dev.devflow.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * DevFlow's own connection pool (read models, the admin token, health checks). The event journal
 * has its own pool inside pekko-persistence-jdbc; both point at the same database.
 *
 * <p>Thread-safe.
 */
public final class Database implements AutoCloseable {

  private final DatabaseSettings settings;
  private final HikariDataSource dataSource;

  private Database(DatabaseSettings settings, HikariDataSource dataSource) {
    this.settings = settings;
    this.dataSource = dataSource;
  }

  /**
   * Opens a pool and checks that the database answers.
   *
   * @throws DatabaseUnreachableException with the masked URL when it does not
   */
  public static Database open(DatabaseSettings settings, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.url());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    config.setPoolName("devflow");
    config.setConnectionTimeout(10_000);
    // Fail fast at start with our own message rather than Hikari's retry loop.
    config.setInitializationFailTimeout(-1);
    HikariDataSource ds = new HikariDataSource(config);
    Database db = new Database(settings, ds);
    try {
      db.ping();
    } catch (SQLException e) {
      ds.close();
      throw new DatabaseUnreachableException(settings, e);
    }
    return db;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public DatabaseSettings settings() {
    return settings;
  }

  /** Runs {@code SELECT 1}; throws when the database does not answer within 2 s. */
  private void ping() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.setQueryTimeout(2);
      s.execute("SELECT 1");
    }
  }

  /** True when the database answers {@code SELECT 1} within 2 s. */
  public boolean answers() {
    try {
      ping();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
