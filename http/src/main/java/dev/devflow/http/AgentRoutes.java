package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.Names;
import dev.devflow.actors.tenant.Role;
import dev.devflow.agents.Agent;
import dev.devflow.agents.AgentConfig;
import dev.devflow.agents.TaskRecord;
import dev.devflow.agents.llm.LlmGateway;
import dev.devflow.agents.llm.Spend;
import dev.devflow.persistence.agents.AgentEntry;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.agents.StoredReview;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tenants/{t}/agents/{name}} (API.md "Agents"): configure (PUT, admin: agents spend
 * money), read with status, spend and recent tasks, list; and {@code …/repos/{r}/reviews}, the
 * reviews agents posted, newest first.
 */
public final class AgentRoutes extends ApiDirectives {

  public record PutAgent(String kind, String repo, String model, String instructions, Double monthlyBudgetUsd) {}

  public record SpendView(String month, double costUsd, long promptTokens, long completionTokens, long calls) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AgentView(String name, String kind, String repo, String model, String instructions,
      double monthlyBudgetUsd, String status, String statusReason, int pendingTasks, long reviewsPosted,
      long tasksFailed, SpendView spend, List<TaskRecord> tasks, Instant createdAt, Instant updatedAt) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ReviewView(long id, String agent, String taskId, String repo, String ref, String before,
      String after, JsonNode summary, JsonNode comments, JsonNode skipped, String model, double costUsd,
      Instant createdAt) {}

  static final int MAX_INSTRUCTIONS = 20_000;
  static final int MAX_MODEL = 200;
  private static final int MAX_LIST = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ClusterSharding sharding;
  private final AgentStore store;
  private final LlmGateway gateway;
  private final Executor blocking;
  private final Duration askTimeout;

  public AgentRoutes(ActorSystem<?> system, Authenticator authenticator, AgentStore store, LlmGateway gateway,
      Executor blocking, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.gateway = gateway;
    this.blocking = blocking;
    this.askTimeout = askTimeout;
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    Route collection = label("/api/v1/tenants/{t}/agents", () -> get(() -> scoped(t, Role.READ, () -> list(t))));
    return concat(
        pathPrefix("agents", () -> concat(
            pathEnd(() -> collection),
            path(PathMatchers.segment(), name -> label("/api/v1/tenants/{t}/agents/{name}", () -> concat(
                put(() -> authenticated(p -> audited(p, t, "agent.put", "agents/" + name, () ->
                    tenantScope(p, t, Role.ADMIN, () -> put(t, name))))),
                get(() -> scoped(t, Role.READ, () -> get(t, name)))))))),
        path(PathMatchers.segment("repos").slash(PathMatchers.segment()).slash("reviews"), r ->
            label("/api/v1/tenants/{t}/repos/{r}/reviews", () -> get(() -> scoped(t, Role.READ, () ->
                withRepo(sharding, askTimeout, t, r, repo -> reviews(t, r)))))));
  }

  private Route scoped(String t, Role role, Supplier<Route> inner) {
    return authenticated(p -> tenantScope(p, t, role, inner));
  }

  private Route put(String t, String name) {
    if (!Names.isValid(name)) {
      throw ProblemException.invalid("name", "agent name must match " + Names.PATTERN.pattern());
    }
    return jsonBody(PutAgent.class, body -> {
      AgentConfig config = validate(body);
      CompletionStage<Agent.Summary> configured = repoNamedInBody(sharding, askTimeout, t, config.repo(), "repo")
          .thenCompose(v -> agent(t, name).<Agent.Summary>askWithStatus(
              reply -> new Agent.Configure(config, reply), askTimeout))
          .thenApplyAsync(s -> {
            store.register(new AgentEntry(t, name, config.kind(), config.repo()));
            return s;
          }, blocking);
      return completeAsync(configured, s -> completeAsync(spend(t, name), spend ->
          completeJson(s.created() ? StatusCodes.CREATED : StatusCodes.OK, view(s, spend))));
    });
  }

