package dev.devflow.persistence.feed;

import dev.devflow.persistence.DatabaseSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls {@code onCommit} whenever journal rows commit, from PostgreSQL's {@code NOTIFY} (a trigger
 * on the journal, migration V3). It holds one connection of its own outside the pool and runs one
 * daemon thread. A lost connection is reopened with back-off and followed by one call, since
 * commits may have happened while it was down.
 */
public final class JournalListener implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JournalListener.class);
  static final String CHANNEL = "devflow_journal";

  private final DatabaseSettings settings;
  private final Runnable onCommit;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Connection connection;

  private JournalListener(DatabaseSettings settings, Runnable onCommit) {
    this.settings = settings;
    this.onCommit = onCommit;
    this.thread = new Thread(this::run, "devflow-journal-listener");
    this.thread.setDaemon(true);
  }

  public static JournalListener start(DatabaseSettings settings, Runnable onCommit) {
    JournalListener listener = new JournalListener(settings, onCommit);
    listener.thread.start();
    return listener;
  }

  private void run() {
    long backoffMs = 100;
    while (!closed) {
      try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password())) {
        connection = c;
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        backoffMs = 100;
        onCommit.run();
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] notifications = pg.getNotifications(1_000);
          if (notifications != null && notifications.length > 0) {
            onCommit.run();
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        log.warn("journal notifications interrupted ({}); reconnecting in {} ms", e.getMessage(), backoffMs);
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing only to wake the thread
      }
    }
    thread.interrupt();
  }
}
