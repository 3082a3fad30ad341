package dev.devflow.agents.llm;

import dev.devflow.agents.llm.LlmSettings.Endpoint;
import dev.devflow.agents.llm.internal.CacheKey;
import dev.devflow.agents.llm.internal.Clients;
import dev.devflow.agents.llm.internal.OpenAiCalls;
import dev.devflow.agents.llm.internal.RetryPolicy;
import dev.devflow.agents.llm.internal.RetryingCall;
import dev.devflow.agents.llm.internal.TenantLimiter;
import dev.devflow.persistence.llm.CachedAnswer;
import dev.devflow.persistence.llm.LlmStore;
import dev.devflow.persistence.llm.LlmUsage;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every model call of DevFlow's agents: an OpenAI-compatible endpoint per tenant, retries with
 * back-off and fallback models, an answer cache, token and cost accounting per tenant, agent and
 * month, monthly budgets, and a limit on calls in flight per tenant.
 *
 * <p>Order of a chat: endpoint configured? → cache (a hit costs nothing, so no budget applies) →
 * budgets (over budget: no HTTP call) → attempts → accounting and cache write. Accounting or cache
 * writes that fail are logged and the answer is still returned: it has been paid for.
 *
 * <p>Thread-safe. Returned stages fail with an {@link LlmException}. All blocking work (HTTP,
 * JDBC) runs on the {@code blocking} executor, never on the caller's thread; completion stages may
 * complete on it too, so callers in actors should pipe the result to themselves.
 */
