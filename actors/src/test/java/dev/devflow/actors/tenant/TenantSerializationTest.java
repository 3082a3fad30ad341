package dev.devflow.actors.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.devflow.actors.SerializationFixtures;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Persisted Tenant events must keep reading after the code changes. Each fixture in
 * {@code serialization/tenant/} holds bytes a serializer wrote (serializer id, manifest, payload)
 * and the value they must read as. Fixtures are never edited: a new shape gets a new fixture.
 *
 * <p>See {@link SerializationFixtures} for adding fixtures.
 */
class TenantSerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization =
      SerializationExtension.get(Adapter.toClassic(testKit.system()));
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");

  /** Fixture name → the value it must read as. */
  private static final Map<String, Tenant.Event> CURRENT =
      Map.of(
          "TenantCreated.v1", new Tenant.TenantCreated("acme", "Acme Inc", Plan.TEAM, AT),
          "DisplayNameChanged.v1", new Tenant.DisplayNameChanged("ACME", AT),
          "PlanChanged.v1", new Tenant.PlanChanged(Plan.FREE, Plan.ENTERPRISE, AT),
          "TokenIssued.v1",
              new Tenant.TokenIssued("a3c2ce73a031", "ci", Role.WRITE, "ab".repeat(32), AT),
          "TokenRevoked.v1", new Tenant.TokenRevoked("a3c2ce73a031", AT),
          "SecretChanged.v1", new Tenant.SecretChanged("web", "NPM_TOKEN", false, "a3c2ce73a031", "ci", AT));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyCurrentEventReadsFromItsFixture() throws IOException {
    SerializationFixtures.verify(serialization, "tenant", CURRENT);
  }

  @Test
  void tenantCreatedWrittenBeforeDisplayNameExistedStillReads() throws IOException {
    // Hand-made "v0": the shape before displayName was added.
    assertEquals(new Tenant.TenantCreated("acme", "acme", Plan.FREE, AT), read("TenantCreated.v0"));
  }

  @Test
  void eventsFromANewerNodeWithExtraFieldsStillRead() throws IOException {
    assertEquals(new Tenant.TokenRevoked("a3c2ce73a031", AT), read("TokenRevoked.with-unknown-field"));
  }

  @Test
  void eventsAndSnapshotsUseJsonNotKryoOrJava() {
    assertEquals("JacksonJsonSerializer", serializerName(CURRENT.get("TenantCreated.v1")));
    Tenant.State state =
        new Tenant.State("acme", "Acme", Plan.FREE, AT,
            Map.of("t1", new Tenant.Token("t1", "ci", Role.READ, "ab", AT, null)));
    assertEquals("JacksonJsonSerializer", serializerName(state));
    assertEquals(state, roundTrip(state));
  }

  @Test
  void everyCrossNodeMessageRoundTripsThroughKryo() {
    TestProbe<Object> probe = testKit.createTestProbe();
    var ref = probe.ref().<Object>unsafeUpcast();
    Tenant.TokenInfo info = new Tenant.TokenInfo("id1", "ci", Role.RUNNER, AT);
    List<Object> messages =
        List.of(
            new Tenant.Create("Acme", Plan.TEAM, ref.unsafeUpcast()),
            new Tenant.Create(null, null, ref.unsafeUpcast()),
            new Tenant.Get(ref.unsafeUpcast()),
            new Tenant.Update(null, Plan.FREE, ref.unsafeUpcast()),
            new Tenant.IssueToken("ci", Role.ADMIN, ref.unsafeUpcast()),
            new Tenant.ListTokens(ref.unsafeUpcast()),
            new Tenant.RevokeToken("id1", ref.unsafeUpcast()),
            new Tenant.Authenticate("id1", "ab", ref.unsafeUpcast()),
            new Tenant.RecordSecretChange("", "NPM_TOKEN", true, "id1", "ci", ref.unsafeUpcast()),
            new Tenant.Summary("acme", "Acme", Plan.ENTERPRISE, AT),
            info,
            new Tenant.IssuedToken(info, "dft_acme_id1_secret"),
            new Tenant.TokenList(List.of(info, info)),
            new Tenant.TokenList(List.of()),
            new Tenant.AuthResult(true, Role.READ, "ci", Plan.FREE),
            Tenant.AuthResult.INVALID);
    for (Object m : messages) {
      assertEquals("KryoSerializer", serializerName(m), m.getClass().getName());
      assertEquals(m, roundTrip(m), m.getClass().getName());
    }
  }

  @Test
  void kryoRefusesClassesThatAreNotRegistered() {
    record Unlisted(String x) implements dev.devflow.persistence.serialization.CrossNodeMessage {}
    assertThrows(Exception.class, () -> serialization.serialize(new Unlisted("x")).get());
  }

  private static String serializerName(Object o) {
    return serialization.findSerializerFor(o).getClass().getSimpleName();
  }

  private static Object roundTrip(Object o) {
    byte[] bytes = serialization.serialize(o).get();
    var s = serialization.findSerializerFor(o);
    return serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, o)).get();
  }

  private static Object read(String fixture) throws IOException {
    return SerializationFixtures.read(serialization, "tenant", fixture);
  }
}
