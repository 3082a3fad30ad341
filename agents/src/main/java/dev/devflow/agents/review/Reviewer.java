package dev.devflow.agents.review;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.agents.AgentConfig;
import dev.devflow.agents.AgentStatus;
import dev.devflow.agents.ReviewTask;
import dev.devflow.agents.TaskOutcome;
import dev.devflow.agents.TaskRunner;
import dev.devflow.agents.llm.ChatMessage;
import dev.devflow.agents.llm.ChatRequest;
import dev.devflow.agents.llm.ChatResult;
import dev.devflow.agents.llm.LlmBudgetExceededException;
import dev.devflow.agents.llm.LlmException;
import dev.devflow.agents.llm.LlmGateway;
import dev.devflow.agents.llm.LlmUnconfiguredException;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.agents.StoredReview;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Repository;

/**
 * The reviewer agent's work for one push: the diff from JGit in chunks that fit the model, one
 * structured-output call per chunk (plus one repair attempt when the answer does not parse or
 * names lines that are not in the diff), the chunk reviews merged and stored. Model and gateway
 * failures end the task with a reason and the status the agent should take; anything else is a
 * crash, and the worker's supervisor runs the task again.
 */
public final class Reviewer implements TaskRunner {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final LlmGateway gateway;
  private final GitStorage git;
  private final AgentStore store;
  private final DiffLimits limits;
  private final Executor blocking;

  public Reviewer(LlmGateway gateway, GitStorage git, AgentStore store, DiffLimits limits, Executor blocking) {
    this.gateway = gateway;
    this.git = git;
    this.store = store;
    this.limits = limits;
    this.blocking = blocking;
  }

  @Override
  public String unconfiguredReason(String tenant) {
    return gateway.configured(tenant) ? null : gateway.unconfiguredReason(tenant);
  }

  @Override
  public CompletionStage<TaskOutcome> run(String tenant, String agent, AgentConfig config, ReviewTask task) {
    return CompletableFuture.supplyAsync(() -> diff(tenant, task), blocking).thenCompose(plan -> {
      if (plan == null) {
        return CompletableFuture.completedFuture(new TaskOutcome.Failed("cannot read " + task.before() + ".."
            + task.after() + " in " + task.repo() + ": the commits are not in the repository", AgentStatus.FAILING, 0));
      }
      return reviewChunks(tenant, agent, config, task, plan, 0, new ArrayList<>(), new Cost())
          .thenApplyAsync(outcome -> {
            if (outcome instanceof TaskOutcome.Posted p) {
              store.saveReview(stored(tenant, agent, task, p, plan));
            }
            return outcome;
          }, blocking);
    });
  }

  private DiffPlan diff(String tenant, ReviewTask task) {
    try (Repository repo = git.open(tenant, task.repo())) {
      return PushDiff.read(repo, task.before(), task.after(), limits);
    } catch (MissingObjectException e) {
      return null;
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  /** Model answers and the money they cost so far. */
  private static final class Cost {
    double usd;
    String model;
  }

  /** Chunks one after another: a task's calls never compete with each other for the tenant's slots. */
  private CompletionStage<TaskOutcome> reviewChunks(String tenant, String agent, AgentConfig config, ReviewTask task,
      DiffPlan plan, int index, List<Review> done, Cost cost) {
    if (index == plan.chunks().size()) {
      Review merged = done.isEmpty()
          ? new Review("Nothing to review: the push changes no reviewable text files.", List.of())
          : Review.merge(done);
      return CompletableFuture.completedFuture(
          new TaskOutcome.Posted(merged, plan.skipped().size(), cost.model, cost.usd));
    }
    DiffChunk chunk = plan.chunks().get(index);
    List<ReviewPrompt.Message> prompt = ReviewPrompt.messages(config.instructions(), task.repo(), task.before(),
        task.after(), chunk, index + 1, plan.chunks().size());
    return ask(tenant, agent, config, prompt, cost).thenCompose(first -> {
      try {
        done.add(ReviewParser.parse(first, chunk));
        return reviewChunks(tenant, agent, config, task, plan, index + 1, done, cost);
      } catch (ReviewFormatException bad) {
        List<ReviewPrompt.Message> repair = ReviewPrompt.repair(prompt, first, bad.getMessage());
        return ask(tenant, agent, config, repair, cost).thenCompose(second -> {
          try {
            done.add(ReviewParser.parse(second, chunk));
            return reviewChunks(tenant, agent, config, task, plan, index + 1, done, cost);
          } catch (ReviewFormatException stillBad) {
            return CompletableFuture.completedFuture(new TaskOutcome.Failed("the model's answer was unusable after "
                + "one repair attempt: " + stillBad.getMessage(), AgentStatus.FAILING, cost.usd));
          }
        });
      }
    }).exceptionally(error -> failure(error, cost));
  }

  /** One model call; completes with the answer's text, or fails with the gateway's exception. */
  private CompletionStage<String> ask(String tenant, String agent, AgentConfig config,
      List<ReviewPrompt.Message> prompt, Cost cost) {
    List<ChatMessage> messages = prompt.stream().map(m -> new ChatMessage(m.role(), m.content())).toList();
    ChatRequest request = new ChatRequest(tenant, agent, config.model(), messages, ReviewPrompt.SCHEMA_NAME, ReviewPrompt.schema(),
        true, config.monthlyBudgetUsd());
    return gateway.chat(request).thenApply((ChatResult r) -> {
      cost.usd += r.costUsd();
      cost.model = r.model();
      return r.content();
    });
  }

  /** Gateway failures become the task's failure; anything else stays a crash. */
  private static TaskOutcome failure(Throwable error, Cost cost) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof LlmBudgetExceededException e) {
      return new TaskOutcome.Failed(e.reason(), AgentStatus.PAUSED_BUDGET, cost.usd);
    }
    if (cause instanceof LlmUnconfiguredException e) {
      return new TaskOutcome.Failed(e.reason(), AgentStatus.UNCONFIGURED, cost.usd);
    }
    if (cause instanceof LlmException e) {
      return new TaskOutcome.Failed(e.reason(), AgentStatus.FAILING, cost.usd);
    }
    throw error instanceof CompletionException ce ? ce : new CompletionException(error);
  }

  private static StoredReview stored(String tenant, String agent, ReviewTask task, TaskOutcome.Posted p,
      DiffPlan plan) {
    ObjectNode review = JSON.createObjectNode();
    review.put("summary", p.review().summary());
    review.set("comments", JSON.valueToTree(p.review().comments()));
    ArrayNode skipped = review.putArray("skipped");
    for (SkippedFile s : plan.skipped()) {
      skipped.addObject().put("path", s.path()).put("reason", s.reason());
    }
    review.put("totalFiles", plan.totalFiles());
    return new StoredReview(0, tenant, agent, task.id(), task.repo(), task.ref(), task.before(), task.after(),
        review.toString(), p.model(), p.costUsd(), Instant.now());
  }
}
