package dev.devflow.actors.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.devflow.actors.Rejection;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The FeatureFlag entity: define, toggle, archive, versions, and what each change persists. */
class FeatureFlagTest {

  private static final ActorTestKit testKit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  static final FlagDefinition ROLLOUT = new FlagDefinition(true, "new checkout", "team",
      List.of(new FlagDefinition.Strategy("flexibleRollout", Map.of("rollout", "50", "stickiness", "default"),
          List.of(), List.of(), List.of())),
      List.of(new FlagDefinition.Variant("control", 500, null, null, null, null),
          new FlagDefinition.Variant("blue", 500, null, null, new FlagDefinition.Payload("string", "b"), null)));

  private EventSourcedBehaviorTestKit<FeatureFlag.Command, FeatureFlag.Event, FeatureFlag.State> flag;

  @BeforeEach
  void fresh() {
    flag = EventSourcedBehaviorTestKit.create(testKit.system(), FeatureFlag.create("acme/new-checkout"));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<FeatureFlag.Command, FeatureFlag.Event, FeatureFlag.State,
      StatusReply<FeatureFlag.Summary>> define(FlagDefinition d) {
    return flag.runCommand(r -> new FeatureFlag.Define(d, r));
  }

  @Test
  void firstDefinitionCreatesVersionOne() {
    var r = define(ROLLOUT);
    FeatureFlag.FlagDefined e = r.eventOfType(FeatureFlag.FlagDefined.class);
    assertEquals(1, e.version());
    assertEquals("acme", e.tenant());
    assertEquals("new-checkout", e.key());
    assertTrue(r.reply().getValue().created());
    assertEquals(ROLLOUT, r.reply().getValue().definition());
  }

  @Test
  void onlyEnabledChangedIsAToggleAndEveryChangeBumpsTheVersion() {
    define(ROLLOUT);
    var off = define(ROLLOUT.withEnabled(false));
    FeatureFlag.FlagToggled t = off.eventOfType(FeatureFlag.FlagToggled.class);
    assertFalse(t.enabled());
    assertEquals(2, t.version());
    assertFalse(off.reply().getValue().created());
    var redefined = define(new FlagDefinition(false, "other", null, List.of(), List.of()));
    assertEquals(3, redefined.eventOfType(FeatureFlag.FlagDefined.class).version());
  }

  @Test
  void anUnchangedDefinitionPersistsNothing() {
    define(ROLLOUT);
    var same = define(ROLLOUT);
    assertTrue(same.hasNoEvents());
    assertEquals(1, same.reply().getValue().version());
  }

  @Test
  void archiveHidesTheFlagAndADefinitionBringsItBack() {
    var missing = flag.<StatusReply<Done>>runCommand(FeatureFlag.Archive::new);
    assertEquals(Rejection.NOT_FOUND, Rejection.of(missing.reply().getError()));
    define(ROLLOUT);
    var archived = flag.<StatusReply<Done>>runCommand(FeatureFlag.Archive::new);
    assertEquals(2, archived.eventOfType(FeatureFlag.FlagArchived.class).version());
    var get = flag.<StatusReply<FeatureFlag.Summary>>runCommand(FeatureFlag.Get::new);
    assertEquals(Rejection.NOT_FOUND, Rejection.of(get.reply().getError()));
    var back = define(ROLLOUT);
    assertEquals(3, back.eventOfType(FeatureFlag.FlagDefined.class).version());
    assertTrue(back.reply().getValue().created());
  }

  @Test
  void stateSurvivesARestart() {
    define(ROLLOUT);
    define(ROLLOUT.withEnabled(false));
    flag.restart();
    var get = flag.<StatusReply<FeatureFlag.Summary>>runCommand(FeatureFlag.Get::new);
    assertEquals(2, get.reply().getValue().version());
    assertFalse(get.reply().getValue().definition().enabled());
  }
}
