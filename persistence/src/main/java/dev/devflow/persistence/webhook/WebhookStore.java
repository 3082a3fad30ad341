package dev.devflow.persistence.webhook;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import dev.devflow.persistence.secrets.SecretStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Webhook definitions, their delivery cursors and delivery log. A new webhook starts at the
 * tenant's newest feed id (it receives events from its creation on); changing one keeps its
 * cursor. Logging a final attempt moves the cursor in the same transaction, so a delivery is
 * never skipped and is repeated at most once after a crash (at-least-once).
 *
 * <p>Signing secrets live encrypted in the secret store ({@link SecretStore#WEBHOOKS} scope); the
 * webhook row's own column stays empty (rows from before are moved by {@link #sealClearSecrets}).
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class WebhookStore {

  private static final String COLUMNS = "tenant, name, url, types, secret, cursor_id, created_at, updated_at";

  private final Database db;
  private final SecretStore secrets;

  public WebhookStore(Database db, SecretStore secrets) {
    this.db = db;
    this.secrets = secrets;
  }

  /** Creates or replaces a webhook; true when it was created. */
  public boolean put(String tenant, String name, String url, List<String> types, String secret) {
    secrets.put(tenant, SecretStore.WEBHOOKS, name, secret, "webhook " + name);
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO webhook (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, "
                + "COALESCE((SELECT last_id FROM feed_counter WHERE tenant = ?), 0), now(), now()) "
                + "ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, types = EXCLUDED.types, "
                + "secret = EXCLUDED.secret, updated_at = now() RETURNING (xmax = 0)")) {
      ps.setString(1, tenant);
      ps.setString(2, name);
      ps.setString(3, url);
      ps.setString(4, String.join(",", types));
      ps.setString(5, "");
      ps.setString(6, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store webhook " + tenant + "/" + name, e);
    }
  }

  public Optional<Webhook> get(String tenant, String name) {
    List<Webhook> found = query("SELECT " + COLUMNS + " FROM webhook WHERE tenant = ? AND name = ?", tenant, name);
    return found.stream().findFirst();
  }

  public List<Webhook> list(String tenant) {
    return query("SELECT " + COLUMNS + " FROM webhook WHERE tenant = ? ORDER BY name", tenant);
  }

  /** Every webhook of every tenant (the dispatcher's work list). */
  public List<Webhook> all() {
    return query("SELECT " + COLUMNS + " FROM webhook ORDER BY tenant, name");
  }

  /** Deletes a webhook and its delivery log; false when there was none. */
  public boolean delete(String tenant, String name) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement log = c.prepareStatement("DELETE FROM webhook_delivery WHERE tenant = ? AND webhook = ?");
          PreparedStatement hook = c.prepareStatement("DELETE FROM webhook WHERE tenant = ? AND name = ?")) {
        log.setString(1, tenant);
        log.setString(2, name);
        log.executeUpdate();
        hook.setString(1, tenant);
        hook.setString(2, name);
        boolean deleted = hook.executeUpdate() == 1;
        c.commit();
        secrets.delete(tenant, SecretStore.WEBHOOKS, name);
        return deleted;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot delete webhook " + tenant + "/" + name, e);
    }
  }

  /** Logs an attempt; a final one also moves the cursor to its event. */
  public void record(String tenant, String name, WebhookDelivery d) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement log = c.prepareStatement(
              "INSERT INTO webhook_delivery (tenant, webhook, delivery_id, feed_id, type, attempt, outcome, "
                  + "status_code, error, duration_ms, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
          PreparedStatement cursor = c.prepareStatement(
              "UPDATE webhook SET cursor_id = ? WHERE tenant = ? AND name = ? AND cursor_id < ?")) {
        log.setString(1, tenant);
        log.setString(2, name);
        log.setString(3, d.deliveryId());
        log.setLong(4, d.eventId());
        log.setString(5, d.type());
        log.setInt(6, d.attempt());
        log.setString(7, d.outcome());
        log.setObject(8, d.statusCode());
        log.setString(9, d.error() == null ? null : truncate(d.error(), 500));
        log.setInt(10, d.durationMs());
        log.setTimestamp(11, Timestamp.from(d.at()));
        log.executeUpdate();
        if (d.isFinal()) {
          cursor.setLong(1, d.eventId());
          cursor.setString(2, tenant);
          cursor.setString(3, name);
          cursor.setLong(4, d.eventId());
          cursor.executeUpdate();
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot log a delivery of webhook " + tenant + "/" + name, e);
    }
  }

  /** The newest {@code limit} attempts, newest first. */
  public List<WebhookDelivery> deliveries(String tenant, String name, int limit) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT delivery_id, feed_id, type, attempt, outcome, status_code, error, duration_ms, at "
                + "FROM webhook_delivery WHERE tenant = ? AND webhook = ? ORDER BY id DESC LIMIT ?")) {
      ps.setString(1, tenant);
      ps.setString(2, name);
      ps.setInt(3, limit);
      List<WebhookDelivery> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new WebhookDelivery(
              rs.getString(1), rs.getLong(2), rs.getString(3), rs.getInt(4), rs.getString(5),
              (Integer) rs.getObject(6), rs.getString(7), rs.getInt(8), rs.getTimestamp(9).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the deliveries of webhook " + tenant + "/" + name, e);
    }
  }

  private List<Webhook> query(String sql, String... params) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      List<Webhook> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String types = rs.getString(4);
          out.add(new Webhook(
              rs.getString(1), rs.getString(2), rs.getString(3),
              types.isEmpty() ? List.of() : Arrays.asList(types.split(",")),
              rs.getString(5), rs.getLong(6), rs.getTimestamp(7).toInstant(), rs.getTimestamp(8).toInstant()));
        }
      }
      return out.stream().map(this::withSecret).toList();
    } catch (SQLException e) {
      throw new StoreException("cannot read webhooks", e);
    }
  }

  private Webhook withSecret(Webhook h) {
    if (!h.secret().isEmpty()) {
      return h; // stored in clear before secrets were encrypted, until sealClearSecrets moves it
    }
    String secret = secrets.get(h.tenant(), SecretStore.WEBHOOKS, h.name()).orElse("");
    return new Webhook(h.tenant(), h.name(), h.url(), h.types(), secret, h.cursorId(), h.createdAt(), h.updatedAt());
  }

  /**
   * Moves signing secrets stored in clear by an older version into the secret store and blanks
   * the column; safe to run on every start and on several nodes at once.
   *
   * @return how many were moved
   */
  public int sealClearSecrets() {
    int moved = 0;
    for (Webhook h : query("SELECT " + COLUMNS + " FROM webhook WHERE secret <> ''")) {
      secrets.put(h.tenant(), SecretStore.WEBHOOKS, h.name(), h.secret(), "webhook " + h.name());
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement ps = c.prepareStatement(
              "UPDATE webhook SET secret = '' WHERE tenant = ? AND name = ? AND secret = ?")) {
        ps.setString(1, h.tenant());
        ps.setString(2, h.name());
        ps.setString(3, h.secret());
        moved += ps.executeUpdate();
      } catch (SQLException e) {
        throw new StoreException("cannot seal the secret of webhook " + h.tenant() + "/" + h.name(), e);
      }
    }
    return moved;
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
