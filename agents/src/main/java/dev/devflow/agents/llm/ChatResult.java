package dev.devflow.agents.llm;

/**
 * A chat answer.
 *
 * @param content          the model's text (JSON text for a structured request)
 * @param model            the model that answered (a fallback when the first ones failed)
 * @param promptTokens     0 when cached
 * @param completionTokens 0 when cached
 * @param costUsd          from the configured price table; 0 when cached or the model has no price
 * @param cached           served from the answer cache without calling a model
 * @param attempts         HTTP calls made for this answer, over all models (0 when cached)
 */
public record ChatResult(String content, String model, long promptTokens, long completionTokens, double costUsd,
    boolean cached, int attempts) {}
