package dev.devflow.persistence.apps;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import dev.devflow.persistence.secrets.SecretStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;

/**
 * One PostgreSQL database per deployed app, on the platform's server: a login role that owns only
 * its database, and the database, which no other role may connect to (CONNECT and TEMPORARY are
 * revoked from PUBLIC).
 *
 * <p>The role's password is generated once and kept encrypted in the {@link SecretStore} under the
 * reserved scope {@link SecretStore#APP_DATABASES} (tenant = the app's tenant, name = the app),
 * which secret lists and job environments never show; {@link #ensure} returns it again on every
 * call and resets the role to it, so a role whose password was changed by hand heals.
 *
 * <p>Names are {@code app_<tenant>_<app>_<hash>}: '-' becomes '_', the readable part is cut so the
 * whole stays within PostgreSQL's 63 characters, and 8 hex digits of SHA-256 of {@code tenant/app}
 * keep two apps apart even when their readable parts agree ({@code a-b/c} and {@code a/b-c}).
 *
 * <p>The platform's user must be a superuser, or have CREATEDB and CREATEROLE (it then grants
 * itself each app role, which PostgreSQL requires to create a database owned by it).
 *
 * <p>Thread-safe. {@link #ensure} and {@link #drop} of one app are serialized across nodes by a
 * PostgreSQL advisory lock; both block on JDBC.
 */
public final class AppDatabases {

  /** Connection facts of one app's database. */
  public record AppDatabase(String name, String user, String password, String host, int port) {

    /** {@code postgres://user:password@host:port/name}, the password URL-encoded. */
    public String url() {
      String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
      return "postgres://" + encode(user) + ":" + encode(password) + "@" + h + ":" + port + "/" + name;
    }

    @Override
    public String toString() {
      return "AppDatabase[name=" + name + ", user=" + user + ", host=" + host + ", port=" + port + "]";
    }

    private static String encode(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
  }

  private static final int MAX_IDENTIFIER = 63;
  /** Namespace of the advisory locks taken here (the first key of the two-int form). */
  private static final int LOCK_SPACE = 0x41505044; // "APPD"
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Database platform;
  private final String host;
  private final int port;

  public AppDatabases(Database platform) {
    this.platform = platform;
    String[] hostPort = hostAndPort(platform.settings().url());
    this.host = hostPort[0];
    this.port = Integer.parseInt(hostPort[1]);
  }

  /** Creates, if missing, the role and database of {@code tenant/app}; returns how to reach them. */
  public AppDatabase ensure(String tenant, String app, SecretStore secrets) {
    String name = name(tenant, app);
    try (Connection c = platform.dataSource().getConnection()) {
      lock(c, name, true);
      try {
        String password = secrets.get(tenant, SecretStore.APP_DATABASES, app).orElseGet(() -> {
          String generated = newPassword();
          secrets.put(tenant, SecretStore.APP_DATABASES, app, generated, "app database of " + tenant + "/" + app);
          return generated;
        });
        String role = quote(name);
        // The password is base64url: it needs no escaping inside the literal.
        String attributes = " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '" + password + "'";
        try (Statement s = c.createStatement()) {
          if (!exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", name)) {
            s.execute("CREATE ROLE " + role + attributes);
          } else {
            s.execute("ALTER ROLE " + role + attributes);
          }
          if (!isSuperuser(c)) {
            s.execute("GRANT " + role + " TO CURRENT_USER");
          }
          if (!exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", name)) {
            s.execute("CREATE DATABASE " + role + " OWNER " + role);
          }
          s.execute("REVOKE CONNECT, TEMPORARY ON DATABASE " + role + " FROM PUBLIC");
          s.execute("GRANT CONNECT, TEMPORARY ON DATABASE " + role + " TO " + role);
        }
        return new AppDatabase(name, name, password, host, port);
      } finally {
        lock(c, name, false);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot provision the database of app " + tenant + "/" + app, e);
    }
  }

  /** Drops the app's database (closing its sessions), its role and its stored password. */
  public void drop(String tenant, String app, SecretStore secrets) {
    String name = name(tenant, app);
    try (Connection c = platform.dataSource().getConnection()) {
      lock(c, name, true);
      try {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
          ps.setString(1, name);
          ps.executeQuery().close();
        }
        try (Statement s = c.createStatement()) {
          s.execute("DROP DATABASE IF EXISTS " + quote(name));
          s.execute("DROP ROLE IF EXISTS " + quote(name));
        }
        secrets.delete(tenant, SecretStore.APP_DATABASES, app);
      } finally {
        lock(c, name, false);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot drop the database of app " + tenant + "/" + app, e);
    }
  }

  /** The database and role name of {@code tenant/app}: deterministic, at most 63 characters. */
  public static String name(String tenant, String app) {
    String hash = HexFormat.of().formatHex(sha256(tenant + "/" + app), 0, 4);
    String readable = (tenant + "_" + app).toLowerCase().replaceAll("[^a-z0-9_]", "_");
    int room = MAX_IDENTIFIER - "app_".length() - 1 - hash.length();
    if (readable.length() > room) {
      readable = readable.substring(0, room);
    }
    return "app_" + readable + "_" + hash;
  }

  /** Host and port of the first server in a {@code jdbc:postgresql://...} URL (5432 by default). */
  static String[] hostAndPort(String jdbcUrl) {
    String prefix = "jdbc:postgresql://";
    if (!jdbcUrl.startsWith(prefix)) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL with a host: " + jdbcUrl);
    }
    String rest = jdbcUrl.substring(prefix.length());
    int end = rest.length();
    for (char stop : new char[] {'/', '?', ','}) {
      int i = rest.indexOf(stop);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    String authority = rest.substring(0, end);
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      String h = authority.substring(1, close);
      String p = authority.length() > close + 2 ? authority.substring(close + 2) : "5432";
      return new String[] {h, p};
    }
    int colon = authority.lastIndexOf(':');
    return colon < 0
        ? new String[] {authority.isEmpty() ? "localhost" : authority, "5432"}
        : new String[] {authority.substring(0, colon), authority.substring(colon + 1)};
  }

  private static void lock(Connection c, String name, boolean take) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        take ? "SELECT pg_advisory_lock(?, ?)" : "SELECT pg_advisory_unlock(?, ?)")) {
      ps.setInt(1, LOCK_SPACE);
      ps.setInt(2, name.hashCode());
      ps.executeQuery().close();
    }
  }

  private static boolean exists(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean isSuperuser(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String newPassword() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
