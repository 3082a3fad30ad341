package dev.devflow.actors.tenant;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * A tenant: its plan, display name and API tokens (hashes only). Id: the tenant name.
 *
 * <p>Commands on a tenant that was never created are rejected as not found, so asking for a name
 * creates nothing. Issuing a token generates its secret here and persists only the hash; the clear
 * token exists in the reply alone. {@link Authenticate} answers from memory, without persisting.
 */
public final class Tenant
    extends EventSourcedBehaviorWithEnforcedReplies<Tenant.Command, Tenant.Event, Tenant.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Tenant");

  /** Number of slice tags ({@code tenant-0 … tenant-3}) for projections: a persisted contract. */
  public static final int TAG_SLICES = 4;

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Create, Get, Update, IssueToken, ListTokens, RevokeToken, RecordSecretChange, Authenticate {}

  public record Create(String displayName, Plan plan, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  /** Changes what is non-null. */
  public record Update(String displayName, Plan plan, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {}

  public record IssueToken(String name, Role role, ActorRef<StatusReply<IssuedToken>> replyTo)
      implements Command {}

  public record ListTokens(ActorRef<StatusReply<TokenList>> replyTo) implements Command {}

  public record RevokeToken(String tokenId, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Checks a token by id and hash; never persists anything. */
  /**
   * Records that a secret was stored or deleted (by the node that wrote the encrypted table), so
   * the change reaches the feed as {@code secret.changed}. Never carries the value.
   *
   * @param repo empty for the tenant tier
   */
  public record RecordSecretChange(
      String repo, String name, boolean deleted, String byTokenId, String byName, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record Authenticate(String tokenId, String tokenHash, ActorRef<AuthResult> replyTo)
      implements Command {}

  // ---- replies -----------------------------------------------------------------------------

  public record Summary(String name, String displayName, Plan plan, Instant createdAt)
      implements CrossNodeMessage {}

  public record TokenInfo(String id, String name, Role role, Instant createdAt)
      implements CrossNodeMessage {}

  public record IssuedToken(TokenInfo info, String token) implements CrossNodeMessage {}

  public record TokenList(List<TokenInfo> tokens) implements CrossNodeMessage {}

  /** {@code role} and {@code tokenName} are null when the token is not valid. */
  public record AuthResult(boolean valid, Role role, String tokenName, Plan plan)
      implements CrossNodeMessage {
    static final AuthResult INVALID = new AuthResult(false, null, null, null);
  }

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson
      permits TenantCreated, DisplayNameChanged, PlanChanged, TokenIssued, TokenRevoked, SecretChanged {}

  /** Events written before displayName existed read with the name as display name. */
  public record TenantCreated(String name, String displayName, Plan plan, Instant at)
      implements Event {
    public TenantCreated {
      displayName = displayName == null ? name : displayName;
    }
  }

  public record DisplayNameChanged(String displayName, Instant at) implements Event {}

  public record PlanChanged(Plan from, Plan to, Instant at) implements Event {}

  public record TokenIssued(String tokenId, String name, Role role, String tokenHash, Instant at)
      implements Event {}

  public record TokenRevoked(String tokenId, Instant at) implements Event {}

  /** A secret's metadata changed: the feed's {@code secret.changed}; the value is never here. */
  public record SecretChanged(String repo, String name, boolean deleted, String byTokenId, String byName, Instant at)
      implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /** A token as the tenant remembers it; {@code revokedAt} is null while it is active. */
  public record Token(
      String id, String name, Role role, String hash, Instant createdAt, Instant revokedAt) {
    boolean active() {
      return revokedAt == null;
    }

    TokenInfo info() {
      return new TokenInfo(id, name, role, createdAt);
    }
  }

  /** {@code name} is null until the tenant is created. Tokens keep their issue order. */
  public record State(
      String name, String displayName, Plan plan, Instant createdAt, Map<String, Token> tokens)
      implements StoredJson {

    static State empty() {
      return new State(null, null, null, null, Map.of());
    }

    boolean exists() {
      return name != null;
    }

    Summary summary() {
      return new Summary(name, displayName, plan, createdAt);
    }

    State withTokens(Map<String, Token> changed) {
      return new State(name, displayName, plan, createdAt, changed);
    }
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private final String tenant;

  private Tenant(String tenant) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), tenant),
        EntityDefaults.ON_PERSIST_FAILURE);
    this.tenant = tenant;
  }

  public static Behavior<Command> create(String tenant) {
    return new Tenant(tenant);
  }

  /** Starts sharding for tenants (settings: {@code devflow.sharding.tenant}). */
  public static void init(ActorSystem<?> system) {
    EntitySharding.init(system, ENTITY_KEY, "tenant", ctx -> create(ctx.getEntityId()));
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
    return Set.of("tenant:" + tenant, "tenant-" + Math.floorMod(tenant.hashCode(), TAG_SLICES));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> !s.exists())
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Update.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(IssueToken.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(ListTokens.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RevokeToken.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RecordSecretChange.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Authenticate.class, (s, c) -> Effect().reply(c.replyTo(), AuthResult.INVALID));
    b.forState(State::exists)
        .onCommand(
            Create.class,
            (s, c) ->
                Effect()
                    .reply(
                        c.replyTo(), Rejection.CONFLICT.reply("tenant " + tenant + " exists")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.summary())))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(IssueToken.class, this::onIssueToken)
        .onCommand(ListTokens.class, this::onListTokens)
        .onCommand(RevokeToken.class, this::onRevokeToken)
        .onCommand(RecordSecretChange.class, (s, c) -> Effect()
            .persist(new SecretChanged(c.repo(), c.name(), c.deleted(), c.byTokenId(), c.byName(), Instant.now()))
            .thenReply(c.replyTo(), ns -> StatusReply.ack()))
        .onCommand(Authenticate.class, this::onAuthenticate);
    return b.build();
  }

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    String displayName = c.displayName() == null ? tenant : c.displayName();
    Plan plan = c.plan() == null ? Plan.FREE : c.plan();
    return Effect()
        .persist(new TenantCreated(tenant, displayName, plan, Instant.now()))
        .thenReply(c.replyTo(), ns -> StatusReply.success(ns.summary()));
  }

  private ReplyEffect<Event, State> onUpdate(State s, Update c) {
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>(2);
    if (c.displayName() != null && !c.displayName().equals(s.displayName())) {
      events.add(new DisplayNameChanged(c.displayName(), now));
    }
    if (c.plan() != null && c.plan() != s.plan()) {
      events.add(new PlanChanged(s.plan(), c.plan(), now));
    }
    if (events.isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.success(s.summary()));
    }
    return Effect()
        .persist(events)
        .thenReply(c.replyTo(), ns -> StatusReply.success(ns.summary()));
  }

  private ReplyEffect<Event, State> onIssueToken(State s, IssueToken c) {
    String id = Tokens.newTokenId();
    while (s.tokens().containsKey(id)) {
      id = Tokens.newTokenId();
    }
    String token = Tokens.newTenantToken(tenant, id);
    TokenIssued issued = new TokenIssued(id, c.name(), c.role(), Tokens.hash(token), Instant.now());
    TokenInfo info = new TokenInfo(id, c.name(), c.role(), issued.at());
    return Effect()
        .persist(issued)
        .thenReply(c.replyTo(), ns -> StatusReply.success(new IssuedToken(info, token)));
  }

  private ReplyEffect<Event, State> onListTokens(State s, ListTokens c) {
    List<TokenInfo> active =
        s.tokens().values().stream()
            .filter(Token::active)
            .sorted(Comparator.comparing(Token::createdAt))
            .map(Token::info)
            .toList();
    return Effect().reply(c.replyTo(), StatusReply.success(new TokenList(active)));
  }

  private ReplyEffect<Event, State> onRevokeToken(State s, RevokeToken c) {
    Token t = s.tokens().get(c.tokenId());
    if (t == null || !t.active()) {
      return notFound(c.replyTo(), "token " + c.tokenId() + " not found");
    }
    return Effect()
        .persist(new TokenRevoked(c.tokenId(), Instant.now()))
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onAuthenticate(State s, Authenticate c) {
    Token t = s.tokens().get(c.tokenId());
    if (t == null || !t.active() || !Tokens.sameHash(t.hash(), c.tokenHash())) {
      return Effect().reply(c.replyTo(), AuthResult.INVALID);
    }
    return Effect().reply(c.replyTo(), new AuthResult(true, t.role(), t.name(), s.plan()));
  }

  private <T> ReplyEffect<Event, State> notFound(ActorRef<StatusReply<T>> replyTo) {
    return notFound(replyTo, "tenant " + tenant + " not found");
  }

  private <T> ReplyEffect<Event, State> notFound(ActorRef<StatusReply<T>> replyTo, String detail) {
    return Effect().reply(replyTo, Rejection.NOT_FOUND.reply(detail));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            TenantCreated.class,
            (s, e) -> new State(e.name(), e.displayName(), e.plan(), e.at(), Map.of()))
        .onEvent(
            DisplayNameChanged.class,
            (s, e) -> new State(s.name(), e.displayName(), s.plan(), s.createdAt(), s.tokens()))
        .onEvent(
            PlanChanged.class,
            (s, e) -> new State(s.name(), s.displayName(), e.to(), s.createdAt(), s.tokens()))
        .onEvent(
            TokenIssued.class,
            (s, e) -> {
              Map<String, Token> tokens = new LinkedHashMap<>(s.tokens());
              tokens.put(
                  e.tokenId(), new Token(e.tokenId(), e.name(), e.role(), e.tokenHash(), e.at(), null));
              return s.withTokens(tokens);
            })
        .onEvent(SecretChanged.class, (s, e) -> s)
        .onEvent(
            TokenRevoked.class,
            (s, e) -> {
              Map<String, Token> tokens = new LinkedHashMap<>(s.tokens());
              tokens.computeIfPresent(
                  e.tokenId(),
                  (id, t) -> new Token(t.id(), t.name(), t.role(), t.hash(), t.createdAt(), e.at()));
              return s.withTokens(tokens);
            })
        .build();
  }
}
