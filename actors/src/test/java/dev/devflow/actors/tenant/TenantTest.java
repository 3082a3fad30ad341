package dev.devflow.actors.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.Rejection;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Tenant entity: replies and persisted events for every command. The test kit also checks that
 * every command, event and state round-trips through its configured serializer.
 */
class TenantTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private EventSourcedBehaviorTestKit<Tenant.Command, Tenant.Event, Tenant.State> tenant;

  @BeforeEach
  void fresh() {
    tenant = EventSourcedBehaviorTestKit.create(testKit.system(), Tenant.create("acme"));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private Tenant.Summary create() {
    CommandResultWithReply<Tenant.Command, Tenant.Event, Tenant.State, StatusReply<Tenant.Summary>> r =
        tenant.runCommand(replyTo -> new Tenant.Create("Acme Inc", Plan.TEAM, replyTo));
    return r.reply().getValue();
  }

  private Tenant.IssuedToken issue(String name, Role role) {
    return tenant
        .<StatusReply<Tenant.IssuedToken>>runCommand(replyTo -> new Tenant.IssueToken(name, role, replyTo))
        .reply()
        .getValue();
  }

  @Test
  void createPersistsTenantCreatedAndReplies() {
    var r = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Create("Acme Inc", Plan.TEAM, replyTo));
    assertTrue(r.reply().isSuccess());
    assertEquals("acme", r.reply().getValue().name());
    assertEquals(Plan.TEAM, r.reply().getValue().plan());
    Tenant.TenantCreated e = r.eventOfType(Tenant.TenantCreated.class);
    assertEquals("acme", e.name());
    assertEquals("Acme Inc", e.displayName());
    assertEquals(Plan.TEAM, e.plan());
  }

  @Test
  void createDefaultsToFreePlanAndNameAsDisplayName() {
    var r = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Create(null, null, replyTo));
    assertEquals(Plan.FREE, r.reply().getValue().plan());
    assertEquals("acme", r.reply().getValue().displayName());
  }

  @Test
  void createTwiceIsAConflictAndPersistsNothing() {
    create();
    var r = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Create("Other", Plan.FREE, replyTo));
    assertTrue(r.reply().isError());
    assertEquals(Rejection.CONFLICT, Rejection.of(r.reply().getError()));
    assertTrue(r.hasNoEvents());
    assertEquals("Acme Inc", r.state().displayName());
  }

  @Test
  void commandsOnAMissingTenantAreNotFoundAndCreateNothing() {
    var get = tenant.<StatusReply<Tenant.Summary>>runCommand(Tenant.Get::new);
    assertEquals(Rejection.NOT_FOUND, Rejection.of(get.reply().getError()));
    assertTrue(get.hasNoEvents());
    var issue = tenant.<StatusReply<Tenant.IssuedToken>>runCommand(r -> new Tenant.IssueToken("ci", Role.READ, r));
    assertEquals(Rejection.NOT_FOUND, Rejection.of(issue.reply().getError()));
    assertTrue(issue.hasNoEvents());
    var auth = tenant.<Tenant.AuthResult>runCommand(r -> new Tenant.Authenticate("x", "y", r));
    assertFalse(auth.reply().valid());
    assertFalse(tenant.getState().exists());
  }

  @Test
  void updateChangesOnlyWhatIsGivenAndDiffers() {
    create();
    var r = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Update(null, Plan.ENTERPRISE, replyTo));
    assertEquals(Plan.ENTERPRISE, r.reply().getValue().plan());
    Tenant.PlanChanged e = r.eventOfType(Tenant.PlanChanged.class);
    assertEquals(Plan.TEAM, e.from());
    assertEquals(Plan.ENTERPRISE, e.to());

    var same = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Update("Acme Inc", Plan.ENTERPRISE, replyTo));
    assertTrue(same.hasNoEvents());

    var rename = tenant.<StatusReply<Tenant.Summary>>runCommand(replyTo -> new Tenant.Update("ACME", null, replyTo));
    assertEquals("ACME", rename.eventOfType(Tenant.DisplayNameChanged.class).displayName());
    assertEquals(Plan.ENTERPRISE, rename.state().plan());
  }

  @Test
  void issuedTokenIsPersistedAsAHashOnly() {
    create();
    var r = tenant.<StatusReply<Tenant.IssuedToken>>runCommand(replyTo -> new Tenant.IssueToken("ci", Role.WRITE, replyTo));
    Tenant.IssuedToken issued = r.reply().getValue();
    Tenant.TokenIssued e = r.eventOfType(Tenant.TokenIssued.class);
    assertTrue(issued.token().startsWith("dft_acme_" + e.tokenId() + "_"));
    assertEquals(Tokens.hash(issued.token()), e.tokenHash());
    assertFalse(e.toString().contains(issued.token()), "the clear token must not be in the event");
    assertEquals(Role.WRITE, e.role());
    assertEquals("ci", e.name());
  }

  @Test
  void authenticateAcceptsTheIssuedTokenOnlyUntilRevoked() {
    create();
    Tenant.IssuedToken issued = issue("ci", Role.READ);
    Tokens.Parsed parsed = Tokens.parseTenantToken(issued.token()).orElseThrow();
    assertEquals(issued.info().id(), parsed.tokenId());

    var ok = tenant.<Tenant.AuthResult>runCommand(r -> new Tenant.Authenticate(parsed.tokenId(), parsed.hash(), r));
    assertTrue(ok.reply().valid());
    assertEquals(Role.READ, ok.reply().role());
    assertTrue(ok.hasNoEvents());

    var wrongSecret =
        tenant.<Tenant.AuthResult>runCommand(r -> new Tenant.Authenticate(parsed.tokenId(), Tokens.hash(issued.token() + "x"), r));
    assertFalse(wrongSecret.reply().valid());

    var revoke = tenant.<StatusReply<Done>>runCommand(r -> new Tenant.RevokeToken(parsed.tokenId(), r));
    assertTrue(revoke.reply().isSuccess());
    assertEquals(parsed.tokenId(), revoke.eventOfType(Tenant.TokenRevoked.class).tokenId());

    var after = tenant.<Tenant.AuthResult>runCommand(r -> new Tenant.Authenticate(parsed.tokenId(), parsed.hash(), r));
    assertFalse(after.reply().valid());
  }

  @Test
  void revokingAnUnknownOrRevokedTokenIsNotFound() {
    create();
    var unknown = tenant.<StatusReply<Done>>runCommand(r -> new Tenant.RevokeToken("nope", r));
    assertEquals(Rejection.NOT_FOUND, Rejection.of(unknown.reply().getError()));
    assertTrue(unknown.hasNoEvents());
    String id = issue("ci", Role.READ).info().id();
    tenant.<StatusReply<Done>>runCommand(r -> new Tenant.RevokeToken(id, r));
    var twice = tenant.<StatusReply<Done>>runCommand(r -> new Tenant.RevokeToken(id, r));
    assertEquals(Rejection.NOT_FOUND, Rejection.of(twice.reply().getError()));
  }

  @Test
  void listShowsActiveTokensInIssueOrderWithoutSecrets() {
    create();
    Tenant.IssuedToken a = issue("a", Role.READ);
    Tenant.IssuedToken b = issue("b", Role.ADMIN);
    issue("c", Role.WRITE);
    tenant.<StatusReply<Done>>runCommand(r -> new Tenant.RevokeToken(b.info().id(), r));
    List<Tenant.TokenInfo> list =
        tenant.<StatusReply<Tenant.TokenList>>runCommand(Tenant.ListTokens::new).reply().getValue().tokens();
    assertEquals(List.of("a", "c"), list.stream().map(Tenant.TokenInfo::name).toList());
    assertEquals(a.info(), list.get(0));
  }

  @Test
  void stateSurvivesARestart() {
    create();
    Tenant.IssuedToken issued = issue("ci", Role.ADMIN);
    tenant.restart();
    Tokens.Parsed p = Tokens.parseTenantToken(issued.token()).orElseThrow();
    var r = tenant.<Tenant.AuthResult>runCommand(replyTo -> new Tenant.Authenticate(p.tokenId(), p.hash(), replyTo));
    assertTrue(r.reply().valid());
    assertEquals(Role.ADMIN, r.reply().role());
    assertEquals(Plan.TEAM, tenant.getState().plan());
  }

  @Test
  void eachTokenGetsItsOwnIdAndSecret() {
    create();
    Tenant.IssuedToken a = issue("same", Role.READ);
    Tenant.IssuedToken b = issue("same", Role.READ);
    assertNotEquals(a.info().id(), b.info().id());
    assertNotEquals(a.token(), b.token());
    assertInstanceOf(Tenant.State.class, tenant.getState());
    assertEquals(2, tenant.getState().tokens().size());
  }
}
