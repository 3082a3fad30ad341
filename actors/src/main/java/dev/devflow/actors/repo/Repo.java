package dev.devflow.actors.repo;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.eclipse.jgit.lib.Repository;

/**
 * A git repository's metadata and last known refs. Id: {@code tenant/name}. The objects live in
 * {@link GitStorage}; the journal holds the ref moves and a summary of the pushed commits.
 *
 * <p>Pushes are recorded by the git route after JGit has moved the refs. Because a node can die
 * between the ref write and that record, the entity compares the refs on disk with its state every
 * time it starts and persists {@link RefsUpdated} for any difference, so no push is ever lost from
 * the journal.
 */
public final class Repo extends EventSourcedBehaviorWithEnforcedReplies<Repo.Command, Repo.Event, Repo.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Repository");

  /** Number of slice tags ({@code repo-0 … repo-3}) for projections: a persisted contract. */
  public static final int TAG_SLICES = 4;

  /** At most this many commits are kept per ref update; {@code commitCount} has the total. */
  public static final int MAX_COMMITS = 100;

  /** {@code private}: the tenant's tokens only; {@code internal}: also read by any tenant's tokens. */
  public static final List<String> VISIBILITIES = List.of("private", "internal");

  public static String entityId(String tenant, String name) {
    return tenant + "/" + name;
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Create, Get, Delete, RecordRefUpdates, Reconcile, ChangeSettings {}

  public record Create(String defaultBranch, String description, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Sent after a push moved refs on disk. */
  public record RecordRefUpdates(List<RefChange> changes, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * Changes settings; a null field keeps its value. {@code visibility}: {@link #VISIBILITIES};
   * {@code protectedBranches}: branch name patterns ({@code *} matches any characters).
   */
  public record ChangeSettings(
      String description, String visibility, List<String> protectedBranches, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {}

  /** Compare the refs on disk with the state (sent to itself after recovery). */
  public record Reconcile() implements Command {}

  // ---- replies and values ------------------------------------------------------------------

  public record Summary(
      String tenant,
      String name,
      String defaultBranch,
      String description,
      String visibility,
      List<String> protectedBranches,
      Map<String, String> refs,
      Instant createdAt)
      implements CrossNodeMessage {}

  public record CommitInfo(String id, String author, Instant time, String message)
      implements CrossNodeMessage, StoredJson {}

  public record PushedCommits(List<CommitInfo> commits, int count) {}

  /** One ref's move; {@code oldId} null for a new ref, {@code newId} null for a deleted one. */
  public record RefChange(String ref, String oldId, String newId, List<CommitInfo> commits, int commitCount)
      implements CrossNodeMessage, StoredJson {
    public RefChange {
      commits = commits == null ? List.of() : commits;
    }
  }

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson
      permits RepositoryCreated, RefsUpdated, RepositoryDeleted, SettingsChanged {}

  public record RepositoryCreated(
      String tenant, String name, String defaultBranch, String description, String visibility, Instant at)
      implements Event {}

  public record RefsUpdated(List<RefChange> changes, Instant at) implements Event {}

  public record RepositoryDeleted(Instant at) implements Event {}

  /** The settings after the change (every field, not only the changed ones). */
  public record SettingsChanged(String description, String visibility, List<String> protectedBranches, Instant at)
      implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /**
   * {@code name} is null until created and again after deletion. {@code protectedBranches} null
   * means the default: the default branch (snapshots from before the setting existed have none).
   */
  public record State(
      String tenant,
      String name,
      String defaultBranch,
      String description,
      String visibility,
      Map<String, String> refs,
      Instant createdAt,
      List<String> protectedBranches)
      implements StoredJson {

    static State empty() {
      return new State(null, null, null, null, null, Map.of(), null, null);
    }

    boolean exists() {
      return name != null;
    }

    List<String> effectiveProtectedBranches() {
      return protectedBranches == null ? List.of(defaultBranch) : protectedBranches;
    }

    State withRefs(Map<String, String> newRefs) {
      return new State(tenant, name, defaultBranch, description, visibility, newRefs, createdAt, protectedBranches);
    }

    Summary summary() {
      return new Summary(
          tenant, name, defaultBranch, description, visibility, effectiveProtectedBranches(), refs, createdAt);
    }
  }

  /** Whether {@code ref} is a branch matching one of {@code patterns} ({@code *}: any characters). */
  public static boolean isProtected(List<String> patterns, String ref) {
    if (!ref.startsWith("refs/heads/")) {
      return false;
    }
    String branch = ref.substring("refs/heads/".length());
    for (String p : patterns) {
      String regex = Arrays.stream(p.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*"));
      if (branch.matches(regex)) {
        return true;
      }
    }
    return false;
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private final String tenant;
  private final String name;
  private final GitStorage storage;
  private final ActorContext<Command> context;

  private Repo(ActorContext<Command> context, String entityId, GitStorage storage) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), entityId),
        EntityDefaults.ON_PERSIST_FAILURE);
    int slash = entityId.indexOf('/');
    this.tenant = entityId.substring(0, slash);
    this.name = entityId.substring(slash + 1);
    this.storage = storage;
    this.context = context;
  }

  public static Behavior<Command> create(String entityId, GitStorage storage) {
    return Behaviors.setup(ctx -> new Repo(ctx, entityId, storage));
  }

  public static void init(ActorSystem<?> system, GitStorage storage) {
    EntitySharding.init(system, ENTITY_KEY, "repository", ctx -> create(ctx.getEntityId(), storage));
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
    return Set.of("tenant:" + tenant, "repo-" + Math.floorMod(entityId(tenant, name).hashCode(), TAG_SLICES));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.exists()) {
            context.getSelf().tell(new Reconcile());
          }
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> !s.exists())
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Delete.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RecordRefUpdates.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(ChangeSettings.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Reconcile.class, (s, c) -> Effect().noReply());
    b.forState(State::exists)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(),
            Rejection.CONFLICT.reply("repository " + tenant + "/" + name + " exists")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.summary())))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(RecordRefUpdates.class, this::onRecord)
        .onCommand(ChangeSettings.class, this::onChangeSettings)
        .onCommand(Reconcile.class, this::onReconcile);
    return b.build();
  }

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    String branch = c.defaultBranch() == null ? "main" : c.defaultBranch();
    try {
      storage.create(tenant, name, branch);
    } catch (IOException | RuntimeException e) {
      return Effect().reply(c.replyTo(), StatusReply.error("cannot create the repository on disk: " + e.getMessage()));
    }
    return Effect()
        .persist(new RepositoryCreated(tenant, name, branch, c.description(), "private", Instant.now()))
        .thenReply(c.replyTo(), ns -> StatusReply.success(ns.summary()));
  }

  private ReplyEffect<Event, State> onDelete(State s, Delete c) {
    // Storage goes only after the deletion is in the journal: a crash in between leaves a
    // directory that the next create reuses, never a journal that points at nothing.
    return Effect()
        .persist(new RepositoryDeleted(Instant.now()))
        .thenRun(ns -> {
          try {
            storage.delete(tenant, name);
          } catch (IOException e) {
            context.getLog().warn("repository {}/{} deleted, but its directory was not: {}", tenant, name, e.getMessage());
          }
        })
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onChangeSettings(State s, ChangeSettings c) {
    String visibility = c.visibility() == null ? s.visibility() : c.visibility();
    if (!VISIBILITIES.contains(visibility)) {
      return Effect().reply(c.replyTo(), Rejection.INVALID.reply("visibility must be one of " + VISIBILITIES));
    }
    SettingsChanged e = new SettingsChanged(
        c.description() == null ? s.description() : c.description(),
        visibility,
        c.protectedBranches() == null ? s.effectiveProtectedBranches() : List.copyOf(c.protectedBranches()),
        Instant.now());
    return Effect().persist(e).thenReply(c.replyTo(), ns -> StatusReply.success(ns.summary()));
  }

  private ReplyEffect<Event, State> onRecord(State s, RecordRefUpdates c) {
    List<RefChange> changes = new ArrayList<>();
    for (RefChange change : c.changes()) {
      String known = s.refs().get(change.ref());
      boolean same = change.newId() == null ? known == null : change.newId().equals(known);
      if (!same) {
        changes.add(change);
      }
    }
    if (changes.isEmpty()) {
      // Already recorded (a reconcile got there first): idempotent.
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new RefsUpdated(changes, Instant.now())).thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onReconcile(State s, Reconcile c) {
    List<RefChange> changes = new ArrayList<>();
    try (Repository repo = storage.open(tenant, name)) {
      Map<String, String> disk = GitStorage.refs(repo);
      Set<String> all = new TreeSet<>(disk.keySet());
      all.addAll(s.refs().keySet());
      for (String ref : all) {
        String before = s.refs().get(ref);
        String after = disk.get(ref);
        if (after == null) {
          changes.add(new RefChange(ref, before, null, List.of(), 0));
        } else if (!after.equals(before)) {
          PushedCommits pushed = GitStorage.commits(repo, before, after, MAX_COMMITS);
          changes.add(new RefChange(ref, before, after, pushed.commits(), pushed.count()));
        }
      }
    } catch (IOException | RuntimeException e) {
      context.getLog().warn("cannot reconcile {}/{} with its storage: {}", tenant, name, e.getMessage());
      return Effect().noReply();
    }
    if (changes.isEmpty()) {
      return Effect().noReply();
    }
    context.getLog().info("repository {}/{}: recording {} ref change(s) found on disk", tenant, name, changes.size());
    return Effect().persist(new RefsUpdated(changes, Instant.now())).thenNoReply();
  }

  private <T> ReplyEffect<Event, State> notFound(ActorRef<StatusReply<T>> replyTo) {
    return Effect().reply(replyTo, Rejection.NOT_FOUND.reply("repository " + tenant + "/" + name + " not found"));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(RepositoryCreated.class, (s, e) ->
            new State(e.tenant(), e.name(), e.defaultBranch(), e.description(), e.visibility(), Map.of(), e.at(), null))
        .onEvent(RefsUpdated.class, (s, e) -> {
          Map<String, String> refs = new TreeMap<>(s.refs());
          for (RefChange ch : e.changes()) {
            if (ch.newId() == null) {
              refs.remove(ch.ref());
            } else {
              refs.put(ch.ref(), ch.newId());
            }
          }
          return s.withRefs(new LinkedHashMap<>(refs));
        })
        .onEvent(SettingsChanged.class, (s, e) -> new State(s.tenant(), s.name(), s.defaultBranch(), e.description(),
            e.visibility(), s.refs(), s.createdAt(), e.protectedBranches()))
        .onEvent(RepositoryDeleted.class, (s, e) -> State.empty())
        .build();
  }
}
