package dev.devflow.agents.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.agents.llm.OpenAiTestServer.Reply;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * What the gateway does when the endpoint misbehaves: retries (honouring Retry-After), fallback
 * to the next model, requests it must not retry, unusable answers and timeouts. Every failing
 * case must end in a failed stage with a clear reason, never a hang.
 */
class LlmGatewayFailuresTest extends GatewayTestBase {

  @Test
  void rateLimitedCallWaitsForRetryAfter() throws Exception {
    server.enqueue(Reply.error(429, "Rate limit reached").withHeader("Retry-After", "1"));
    long start = System.nanoTime();
    ChatResult r = await(gateway("").chat(ask("hello")));
    long waitedMs = (System.nanoTime() - start) / 1_000_000;

    assertEquals("echo: hello", r.content());
    assertEquals(2, r.attempts());
    assertTrue(waitedMs >= 950, "waited only " + waitedMs + " ms");
  }

  @Test
  void persistentServerErrorFallsBackToTheNextModel() throws Exception {
    server.defaultReply(req -> "primary".equals(req.model()) ? Reply.error(500, "overloaded")
        : OpenAiTestServer.echo(req));
    ChatResult r = await(gateway("fallback-models = [\"backup\"]").chat(ask("hello")));

    assertEquals("backup", r.model());
    assertEquals("echo: hello", r.content());
    assertEquals(4, r.attempts());
    assertEquals(3, server.requestsFor("primary"), "max-attempts on the primary first");
    assertEquals(1, server.requestsFor("backup"));
  }

  @Test
  void everyModelFailingNamesEachModelsLastError() throws Exception {
    server.defaultReply(req -> Reply.error(503, "down for " + req.model()));
    LlmCallFailedException e = failure(LlmCallFailedException.class,
        gateway("max-attempts = 2\nfallback-models = [\"backup\"]").chat(ask("hello")));

    assertTrue(e.getMessage().contains("primary: HTTP 503"), e.getMessage());
    assertTrue(e.getMessage().contains("backup: HTTP 503"), e.getMessage());
    assertTrue(e.reason().contains("503"), e.reason());
    assertEquals(4, server.requests().size());
    assertEquals(0, gateway("").spend(tenant, null, YearMonth.now(ZoneOffset.UTC)).calls(), "failures cost nothing");
  }

  @Test
  void badRequestIsNotRetried() throws Exception {
    server.enqueue(Reply.error(400, "Invalid schema for response_format"));
    LlmCallFailedException e = failure(LlmCallFailedException.class,
        gateway("fallback-models = [\"backup\"]").chat(ask("hello")));

    assertEquals(1, server.requests().size(), "neither retried nor sent to the fallback model");
    assertTrue(e.reason().contains("HTTP 400"), e.reason());
    assertTrue(e.reason().contains("Invalid schema"), e.reason());
  }

  @Test
  void unknownModelFallsBackAtOnce() throws Exception {
    server.enqueue("primary", Reply.error(404, "The model `primary` does not exist"));
    ChatResult r = await(gateway("fallback-models = [\"backup\"]").chat(ask("hello")));

    assertEquals("backup", r.model());
    assertEquals(2, r.attempts());
  }

  @Test
  void htmlPageIsABadResponse() throws Exception {
    server.defaultReply(req -> Reply.html());
    LlmBadResponseException e = failure(LlmBadResponseException.class, gateway("").chat(ask("hello")));

    assertTrue(e.reason().contains("HTML"), e.reason());
    assertEquals(2, server.requests().size(), "one more try, then given up");
  }

  @Test
  void htmlWithAJsonContentTypeIsABadResponseToo() throws Exception {
    server.defaultReply(req -> new Reply(200, java.util.Map.of("Content-Type", "application/json"),
        "<html>oops</html>", Duration.ZERO));
    LlmBadResponseException e = failure(LlmBadResponseException.class, gateway("").chat(ask("hello")));
    assertTrue(e.reason().contains("HTML"), e.reason());
  }

  @Test
  void emptyChoicesIsABadResponse() throws Exception {
    server.defaultReply(req -> Reply.emptyChoices(req.model()));
    LlmBadResponseException e = failure(LlmBadResponseException.class, gateway("").chat(ask("hello")));
    assertTrue(e.reason().contains("no choices"), e.reason());
  }

  @Test
  void nullContentIsABadResponse() throws Exception {
    server.defaultReply(req -> Reply.nullContent(req.model()));
    LlmBadResponseException e = failure(LlmBadResponseException.class, gateway("").chat(ask("hello")));
    assertTrue(e.reason().contains("no content"), e.reason());
  }

  @Test
  void truncatedBodyIsABadResponse() throws Exception {
    server.defaultReply(req -> Reply.truncated(req.model()));
    LlmBadResponseException e = failure(LlmBadResponseException.class,
        gateway("fallback-models = [\"backup\"]").chat(ask("hello")));

    assertTrue(e.reason().contains("cut off"), e.reason());
    assertTrue(e.getMessage().contains("primary: ") && e.getMessage().contains("backup: "), e.getMessage());
    assertEquals(4, server.requests().size(), "two tries per model");
  }

  @Test
  void oneTruncatedBodyIsRetried() throws Exception {
    server.enqueue(Reply.truncated("primary"));
    ChatResult r = await(gateway("").chat(ask("hello")));
    assertEquals("echo: hello", r.content());
    assertEquals(2, r.attempts());
  }

  @Test
  void timedOutCallIsRetried() throws Exception {
    server.enqueue(Reply.chat("primary", "too late", 1, 1).withDelay(Duration.ofSeconds(3)));
    ChatResult r = await(gateway("timeout = 500ms").chat(ask("hello")));

    assertEquals("echo: hello", r.content());
    assertEquals(2, r.attempts());
  }

  @Test
  void refusedConnectionEndsInAFailedCall() throws Exception {
    LlmGateway gw = gateway("max-attempts = 2");
    server.close();
    LlmCallFailedException e = failure(LlmCallFailedException.class, gw.chat(ask("hello")));
    assertTrue(e.reason().contains("connection failed"), e.reason());
    assertFalse(e.getMessage().contains("sk-test-key-0123456789"), "no API key in messages");
  }
}
