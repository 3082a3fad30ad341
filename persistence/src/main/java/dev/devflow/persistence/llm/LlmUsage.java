package dev.devflow.persistence.llm;

/** Summed usage rows: cost, tokens, answered model calls and cache hits. */
public record LlmUsage(double costUsd, long promptTokens, long completionTokens, long calls, long cacheHits) {

  public static final LlmUsage NONE = new LlmUsage(0, 0, 0, 0, 0);
}
