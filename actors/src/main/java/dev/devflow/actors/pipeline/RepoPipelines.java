package dev.devflow.actors.pipeline;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The pipelines of one repository ({@code tenant/repo}): hands out their numbers (1, 2, …) and
 * lists the newest {@value #KEPT}. A number is given once per trigger key, so a trigger that runs
 * again after a crash gets the same number back instead of a second pipeline.
 */
public final class RepoPipelines
    extends EventSourcedBehaviorWithEnforcedReplies<RepoPipelines.Command, RepoPipelines.Event, RepoPipelines.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "RepoPipelines");

  /** Pipelines (and trigger keys) the index keeps; older ones are still readable by number. */
  static final int KEPT = 1000;

  public sealed interface Command extends CrossNodeMessage permits Register, ListRecent {}

  /** Gives {@code entry} a number (or the number this trigger key already has). */
  public record Register(String triggerKey, Entry entry, ActorRef<StatusReply<Long>> replyTo) implements Command {}

  public record ListRecent(int limit, ActorRef<Listing> replyTo) implements Command {}

  /** What the list shows without asking each pipeline. */
  public record Entry(long number, String file, String workflowName, String ref, String sha, String event,
      Instant createdAt) implements StoredJson, CrossNodeMessage {

    Entry withNumber(long n) {
      return new Entry(n, file, workflowName, ref, sha, event, createdAt);
    }
  }

  public record Listing(List<Entry> entries) implements CrossNodeMessage {}

  public sealed interface Event extends StoredJson permits PipelineRegistered {}

  public record PipelineRegistered(String triggerKey, Entry entry) implements Event {}

  /** {@code recent}: newest last, at most {@link #KEPT}; {@code keys}: trigger key → number. */
  public record State(long last, List<Entry> recent, Map<String, Long> keys) implements StoredJson {
    public State {
      recent = recent == null ? List.of() : recent;
      keys = keys == null ? Map.of() : keys;
    }
  }

  private RepoPipelines(String entityId) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId), EntityDefaults.ON_PERSIST_FAILURE);
  }

  public static Behavior<Command> create(String entityId) {
    return new RepoPipelines(entityId);
  }

  public static void init(ActorSystem<?> system) {
    EntitySharding.init(system, ENTITY_KEY, "repo-pipelines", ctx -> create(ctx.getEntityId()));
  }

  @Override
  public State emptyState() {
    return new State(0, List.of(), Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return EntityDefaults.RETENTION;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(ListRecent.class, (s, c) -> {
          List<Entry> newest = new ArrayList<>(s.recent());
          java.util.Collections.reverse(newest);
          return Effect().reply(c.replyTo(), new Listing(List.copyOf(newest.subList(0, Math.min(c.limit(), newest.size())))));
        })
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State s, Register c) {
    Long known = s.keys().get(c.triggerKey());
    if (known != null) {
      return Effect().reply(c.replyTo(), StatusReply.success(known));
    }
    Entry entry = c.entry().withNumber(s.last() + 1);
    return Effect().persist(new PipelineRegistered(c.triggerKey(), entry))
        .thenReply(c.replyTo(), ns -> StatusReply.success(entry.number()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(PipelineRegistered.class, (s, e) -> {
      List<Entry> recent = new ArrayList<>(s.recent());
      recent.add(e.entry());
      Map<String, Long> keys = new LinkedHashMap<>(s.keys());
      keys.put(e.triggerKey(), e.entry().number());
      while (recent.size() > KEPT) {
        recent.remove(0);
      }
      while (keys.size() > KEPT) {
        keys.remove(keys.keySet().iterator().next());
      }
      return new State(e.entry().number(), recent, keys);
    }).build();
  }
}
