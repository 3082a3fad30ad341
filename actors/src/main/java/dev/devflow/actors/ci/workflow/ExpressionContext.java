package dev.devflow.actors.ci.workflow;

import java.util.Map;

/**
 * What an expression can see: the named contexts ({@code github}, {@code env}, {@code matrix},
 * {@code secrets}, {@code steps}, {@code needs}, {@code inputs}, {@code job}, {@code runner},
 * {@code strategy}, {@code vars}) as JSON-like values ({@link Map}, {@link java.util.List},
 * {@link String}, {@link Number}, {@link Boolean} or null), and the status the status functions
 * report. Context names and property names are looked up case-insensitively; a missing one is null.
 */
public record ExpressionContext(Map<String, Object> contexts, JobStatus status) {

  public ExpressionContext {
    contexts = contexts == null ? Map.of() : contexts;
    status = status == null ? JobStatus.SUCCESS : status;
  }

  /** Contexts and a successful status. */
  public static ExpressionContext of(Map<String, Object> contexts) {
    return new ExpressionContext(contexts, JobStatus.SUCCESS);
  }
}