  private static AgentConfig validate(PutAgent body) {
    if (body.kind() == null || !AgentConfig.KINDS.contains(body.kind())) {
      throw ProblemException.invalid("kind", "unknown agent kind '" + body.kind() + "'; kinds: "
          + String.join(", ", AgentConfig.KINDS));
    }
    if (body.repo() == null || !Names.isValid(body.repo())) {
      throw ProblemException.invalid("repo", "repo is required: the name of one of the tenant's repositories");
    }
    if (body.model() != null && (body.model().isBlank() || body.model().length() > MAX_MODEL)) {
      throw ProblemException.invalid("model", "model must be 1 to " + MAX_MODEL + " characters (or left out for "
          + "the tenant's default)");
    }
    if (body.instructions() != null && body.instructions().length() > MAX_INSTRUCTIONS) {
      throw ProblemException.invalid("instructions", "instructions must be at most " + MAX_INSTRUCTIONS
          + " characters");
    }
    double budget = body.monthlyBudgetUsd() == null ? 0 : body.monthlyBudgetUsd();
    if (!(budget >= 0) || Double.isInfinite(budget)) {
      throw ProblemException.invalid("monthlyBudgetUsd", "monthlyBudgetUsd must be 0 (no budget of its own) or "
          + "more");
    }
    return new AgentConfig(body.kind(), body.repo(), body.model(), body.instructions(), budget);
  }

  private Route get(String t, String name) {
    if (!Names.isValid(name)) {
      throw ProblemException.notFound("agent " + t + "/" + name + " not found");
    }
    return completeAsync(agent(t, name).<Agent.Summary>askWithStatus(Agent.Get::new, askTimeout),
        s -> completeAsync(spend(t, name), spend -> completeJson(StatusCodes.OK, view(s, spend))));
  }

  private Route list(String t) {
    return completeAsync(CompletableFuture.supplyAsync(() -> store.list(t), blocking), agents ->
        completeJson(StatusCodes.OK, Map.of("items", agents.stream()
            .map(a -> Map.of("name", a.name(), "kind", a.kind(), "repo", a.repo())).toList())));
  }

  private Route reviews(String t, String r) {
    return parameterOptional("limit", limitParam -> parameterOptional("cursor", cursorParam -> {
      int limit = number("limit", limitParam, 20);
      if (limit < 1 || limit > MAX_LIST) {
        throw ProblemException.invalid("limit", "limit must be 1 to " + MAX_LIST);
      }
      Long cursor = cursorParam.isEmpty() ? null : (long) number("cursor", cursorParam, 0);
      return completeAsync(CompletableFuture.supplyAsync(() -> store.reviews(t, r, cursor, limit + 1), blocking),
          rows -> {
            Map<String, Object> page = new HashMap<>();
            page.put("items", rows.stream().limit(limit).map(AgentRoutes::view).toList());
            if (rows.size() > limit) {
              page.put("next", String.valueOf(rows.get(limit - 1).id()));
            }
            return completeJson(StatusCodes.OK, page);
          });
    }));
  }

  private static int number(String field, Optional<String> param, int otherwise) {
    try {
      return param.map(Integer::parseInt).orElse(otherwise);
    } catch (NumberFormatException e) {
      throw ProblemException.invalid(field, field + " must be a number");
    }
  }

  private CompletionStage<SpendView> spend(String t, String name) {
    YearMonth month = YearMonth.now(ZoneOffset.UTC);
    return CompletableFuture.supplyAsync(() -> {
      Spend s = gateway.spend(t, name, month);
      return new SpendView(month.toString(), s.costUsd(), s.promptTokens(), s.completionTokens(), s.calls());
    }, blocking);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Agent.Command> agent(String t, String name) {
    return sharding.entityRefFor(Agent.ENTITY_KEY, Agent.entityId(t, name));
  }

  private static AgentView view(Agent.Summary s, SpendView spend) {
    AgentConfig c = s.config();
    return new AgentView(s.name(), c.kind(), c.repo(), c.model(), c.instructions(), c.monthlyBudgetUsd(), s.status(),
        s.statusReason(), s.pending(), s.reviewsPosted(), s.tasksFailed(), spend, s.history(), s.createdAt(),
        s.updatedAt());
  }

  private static ReviewView view(StoredReview r) {
    try {
      JsonNode review = JSON.readTree(r.review());
      return new ReviewView(r.id(), r.agent(), r.taskId(), r.repo(), r.ref(), r.before(), r.after(),
          review.get("summary"), review.get("comments"), review.get("skipped"), r.model(), r.costUsd(),
          r.createdAt());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
