package dev.devflow.agents.llm.internal;

import dev.devflow.agents.llm.LlmBadResponseException;
import dev.devflow.agents.llm.LlmCallFailedException;
import dev.devflow.agents.llm.LlmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway call's attempts: each model in turn, each up to the policy's attempts, every HTTP
 * call holding one of the tenant's permits (released during back-off, so waiting calls do not
 * block others). Each attempt runs on the blocking executor; back-off waits on a timer, not a
 * thread.
 *
 * <p>The outcome is the value with the model that gave it and the HTTP calls made, or an
 * {@link LlmException}: {@link LlmBadResponseException} when the last model's last answer was
 * unusable, else {@link LlmCallFailedException}; both name the last error of each model tried.
 *
 * @param <T> the blocking call's result
 */
public final class RetryingCall<T> {

  private static final Logger log = LoggerFactory.getLogger(RetryingCall.class);

  /** An answer with the model that gave it and the HTTP calls it took over all models. */
  public record Answer<T>(T value, String model, int attempts) {}

  private final String tenant;
  private final String what;
  private final List<String> models;
  private final Function<String, T> call;
  private final RetryPolicy policy;
  private final Duration timeout;
  private final TenantLimiter limiter;
  private final Executor blocking;
  private final UnaryOperator<String> redact;
  private final CompletableFuture<Answer<T>> result = new CompletableFuture<>();
  private final Map<String, String> errors = new LinkedHashMap<>();
  private int modelIndex;
  private int attemptOnModel;
  private int attempts;

  /**
   * @param what   names the call in logs, e.g. "chat acme/reviewer"
   * @param call   one blocking HTTP call to the given model
   * @param redact removes secrets (the API key) from error texts
   */
  public RetryingCall(String tenant, String what, List<String> models, Function<String, T> call, RetryPolicy policy,
      Duration timeout, TenantLimiter limiter, Executor blocking, UnaryOperator<String> redact) {
    this.tenant = tenant;
    this.what = what;
    this.models = List.copyOf(models);
    this.call = call;
    this.policy = policy;
    this.timeout = timeout;
    this.limiter = limiter;
    this.blocking = blocking;
    this.redact = redact;
  }

  public CompletableFuture<Answer<T>> run() {
    attempt();
    return result;
  }

  // Attempts of one call never overlap, so the mutable fields are only touched by one thread at a
  // time, and the futures chaining them publish the writes safely.
  private void attempt() {
    String model = models.get(modelIndex);
    limiter.acquire(tenant).thenAccept(permit -> {
      try {
        blocking.execute(() -> callWith(permit, model));
      } catch (RuntimeException e) {
        // The executor refused the task (shutting down): nothing will run it, so give back the
        // permit here and end the call.
        permit.release();
        result.completeExceptionally(new LlmCallFailedException("the LLM gateway is shutting down",
            what + ": cannot schedule the call: " + e, e));
      }
    });
  }

  private void callWith(TenantLimiter.Permit permit, String model) {
    T value;
    try {
      attempts++;
      attemptOnModel++;
      value = call.apply(model);
    } catch (Throwable t) {
      permit.release();
      failed(model, Failure.of(t, timeout));
      return;
    }
    permit.release();
    result.complete(new Answer<>(value, model, attempts));
  }

  private void failed(String model, Failure f) {
    String description = redact.apply(f.description());
    errors.put(model, description);
    boolean again = switch (f.kind()) {
      case RETRY -> attemptOnModel < policy.maxAttempts();
      // An unusable answer may be a proxy's hiccup: once more, then another model.
      case BAD_RESPONSE -> attemptOnModel < Math.min(2, policy.maxAttempts());
      case NEXT_MODEL, FATAL -> false;
    };
    if (again) {
      Duration delay = policy.delay(attemptOnModel, f.retryAfter());
      log.info("{} on {}: attempt {} failed ({}); again in {} ms", what, model, attemptOnModel, description,
          delay.toMillis());
      // The timer thread only hands over: attempt() schedules the call itself on the executor.
      CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS).execute(this::attempt);
      return;
    }
    if (f.kind() != Failure.Kind.FATAL && modelIndex + 1 < models.size()) {
      modelIndex++;
      attemptOnModel = 0;
      log.warn("{}: giving up on {} ({}); falling back to {}", what, model, description, models.get(modelIndex));
      attempt();
      return;
    }
    String all = errors.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
        .collect(Collectors.joining("; "));
    String message = what + " failed after " + attempts + " attempt(s): " + all;
    log.warn(message);
    result.completeExceptionally(f.kind() == Failure.Kind.BAD_RESPONSE
        ? new LlmBadResponseException(description, message, f.cause())
        : new LlmCallFailedException(f.kind() == Failure.Kind.FATAL
            ? "the LLM endpoint refused the request: " + description
            : "the LLM call failed: " + description, message, f.cause()));
  }
}
