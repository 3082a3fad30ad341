package dev.devflow.agents.llm;

import java.util.List;

/** Embedding vectors, one per input and in input order, with the model and its accounting. */
public record EmbeddingResult(List<float[]> vectors, String model, long promptTokens, double costUsd) {}
