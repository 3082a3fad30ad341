package dev.devflow.agents.llm.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.openai.core.http.Headers;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import dev.devflow.agents.llm.LlmBadResponseException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * One failed attempt, classified: what the retry loop does next and a short description for the
 * final error message.
 *
 * @param retryAfter the server's Retry-After, when it sent one
 */
public record Failure(Kind kind, String description, Optional<Duration> retryAfter, Throwable cause) {

  public enum Kind {
    /** Transient (429, 408, 409, 5xx, timeout, connection): back off and try the same model. */
    RETRY,
    /** This model cannot answer (404: unknown model): go to the next model at once. */
    NEXT_MODEL,
    /** The request itself is refused (400, 401, 403, 422 …): no other attempt can succeed. */
    FATAL,
    /** An answer that is not a usable one: one more try on the model, then the next model. */
    BAD_RESPONSE
  }

  public static Failure of(Throwable t, Duration timeout) {
    Throwable e = unwrap(t);
    if (e instanceof LlmBadResponseException bad) {
      return new Failure(Kind.BAD_RESPONSE, bad.reason(), Optional.empty(), e);
    }
    if (e instanceof OpenAIServiceException s) {
      int status = s.statusCode();
      String what = "HTTP " + status + errorText(s);
      if (status == 429 || status == 408 || status == 409 || status >= 500) {
        return new Failure(Kind.RETRY, what, retryAfter(s.headers()), e);
      }
      if (status == 404) {
        return new Failure(Kind.NEXT_MODEL, what, Optional.empty(), e);
      }
      return new Failure(Kind.FATAL, what, Optional.empty(), e);
    }
    if (e instanceof OpenAIInvalidDataException) {
      return new Failure(Kind.BAD_RESPONSE, unreadable(e), Optional.empty(), e);
    }
    if (e instanceof OpenAIIoException) {
      boolean timedOut = causedBy(e, InterruptedIOException.class);
      return new Failure(Kind.RETRY, timedOut ? "timed out after " + readable(timeout)
          : "connection failed: " + rootMessage(e), Optional.empty(), e);
    }
    // Our own bug or an SDK surprise: retrying the same code would fail the same way.
    return new Failure(Kind.FATAL, e.getClass().getSimpleName() + ": " + e.getMessage(), Optional.empty(), e);
  }

  /** Why a body could not be read, in words that point at the usual cause. */
  private static String unreadable(Throwable e) {
    String msg = rootMessage(e);
    if (msg.contains("Unexpected character ('<'")) {
      return "the endpoint answered an HTML page, not JSON (check base-url: it should be the API root, e.g. …/v1)";
    }
    if (msg.contains("end-of-input") || !causedBy(e, JsonProcessingException.class)) {
      return "the answer was cut off before its end";
    }
    return "the answer is not valid JSON: " + firstLine(msg);
  }

  private static String errorText(OpenAIServiceException s) {
    String m = s.getMessage();
    // The SDK's message starts with the status again ("429: Rate limit reached").
    m = m == null ? "" : m.replaceFirst("^" + s.statusCode() + ":\\s*", "");
    return m.isBlank() ? "" : ": " + firstLine(m);
  }

  private static String readable(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static Optional<Duration> retryAfter(Headers h) {
    return RetryPolicy.retryAfter(first(h.values("Retry-After")), first(h.values("retry-after-ms")), Instant.now());
  }

  private static String first(List<String> values) {
    return values.isEmpty() ? null : values.get(0);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }

  private static String firstLine(String s) {
    String line = s.lines().findFirst().orElse("");
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
