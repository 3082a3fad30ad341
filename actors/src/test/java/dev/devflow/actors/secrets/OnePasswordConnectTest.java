package dev.devflow.actors.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.actors.secrets.OnePasswordConnectServer.Field;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link OnePasswordConnect} against {@link OnePasswordConnectServer}: value selection, operator
 * messages (which must name the server and vault and never carry the token), caching, encoding.
 */
class OnePasswordConnectTest {

  private static final String TOKEN = "eyJhbGciOiJFUzI1NiJ9.test-token";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private OnePasswordConnectServer server;
  private OnePasswordConnect client;

  @BeforeEach
  void start() throws IOException {
    server = OnePasswordConnectServer.start(TOKEN);
    client = new OnePasswordConnect(server.url(), TOKEN, TIMEOUT);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void readsEveryItemOfTheVault() {
    server.vault("ci")
        .item("DEPLOY_KEY", Field.password("deploy-secret"))
        .item("API_TOKEN", Field.concealed("credential", "api-secret"))
        .item("DB", Field.username("app"), Field.password("db-secret"));
    server.vault("other").item("ELSEWHERE", Field.password("not-this-one"));

    assertEquals(Map.of("DEPLOY_KEY", "deploy-secret", "API_TOKEN", "api-secret", "DB", "db-secret"),
        client.vaultSecrets("ci"));
    assertEquals(Optional.of("db-secret"), client.secret("ci", "DB"));
    assertEquals(Optional.empty(), client.secret("ci", "ELSEWHERE"));
  }

  @Test
  void passwordPurposeWinsThenLabelsThenFirstConcealedField() {
    server.vault("ci")
        .item("purpose", Field.concealed("credential", "c"), Field.text("value", "v"), Field.password("p"))
        .item("label", Field.concealed("token", "t"), Field.text("Value", "v"), Field.concealed("CREDENTIAL", "c"))
        .item("concealed", Field.text("host", "db.internal"), Field.concealed("token", "t1"),
            Field.concealed("other", "t2"));

    assertEquals(Map.of("purpose", "p", "label", "c", "concealed", "t1"), client.vaultSecrets("ci"));
  }

  @Test
  void itemsWithoutAValueAreSkipped() {
    server.vault("ci")
        .item("note", Field.text("notes", "just text"))
        .item("empty password", Field.username("u"), Field.password(""))
        .item("null password", Field.password(null))
        .item("kept", Field.password("k"));

    assertEquals(Map.of("kept", "k"), client.vaultSecrets("ci"));
    assertEquals(Optional.empty(), client.secret("ci", "note"));
    server.vault("empty");
    assertEquals(Map.of(), client.vaultSecrets("empty"));
  }

  @Test
  void repeatedTitlesTakeTheFirstListedItemWithAValue() {
    server.vault("ci")
        .item("dup", Field.text("notes", "no value"))
        .item("dup", Field.password("second"))
        .item("dup", Field.password("third"));

    assertEquals(Map.of("dup", "second"), client.vaultSecrets("ci"));
    assertEquals(Optional.of("second"), new OnePasswordConnect(server.url(), TOKEN, TIMEOUT).secret("ci", "dup"));
  }

  @Test
  void missingVaultNamesTheVaultAndTheServer() {
    server.vault("ci");

    String message = fails(() -> client.vaultSecrets("prod"));
    assertTrue(message.startsWith("1Password Connect at " + server.url() + ": "), message);
    assertTrue(message.contains("vault 'prod' not found"), message);
    assertTrue(fails(() -> client.secret("prod", "x")).contains("vault 'prod' not found"));
  }

  @Test
  void refusedTokenIsNamedButNotShown() {
    server.vault("ci").item("K", Field.password("v"));
    String wrong = "wrong-token-do-not-print";

    String message = fails(() -> new OnePasswordConnect(server.url(), wrong, TIMEOUT).vaultSecrets("ci"));
    assertTrue(message.contains("the token was refused (401)"), message);
    assertTrue(message.contains("devflow.secrets.onepassword.token"), message);
    assertFalse(message.contains(wrong), message);
    assertFalse(message.contains(TOKEN), message);
    assertEquals(1, server.requests(), "a refused token is not retried");
  }

  @Test
  void serverDownIsAConnectError() {
    URI url = server.url();
    server.close();

    String message = fails(() -> new OnePasswordConnect(url, TOKEN, TIMEOUT).vaultSecrets("ci"));
    assertEquals("1Password Connect at " + url + ": cannot connect (Connection refused)", message);
  }

  @Test
  void slowServerTimesOut() {
    server.vault("ci");
    server.answerSlowly(Duration.ofSeconds(30));
    OnePasswordConnect impatient = new OnePasswordConnect(server.url(), TOKEN, Duration.ofMillis(300));

    String message = fails(() -> impatient.vaultSecrets("ci"));
    assertTrue(message.contains(": timed out after 300ms (GET /v1/vaults?filter="), message);
    assertTrue(server.requests() <= 1, "a timeout is not retried");
  }

  @Test
  void serverErrorShowsStatusPathAndBody() {
    server.vault("ci");
    server.failNext(1);

    String message = fails(() -> client.vaultSecrets("ci"));
    assertTrue(message.contains(": unexpected answer 500 from GET /v1/vaults?filter=name%20eq%20%22ci%22: "), message);
    assertTrue(message.contains("\"message\":\"Internal server error"), message);
    assertEquals(1, server.requests(), "a 500 is not retried");
  }

  @Test
  void wrongBaseUrlIsAnUnexpectedAnswer() {
    String message = fails(() -> new OnePasswordConnect(server.url().resolve("/connect/"), TOKEN, TIMEOUT)
        .vaultSecrets("ci"));
    assertTrue(message.startsWith("1Password Connect at " + server.url() + "/connect: unexpected answer 404"),
        message);
  }

  @Test
  void cachedWithinTheTtlAndFetchedAgainAfterIt() {
    server.vault("ci").item("K", Field.password("v1"));
    MutableClock clock = new MutableClock();
    OnePasswordConnect cached = new OnePasswordConnect(server.url(), TOKEN, TIMEOUT, Duration.ofSeconds(30), clock);

    assertEquals(Map.of("K", "v1"), cached.vaultSecrets("ci"));
    int afterFirst = server.requests();
    server.vault("ci").remove("K").item("K", Field.password("v2"));
    clock.advance(Duration.ofSeconds(29));
    assertEquals(Map.of("K", "v1"), cached.vaultSecrets("ci"));
    assertEquals(Optional.of("v1"), cached.secret("ci", "K"));
    assertEquals(afterFirst, server.requests(), "answered from the cache");

    clock.advance(Duration.ofSeconds(1));
    assertEquals(Map.of("K", "v2"), cached.vaultSecrets("ci"));
    assertTrue(server.requests() > afterFirst);
  }

  @Test
  void zeroTtlDoesNotCache() {
    server.vault("ci").item("K", Field.password("v"));
    OnePasswordConnect uncached = new OnePasswordConnect(server.url(), TOKEN, TIMEOUT, Duration.ZERO);

    uncached.vaultSecrets("ci");
    int afterFirst = server.requests();
    uncached.vaultSecrets("ci");
    assertEquals(2 * afterFirst, server.requests());
  }

  @Test
  void errorsAreNotCached() {
    server.vault("ci").item("K", Field.password("v"));
    server.failNext(1);

    assertTrue(fails(() -> client.vaultSecrets("ci")).contains("unexpected answer 500"));
    assertEquals(Map.of("K", "v"), client.vaultSecrets("ci"));
    assertTrue(fails(() -> client.vaultSecrets("missing")).contains("not found"));
    server.vault("missing").item("M", Field.password("m"));
    assertEquals(Map.of("M", "m"), client.vaultSecrets("missing"));
  }

  @Test
  void specialCharactersInNamesAreEncoded() {
    String vault = "Ops \"prod\" & co + 100% / ü \\ #1";
    String title = "key \"x\" & y=z?";
    server.vault("Ops").item(title, Field.password("wrong vault"));
    server.vault(vault).item(title, Field.password("s3cret")).item("plain", Field.password("p"));

    assertEquals(Map.of(title, "s3cret", "plain", "p"), client.vaultSecrets(vault));
    OnePasswordConnect uncached = new OnePasswordConnect(server.url(), TOKEN, TIMEOUT, Duration.ZERO);
    assertEquals(Optional.of("s3cret"), uncached.secret(vault, title));
    assertEquals(Optional.empty(), uncached.secret(vault, "key"));
  }

  @Test
  void filterIsAnEscapedScimStringLiteral() {
    assertEquals("name%20eq%20%22a%5C%22b%5C%5Cc%20d%2Be%26f%22", OnePasswordConnect.filter("name", "a\"b\\c d+e&f"));
  }

  @Test
  void closingTwiceIsHarmless() {
    server.close();
    server.close();
  }

  private static String fails(Executable call) {
    return assertThrows(SecretProviderException.class, call).getMessage();
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2025-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