public final class LlmGateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LlmGateway.class);

  /** Model calls in flight on one node at most, over all tenants; more wait in a queue. */
  static final int MAX_CALLS = 256;

  private final LlmSettings settings;
  private final LlmStore store;
  private final Executor blocking;
  /**
   * Model calls only: each holds its thread for the whole HTTP call (seconds to minutes with a
   * real model), so they must not take the node's blocking dispatcher, which git, the API's JDBC
   * reads and the feed share. The per-tenant limit bounds each tenant; this bounds the node.
   */
  private final ThreadPoolExecutor calls;
  private final Clients clients;
  private final TenantLimiter limiter;
  private final RetryPolicy policy;

  public LlmGateway(LlmSettings settings, LlmStore store, Executor blocking) {
    this.settings = settings;
    this.store = store;
    this.blocking = blocking;
    AtomicInteger n = new AtomicInteger();
    this.calls = new ThreadPoolExecutor(MAX_CALLS, MAX_CALLS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "llm-call-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.calls.allowCoreThreadTimeOut(true);
    this.clients = new Clients(settings.timeout());
    this.limiter = new TenantLimiter(settings.concurrencyPerTenant());
    this.policy = new RetryPolicy(settings.maxAttempts(), settings.backoffMin(), settings.backoffMax());
  }

  /** False when the tenant has no base URL: every call fails with {@link LlmUnconfiguredException}. */
  public boolean configured(String tenant) {
    return settings.endpoint(tenant).configured();
  }

  /** Why calls of the tenant cannot be made, for users; "" when they can. */
  public String unconfiguredReason(String tenant) {
    return configured(tenant) ? "" : "no LLM endpoint configured: set devflow.llm.base-url or DEVFLOW_LLM_BASE_URL"
        + " (or devflow.llm.tenants.\"" + tenant + "\".base-url for this tenant only)";
  }

  public CompletionStage<ChatResult> chat(ChatRequest r) {
    return plainFailure(attemptChat(r));
  }

  private CompletableFuture<ChatResult> attemptChat(ChatRequest r) {
    Endpoint endpoint = settings.endpoint(r.tenant());
    if (!endpoint.configured()) {
      return CompletableFuture.failedFuture(new LlmUnconfiguredException(unconfiguredReason(r.tenant())));
    }
    String agent = agentKey(r.agent());
    List<String> models = models(r.model() == null || r.model().isBlank() ? endpoint.model() : r.model(), endpoint);
    String key = settings.cacheEnabled() && r.useCache()
        ? CacheKey.of(r.tenant(), models.get(0), r.messages(), r.schemaName(), r.schema()) : null;
    String what = "chat " + r.tenant() + "/" + agent;
    return CompletableFuture.supplyAsync(() -> cached(key), blocking).thenCompose(hit -> {
      if (hit.isPresent()) {
        account(() -> store.recordCacheHit(r.tenant(), agent, month(), hit.get().model()), false);
        return CompletableFuture.completedFuture(
            new ChatResult(hit.get().response(), hit.get().model(), 0, 0, 0, true, 0));
      }
      checkBudgets(r.tenant(), agent, r.agentBudgetUsd(), endpoint);
      return new RetryingCall<>(r.tenant(), what, models,
          model -> OpenAiCalls.chat(clients.of(endpoint), model, r.messages(), r.schemaName(), r.schema()),
          policy, settings.timeout(), limiter, calls, redactor(endpoint)).run()
          .thenApply(a -> {
            OpenAiCalls.ChatAnswer answer = a.value();
            double cost = settings.cost(answer.model(), answer.promptTokens(), answer.completionTokens());
            // Under a budget the spend is written before the answer returns, so the caller's next
            // call is checked against it; without one nobody waits for the bookkeeping.
            boolean budgeted = endpoint.monthlyBudgetUsd() > 0 || r.agentBudgetUsd() > 0;
            account(() -> store.recordCall(r.tenant(), agent, month(), answer.model(), answer.promptTokens(),
                answer.completionTokens(), cost), budgeted);
            if (key != null) {
              Instant now = Instant.now();
              account(() -> store.cache(key, new CachedAnswer(answer.model(), answer.content()), now,
                  now.plus(settings.cacheTtl())), true);
            }
            return new ChatResult(answer.content(), answer.model(), answer.promptTokens(), answer.completionTokens(),
                cost, false, a.attempts());
          });
    });
  }

  /**
   * Embeds {@code inputs} with the tenant's embedding model. No fallback model: vectors of two
   * models are not comparable. Counted against the tenant's budget; {@code agent} may be null.
   */
  public CompletionStage<EmbeddingResult> embed(String tenant, String agent, List<String> inputs) {
    return plainFailure(attemptEmbed(tenant, agent, inputs));
  }

  private CompletableFuture<EmbeddingResult> attemptEmbed(String tenant, String agent, List<String> inputs) {
    Endpoint endpoint = settings.endpoint(tenant);
    if (!endpoint.configured()) {
      return CompletableFuture.failedFuture(new LlmUnconfiguredException(unconfiguredReason(tenant)));
    }
    if (inputs.isEmpty()) {
      return CompletableFuture.completedFuture(new EmbeddingResult(List.of(), endpoint.embeddingModel(), 0, 0));
    }
    String agentKey = agentKey(agent);
    List<String> texts = List.copyOf(inputs);
    return CompletableFuture.runAsync(() -> checkBudgets(tenant, agentKey, 0, endpoint), blocking)
        .thenCompose(v -> new RetryingCall<>(tenant, "embed " + tenant + "/" + agentKey,
            List.of(endpoint.embeddingModel()), model -> OpenAiCalls.embed(clients.of(endpoint), model, texts),
            policy, settings.timeout(), limiter, calls, redactor(endpoint)).run())
        .thenApply(a -> {
          OpenAiCalls.EmbedAnswer answer = a.value();
          double cost = settings.cost(answer.model(), answer.promptTokens(), 0);
          account(() -> store.recordCall(tenant, agentKey, month(), answer.model(), answer.promptTokens(), 0, cost),
              endpoint.monthlyBudgetUsd() > 0);
          return new EmbeddingResult(answer.vectors(), answer.model(), answer.promptTokens(), cost);
        });
  }

  /** A tenant's (agent null) or agent's spend in a month. Blocks on the database. */
  public Spend spend(String tenant, String agent, YearMonth month) {
    LlmUsage u = store.usage(tenant, agent, month);
    return new Spend(u.costUsd(), u.promptTokens(), u.completionTokens(), u.calls());
  }

  /** Model calls of the tenant in flight on this node now (at most concurrency-per-tenant). */
  public int inFlight(String tenant) {
    return limiter.inFlight(tenant);
  }

  @Override
  public void close() {
    clients.close();
    calls.shutdownNow();
  }

  /**
   * Fails with the {@link LlmException} itself rather than the CompletionException wrapping it in
   * dependent stages, so callers' handlers see the type they expect; anything unexpected (a
   * refused executor) becomes an LlmException too.
   */
  private static <T> CompletableFuture<T> plainFailure(CompletableFuture<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((value, error) -> {
      if (error == null) {
        out.complete(value);
        return;
      }
      Throwable e = error;
      while (e instanceof CompletionException && e.getCause() != null) {
        e = e.getCause();
      }
      out.completeExceptionally(e instanceof LlmException ? e
          : new LlmException("the LLM gateway failed unexpectedly", "LLM gateway: " + e, e));
    });
    return out;
  }

  private Optional<CachedAnswer> cached(String key) {
    if (key == null) {
      return Optional.empty();
    }
    try {
      return store.cached(key, Instant.now());
    } catch (RuntimeException e) {
      // A cache that cannot be read is a miss, not a failed call.
      log.warn("LLM cache unreadable, asking the model: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** Throws when the month's spend has reached the tenant's or the agent's budget. */
  private void checkBudgets(String tenant, String agent, double agentBudgetUsd, Endpoint endpoint) {
    try {
      YearMonth month = month();
      if (endpoint.monthlyBudgetUsd() > 0) {
        double spent = store.usage(tenant, null, month).costUsd();
        if (spent >= endpoint.monthlyBudgetUsd()) {
          throw new LlmBudgetExceededException("tenant", spent, endpoint.monthlyBudgetUsd());
        }
      }
      if (agentBudgetUsd > 0) {
        double spent = store.usage(tenant, agent, month).costUsd();
        if (spent >= agentBudgetUsd) {
          throw new LlmBudgetExceededException("agent", spent, agentBudgetUsd);
        }
      }
    } catch (LlmException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new LlmException("cannot check the LLM budget: the database is unavailable",
          "cannot read LLM usage of " + tenant + ": " + e.getMessage(), e);
    }
  }

  /** A bookkeeping write: now ({@code wait}), or on the blocking executor without anyone waiting. */
  private void account(Runnable write, boolean wait) {
    Runnable guarded = () -> {
      try {
        write.run();
      } catch (RuntimeException e) {
        log.warn("LLM accounting or cache write failed (the answer was returned anyway): {}", e.getMessage());
      }
    };
    try {
      if (wait) {
        guarded.run();
      } else {
        blocking.execute(guarded);
      }
    } catch (RuntimeException e) {
      log.warn("LLM accounting or cache write refused (the answer was returned anyway): {}", e.getMessage());
    }
  }

  private static List<String> models(String first, Endpoint endpoint) {
    LinkedHashSet<String> models = new LinkedHashSet<>();
    models.add(first);
    models.addAll(endpoint.fallbackModels());
    return new ArrayList<>(models);
  }

  private static String agentKey(String agent) {
    return agent == null ? "" : agent;
  }

  private static YearMonth month() {
    return YearMonth.now(ZoneOffset.UTC);
  }

  private static UnaryOperator<String> redactor(Endpoint endpoint) {
    String key = endpoint.apiKey();
    return key.length() < 8 ? s -> s : s -> s.replace(key, "***");
  }
}
