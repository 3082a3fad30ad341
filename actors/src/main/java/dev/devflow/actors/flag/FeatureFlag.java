package dev.devflow.actors.flag;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A feature flag of a tenant. Id: {@code tenant/key}. Every change bumps {@code version}. The
 * definition is checked before it gets here (the API validates it against Unleash's rules).
 *
 * <p>Nodes never ask this entity to evaluate: its events reach every node through the tenant feed
 * ({@code flag.changed}, carrying the whole definition), where {@code FlagCatalog} keeps them.
 */
public final class FeatureFlag
    extends EventSourcedBehaviorWithEnforcedReplies<FeatureFlag.Command, FeatureFlag.Event, FeatureFlag.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "FeatureFlag");

  /** Number of slice tags ({@code flag-0 … flag-3}): a persisted contract. */
  public static final int TAG_SLICES = 4;

  public static String entityId(String tenant, String key) {
    return tenant + "/" + key;
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage permits Define, Get, Archive {}

  /** Creates the flag, or replaces its definition (an archived flag comes back). */
  public record Define(FlagDefinition definition, ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Archive(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  // ---- replies -----------------------------------------------------------------------------

  /** {@code created}: this Define made a new flag (for 201 rather than 200). */
  public record Summary(
      String tenant, String key, FlagDefinition definition, long version, boolean created, Instant createdAt,
      Instant updatedAt)
      implements CrossNodeMessage {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson permits FlagDefined, FlagToggled, FlagArchived {}

  public record FlagDefined(String tenant, String key, FlagDefinition definition, long version, Instant at)
      implements Event {}

  /**
   * Only {@code enabled} changed. The resulting definition travels along so that every event
   * alone says what the flag now is (the feed and the nodes' catalogs need no history).
   */
  public record FlagToggled(boolean enabled, FlagDefinition definition, long version, Instant at) implements Event {}

  public record FlagArchived(long version, Instant at) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /** {@code definition} null: never defined, or archived. */
  public record State(FlagDefinition definition, long version, Instant createdAt, Instant updatedAt)
      implements StoredJson {

    static State empty() {
      return new State(null, 0, null, null);
    }

    boolean active() {
      return definition != null;
    }
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private final String tenant;
  private final String key;

  private FeatureFlag(String entityId) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId), EntityDefaults.ON_PERSIST_FAILURE);
    int slash = entityId.indexOf('/');
    this.tenant = entityId.substring(0, slash);
    this.key = entityId.substring(slash + 1);
  }

  public static Behavior<Command> create(String entityId) {
    return new FeatureFlag(entityId);
  }

  public static void init(ActorSystem<?> system) {
    EntitySharding.init(system, ENTITY_KEY, "feature-flag", ctx -> create(ctx.getEntityId()));
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return EntityDefaults.RETENTION;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of("tenant:" + tenant, "flag-" + Math.floorMod(entityId(tenant, key).hashCode(), TAG_SLICES));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forAnyState()
        .onCommand(Define.class, this::onDefine)
        .onCommand(Get.class, (s, c) -> s.active()
            ? Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)))
            : Effect().reply(c.replyTo(), notFound()))
        .onCommand(Archive.class, this::onArchive);
    return b.build();
  }

  private ReplyEffect<Event, State> onDefine(State s, Define c) {
    Instant now = Instant.now();
    boolean created = !s.active();
    if (s.active() && s.definition().equals(c.definition())) {
      return Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)));
    }
    Event e = s.active() && s.definition().withEnabled(c.definition().enabled()).equals(c.definition())
        ? new FlagToggled(c.definition().enabled(), c.definition(), s.version() + 1, now)
        : new FlagDefined(tenant, key, c.definition(), s.version() + 1, now);
    return Effect().persist(e).thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns, created)));
  }

  private ReplyEffect<Event, State> onArchive(State s, Archive c) {
    if (!s.active()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    return Effect().persist(new FlagArchived(s.version() + 1, Instant.now())).thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private Summary summary(State s, boolean created) {
    return new Summary(tenant, key, s.definition(), s.version(), created, s.createdAt(), s.updatedAt());
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.NOT_FOUND.reply("flag " + tenant + "/" + key + " not found");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FlagDefined.class, (s, e) ->
            new State(e.definition(), e.version(), s.active() ? s.createdAt() : e.at(), e.at()))
        .onEvent(FlagToggled.class, (s, e) ->
            new State(e.definition(), e.version(), s.createdAt(), e.at()))
        .onEvent(FlagArchived.class, (s, e) -> new State(null, e.version(), null, e.at()))
        .build();
  }
}
