package dev.devflow.persistence.llm;

/** A cached model answer and the model that gave it. */
public record CachedAnswer(String model, String response) {}
