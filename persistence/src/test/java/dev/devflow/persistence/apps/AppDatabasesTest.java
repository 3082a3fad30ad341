package dev.devflow.persistence.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import dev.devflow.persistence.secrets.SecretStore;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** App databases on the embedded PostgreSQL, reached as the app would: plain JDBC with its URL. */
class AppDatabasesTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static SecretStore secrets;
  static AppDatabases apps;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    secrets = new SecretStore(db, () -> new Keyring(List.of(MasterKey.generate())));
    secrets.checkKeys();
    apps = new AppDatabases(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  /** Opens the database the way an app given only {@link AppDatabases.AppDatabase#url()} would. */
  static Connection connect(String url) throws SQLException {
    URI u = URI.create(url);
    assertEquals("postgres", u.getScheme());
    String[] userInfo = u.getRawUserInfo().split(":", 2);
    return DriverManager.getConnection(
        "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath(),
        URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8),
        URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8));
  }

  @Test
  void ensureIsIdempotentAndTheUrlWorksAsTheAppsRole() throws Exception {
    AppDatabases.AppDatabase first = apps.ensure("acme", "web-app", secrets);
    AppDatabases.AppDatabase again = apps.ensure("acme", "web-app", secrets);
    assertEquals(first, again, "same name, user and password");
    assertEquals(pg.port(), first.port());
    assertTrue(first.password().length() >= 32);
    assertTrue(first.name().startsWith("app_acme_web_app_"), first.name());
    assertFalse(first.toString().contains(first.password()), "toString does not show the password");
    try (Connection c = connect(first.url()); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id int primary key, v text)");
      s.execute("INSERT INTO t VALUES (1, 'one')");
      try (ResultSet rs = s.executeQuery("SELECT v, current_user, current_database() FROM t")) {
        assertTrue(rs.next());
        assertEquals("one", rs.getString(1));
        assertEquals(first.user(), rs.getString(2));
        assertEquals(first.name(), rs.getString(3));
      }
    }
  }

  @Test
  void oneAppCannotOpenAnothersDatabase() throws Exception {
    AppDatabases.AppDatabase a = apps.ensure("acme", "a", secrets);
    AppDatabases.AppDatabase b = apps.ensure("acme", "b", secrets);
    String aIntoB = new AppDatabases.AppDatabase(b.name(), a.user(), a.password(), a.host(), a.port()).url();
    SQLException refused = assertThrows(SQLException.class, () -> connect(aIntoB).close());
    assertTrue(refused.getMessage().contains("permission denied"), refused.getMessage());
    connect(b.url()).close();
    // The embedded server trusts local connections (pg_hba), so a wrong password would get in too:
    // the role at least has a password, for servers that check it.
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + b.user() + "'")) {
      assertTrue(rs.next());
      assertTrue(rs.getString(1) != null && !rs.getString(1).contains(b.password()), "set, and stored hashed");
    }
  }

  @Test
  void dropRemovesTheDatabaseTheRoleAndThePassword() throws Exception {
    AppDatabases.AppDatabase d = apps.ensure("acme", "gone", secrets);
    Connection open = connect(d.url());
    apps.drop("acme", "gone", secrets);
    assertTrue(open.isClosed() || !open.isValid(2), "its sessions are closed");
    open.close();
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + d.name() + "'")) {
        rs.next();
        assertEquals(0, rs.getInt(1));
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_roles WHERE rolname = '" + d.name() + "'")) {
        rs.next();
        assertEquals(0, rs.getInt(1));
      }
    }
    assertTrue(secrets.get("acme", SecretStore.APP_DATABASES, "gone").isEmpty());
    assertThrows(SQLException.class, () -> connect(d.url()).close());
    AppDatabases.AppDatabase recreated = apps.ensure("acme", "gone", secrets);
    assertNotEquals(d.password(), recreated.password(), "a new app of the same name gets a new password");
    apps.drop("acme", "gone", secrets);
    apps.drop("acme", "gone", secrets);
  }

  @Test
  void thePasswordNeverShowsInSecretLists() {
    secrets.put("listed", "", "VISIBLE", "v", "test");
    apps.ensure("listed", "web", secrets);
    assertEquals(List.of("VISIBLE"), secrets.list("listed").stream().map(i -> i.name()).toList());
    assertEquals(List.of("VISIBLE"), secrets.list("listed", "web").stream().map(i -> i.name()).toList());
    assertEquals(List.of("VISIBLE"), List.copyOf(secrets.values("listed", "web").keySet()), "nor in a job's values");
    assertTrue(secrets.get("listed", SecretStore.APP_DATABASES, "web").isPresent());
  }

  @Test
  void namesAreValidBoundedAndDistinct() {
    String longName = "a".repeat(63);
    String n = AppDatabases.name(longName, longName);
    assertEquals(63, n.length());
    assertTrue(n.matches("[a-z0-9_]+"));
    assertNotEquals(AppDatabases.name("a-b", "c"), AppDatabases.name("a", "b-c"));
    assertNotEquals(AppDatabases.name(longName, longName), AppDatabases.name(longName, longName.substring(1) + "b"));
    assertEquals(AppDatabases.name("acme", "web"), AppDatabases.name("acme", "web"));
  }

  @Test
  void hostAndPortComeFromTheJdbcUrl() {
    assertEquals(List.of("db", "6543"), List.of(AppDatabases.hostAndPort("jdbc:postgresql://db:6543/devflow?ssl=true")));
    assertEquals(List.of("db", "5432"), List.of(AppDatabases.hostAndPort("jdbc:postgresql://db/devflow")));
    assertEquals(List.of("::1", "5433"), List.of(AppDatabases.hostAndPort("jdbc:postgresql://[::1]:5433/x")));
    assertEquals(List.of("a", "1"), List.of(AppDatabases.hostAndPort("jdbc:postgresql://a:1,b:2/x")));
  }
}
