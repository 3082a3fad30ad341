package dev.devflow.persistence.secrets;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tenant- and repository-tier secrets in PostgreSQL, encrypted before they leave the JVM (so no
 * clear value reaches a table, the WAL or a dump).
 *
 * <p>New values are encrypted with the cluster's active master key ({@code secret_master_key});
 * {@link #rotate} makes another key active and re-encrypts every row with it while nodes keep
 * serving: writes lock the active-key row for share, so none can slip in with the old key after
 * a rotation switched keys.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class SecretStore {

  private static final int ROTATION_BATCH = 200;

  /**
   * The scope (in place of a repository) of webhook signing secrets: encrypted and rotated like
   * every other value, but never listed and never given to a job (no repository has this name).
   */
  public static final String WEBHOOKS = "#webhook";

  /**
   * The scope of the generated passwords of app databases ({@code AppDatabases}), one per app
   * name: like {@link #WEBHOOKS}, never listed and never given to a job.
   */
  public static final String APP_DATABASES = "#app-db";

  private final Database db;
  private final KeyringSource source;
  private volatile Keyring keys;

  public SecretStore(Database db, KeyringSource source) {
    this.db = db;
    this.source = source;
    this.keys = source.load();
  }

  /** The cluster's active master key id, empty before the first node registered one. */
  public static Optional<String> activeKeyId(Database db) {
    try (Connection c = db.dataSource().getConnection()) {
      return activeKey(c, false);
    } catch (SQLException e) {
      throw new StoreException("cannot read the master key id", e);
    }
  }

  /**
   * Start-up check: makes this node's newest key the cluster's if the database has none yet, and
   * refuses (changing nothing) when the database needs a key this node does not hold.
   */
  public void checkKeys() {
    try (Connection c = db.dataSource().getConnection()) {
      Optional<String> active = activeKey(c, false);
      if (active.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO secret_master_key (id, active) VALUES (?, true) ON CONFLICT DO NOTHING")) {
          ps.setString(1, keys.newest().id());
          ps.executeUpdate();
        }
        active = activeKey(c, false);
      }
      String id = active.orElseThrow(() -> new StoreException("no active master key", new SQLException("none")));
      if (keys.byId(id).isEmpty()) {
        throw new MasterKeyMismatchException(
            "the master key does not match this database: its secrets are encrypted with key " + id
                + ", this node holds " + keys.ids() + ". Start every node with the cluster's key "
                + "(DEVFLOW_MASTER_KEY, or the master.key file of the home that created it); nothing was changed");
      }
      List<String> missing = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT key_id FROM secret");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (keys.byId(rs.getString(1)).isEmpty()) {
            missing.add(rs.getString(1));
          }
        }
      }
      if (!missing.isEmpty()) {
        throw new MasterKeyMismatchException(
            "some secrets are still encrypted with key(s) " + missing + " this node does not hold (an unfinished "
                + "rotation?): keep the old key after the new one until `devflow secrets rotate-master-key` completes");
      }
    } catch (SQLException e) {
      throw new StoreException("cannot check the master key", e);
    }
  }

  /** Stores (or replaces) a value; true when it was new. {@code repo} empty = tenant tier. */
  public boolean put(String tenant, String repo, String name, String value, String by) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        MasterKey key = activeKeyForWrite(c);
        SecretCipher.Sealed sealed = SecretCipher.seal(key, tenant, repo, name, value);
        boolean created;
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO secret (tenant, repo, name, key_id, nonce, ciphertext, updated_at, updated_by) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, repo, name) DO UPDATE SET "
                + "key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, "
                + "updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by RETURNING (xmax = 0)")) {
          ps.setString(1, tenant);
          ps.setString(2, repo);
          ps.setString(3, name);
          ps.setString(4, sealed.keyId());
          ps.setBytes(5, sealed.nonce());
          ps.setBytes(6, sealed.ciphertext());
          ps.setTimestamp(7, Timestamp.from(Instant.now()));
          ps.setString(8, by);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            created = rs.getBoolean(1);
          }
        }
        c.commit();
        return created;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store secret " + name, e);
    }
  }

  /** True when there was such a secret. */
  public boolean delete(String tenant, String repo, String name) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM secret WHERE tenant = ? AND repo = ? AND name = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, repo);
      ps.setString(3, name);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("cannot delete secret " + name, e);
    }
  }

  /** Every secret of the tenant (both tiers), tenant tier first, by name. */
  public List<SecretInfo> list(String tenant) {
    return infos("SELECT tenant, repo, name, updated_at, updated_by FROM secret WHERE tenant = ? AND repo NOT LIKE '#%' "
        + "ORDER BY repo, name", tenant, null);
  }

  /** The tenant tier and the repository's own secrets: what a job of the repository receives. */
  public List<SecretInfo> list(String tenant, String repo) {
    return infos("SELECT tenant, repo, name, updated_at, updated_by FROM secret WHERE tenant = ? AND repo IN ('', ?) "
        + "ORDER BY repo, name", tenant, repo);
  }

  /** One value of exactly this scope ({@code repo}), if stored. */
  public Optional<String> get(String tenant, String repo, String name) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT key_id, nonce, ciphertext FROM secret WHERE tenant = ? AND repo = ? AND name = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, repo);
      ps.setString(3, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(SecretCipher.open(key(rs.getString(1)), tenant, repo, name, rs.getBytes(2), rs.getBytes(3)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read secret " + name, e);
    }
  }

  /** Drops a deleted repository's secrets. */
  public int deleteRepo(String tenant, String repo) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM secret WHERE tenant = ? AND repo = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, repo);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot delete the secrets of " + tenant + "/" + repo, e);
    }
  }

  /**
   * Decrypted values for a job or app of the repository: the tenant tier, then the repository's own
   * over it (the nearer tier wins).
   */
  public Map<String, String> values(String tenant, String repo) {
    Map<String, String> values = new LinkedHashMap<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT repo, name, key_id, nonce, ciphertext FROM secret WHERE tenant = ? AND repo IN ('', ?) "
                + "ORDER BY repo, name")) {
      ps.setString(1, tenant);
      ps.setString(2, repo);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String r = rs.getString(1);
          String name = rs.getString(2);
          values.put(name, SecretCipher.open(key(rs.getString(3)), tenant, r, name, rs.getBytes(4), rs.getBytes(5)));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the secrets of " + tenant + "/" + repo, e);
    }
    return values;
  }

  /**
   * Makes {@code newKeys.newest()} the active key and re-encrypts every row with it; safe to run
   * again after an interruption. {@code newKeys} must still hold every key rows use.
   *
   * @return the rows re-encrypted
   */
  public int rotate(Keyring newKeys) {
    this.keys = newKeys;
    MasterKey target = newKeys.newest();
    int moved = 0;
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO secret_master_key (id, active) VALUES (?, false) ON CONFLICT DO NOTHING");
            PreparedStatement off = c.prepareStatement(
                "UPDATE secret_master_key SET active = false WHERE active AND id <> ?");
            PreparedStatement on = c.prepareStatement("UPDATE secret_master_key SET active = true WHERE id = ?")) {
          ins.setString(1, target.id());
          ins.executeUpdate();
          off.setString(1, target.id());
          off.executeUpdate();
          on.setString(1, target.id());
          on.executeUpdate();
        }
        c.commit();
        while (true) {
          int n = reencryptBatch(c, target);
          c.commit();
          if (n == 0) {
            return moved;
          }
          moved += n;
        }
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot rotate the master key (" + moved + " values re-encrypted so far)", e);
    }
  }

  /** Count of rows per key id (operators check a rotation finished). */
  public Map<String, Integer> rowsPerKey() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT key_id, count(*) FROM secret GROUP BY key_id ORDER BY key_id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getInt(2));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count secrets per key", e);
    }
    return counts;
  }

  private int reencryptBatch(Connection c, MasterKey target) throws SQLException {
    record Row(String tenant, String repo, String name, String keyId, byte[] nonce, byte[] ciphertext) {}
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT tenant, repo, name, key_id, nonce, ciphertext FROM secret WHERE key_id <> ? LIMIT ? FOR UPDATE")) {
      ps.setString(1, target.id());
      ps.setInt(2, ROTATION_BATCH);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBytes(5),
              rs.getBytes(6)));
        }
      }
    }
    try (PreparedStatement up = c.prepareStatement(
        "UPDATE secret SET key_id = ?, nonce = ?, ciphertext = ? WHERE tenant = ? AND repo = ? AND name = ?")) {
      for (Row r : rows) {
        String clear = SecretCipher.open(key(r.keyId()), r.tenant(), r.repo(), r.name(), r.nonce(), r.ciphertext());
        SecretCipher.Sealed sealed = SecretCipher.seal(target, r.tenant(), r.repo(), r.name(), clear);
        up.setString(1, sealed.keyId());
        up.setBytes(2, sealed.nonce());
        up.setBytes(3, sealed.ciphertext());
        up.setString(4, r.tenant());
        up.setString(5, r.repo());
        up.setString(6, r.name());
        up.addBatch();
      }
      up.executeBatch();
    }
    return rows.size();
  }

  /**
   * The active key, its row locked for share until the caller's transaction ends. A rotation that
   * switches keys meanwhile makes the row disappear from this statement's view: asked again.
   */
  private MasterKey activeKeyForWrite(Connection c) throws SQLException {
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<String> id = activeKey(c, true);
      if (id.isPresent()) {
        return key(id.get());
      }
    }
    throw new StoreException("no active master key", new SQLException("secret_master_key has no active row"));
  }

  private static Optional<String> activeKey(Connection c, boolean lock) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id FROM secret_master_key WHERE active" + (lock ? " FOR SHARE" : ""));
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    }
  }

  /** The key with this id, loading the keyring again once if this node does not hold it yet. */
  private MasterKey key(String id) {
    Optional<MasterKey> k = keys.byId(id);
    if (k.isEmpty()) {
      keys = source.load();
      k = keys.byId(id);
    }
    return k.orElseThrow(() -> new MasterKeyMismatchException(
        "this node does not hold master key " + id + " (rotated by `devflow secrets rotate-master-key`?): "
            + "give it the new key and restart it"));
  }

  private List<SecretInfo> infos(String sql, String tenant, String repo) {
    List<SecretInfo> out = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, tenant);
      if (repo != null) {
        ps.setString(2, repo);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new SecretInfo(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(),
              rs.getString(5)));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot list the secrets of " + tenant, e);
    }
    return out;
  }
}
