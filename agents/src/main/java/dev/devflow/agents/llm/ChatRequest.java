package dev.devflow.agents.llm;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One chat call through the {@link LlmGateway}.
 *
 * @param tenant         whose endpoint, budget and accounting apply
 * @param agent          the agent calling, for its budget and accounting ("" or null: none)
 * @param model          model to ask first; null = the tenant's configured model. The tenant's
 *                       fallback models are tried after it.
 * @param messages       the conversation, oldest first
 * @param schemaName     with {@code schema}: ask for JSON output following that JSON schema
 *                       (response_format json_schema, strict). Both null: a plain text answer.
 * @param schema         the JSON schema as a tree of maps, lists, strings, numbers and booleans
 * @param useCache       false = always ask the model (the answer is not stored either)
 * @param agentBudgetUsd the agent's monthly budget; 0 or less = none
 */
public record ChatRequest(String tenant, String agent, String model, List<ChatMessage> messages, String schemaName,
    Map<String, Object> schema, boolean useCache, double agentBudgetUsd) {

  public ChatRequest {
    Objects.requireNonNull(tenant, "tenant");
    messages = List.copyOf(messages);
    if ((schemaName == null) != (schema == null)) {
      throw new IllegalArgumentException("schemaName and schema go together");
    }
  }

  /** A plain text request with the cache on and no agent budget. */
  public static ChatRequest of(String tenant, String agent, List<ChatMessage> messages) {
    return new ChatRequest(tenant, agent, null, messages, null, null, true, 0);
  }
}
