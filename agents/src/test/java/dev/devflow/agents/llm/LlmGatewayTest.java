package dev.devflow.agents.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.agents.llm.OpenAiTestServer.Recorded;
import dev.devflow.agents.llm.OpenAiTestServer.Reply;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * The gateway's happy paths on a real database: plain and structured chat, the answer cache,
 * accounting and budgets, the per-tenant concurrency limit, embeddings, and the unconfigured case.
 * Failures and retries: {@link LlmGatewayFailuresTest}.
 */
class LlmGatewayTest extends GatewayTestBase {

  @Test
  void plainChat() throws Exception {
    ChatResult r = await(gateway("").chat(ask("hello")));

    assertEquals(new ChatResult("echo: hello", "primary", 10, 5, 0, false, 1), r);
    Recorded sent = server.requests().get(0);
    assertEquals("/v1/chat/completions", sent.path());
    assertEquals("primary", sent.model());
    assertEquals("Bearer sk-test-key-0123456789", sent.headers().get("authorization"));
    assertEquals("system", sent.body().at("/messages/0/role").asText());
    assertEquals("be brief", sent.body().at("/messages/0/content").asText());
    assertEquals("user", sent.body().at("/messages/1/role").asText());
    assertTrue(sent.body().path("response_format").isMissingNode(), "plain text: no response_format");
  }

  @Test
  void requestModelOverridesTheConfiguredOne() throws Exception {
    ChatRequest r = new ChatRequest(tenant, "reviewer", "special", List.of(ChatMessage.user("hi")), null, null,
        true, 0);
    assertEquals("special", await(gateway("").chat(r)).model());
    assertEquals("special", server.requests().get(0).model());
  }

  @Test
  void structuredOutputCarriesTheSchema() throws Exception {
    Map<String, Object> schema = Map.of("type", "object",
        "properties", Map.of("verdict", Map.of("type", "string", "enum", List.of("approve", "reject"))),
        "required", List.of("verdict"), "additionalProperties", false);
    server.enqueue(Reply.chat("primary", "{\"verdict\":\"approve\"}", 20, 4));
    ChatRequest r = new ChatRequest(tenant, "reviewer", null, List.of(ChatMessage.user("review")), "review",
        schema, true, 0);

    assertEquals("{\"verdict\":\"approve\"}", await(gateway("").chat(r)).content());
    JsonNode format = server.requests().get(0).body().path("response_format");
    assertEquals("json_schema", format.path("type").asText());
    assertEquals("review", format.at("/json_schema/name").asText());
    assertTrue(format.at("/json_schema/strict").asBoolean());
    assertEquals(new ObjectMapper().valueToTree(schema), format.at("/json_schema/schema"));
  }

  @Test
  void identicalRequestIsAnsweredFromTheCache() throws Exception {
    LlmGateway gw = gateway("");
    ChatResult first = await(gw.chat(ask("same question")));
    ChatResult second = await(gw.chat(ask("same question")));

    assertFalse(first.cached());
    assertEquals(new ChatResult("echo: same question", "primary", 0, 0, 0, true, 0), second);
    assertEquals(1, server.requests().size());
    assertEquals(1, spendAfter(gw, "reviewer", 1).calls(), "a cache hit is not a model call");
    // Another tenant asking the same never sees this tenant's answer.
    await(gw.chat(new ChatRequest("other-" + tenant, "reviewer", null, ask("same question").messages(), null, null,
        true, 0)));
    assertEquals(2, server.requests().size());
  }

  @Test
  void cacheCanBeTurnedOffPerRequestAndGlobally() throws Exception {
    LlmGateway gw = gateway("");
    ChatRequest noCache = new ChatRequest(tenant, "reviewer", null, ask("q").messages(), null, null, false, 0);
    assertFalse(await(gw.chat(noCache)).cached());
    assertFalse(await(gw.chat(noCache)).cached());
    assertEquals(2, server.requests().size());

    LlmGateway off = gateway("cache.enabled = off");
    assertFalse(await(off.chat(ask("q2"))).cached());
    assertFalse(await(off.chat(ask("q2"))).cached());
    assertEquals(4, server.requests().size());
  }

  @Test
  void usageAndCostAreAccountedPerTenantAndAgent() throws Exception {
    LlmGateway gw = gateway("prices { primary { input-per-million = 2.0, output-per-million = 10.0 } }");
    server.enqueue(Reply.chat("primary", "a", 1000, 500));
    server.enqueue(Reply.chat("primary", "b", 3000, 100));
    server.enqueue(Reply.chat("unpriced", "c", 7, 3));

    ChatResult a = await(gw.chat(ask("one")));
    assertEquals(0.007, a.costUsd(), 1e-12);
    await(gw.chat(new ChatRequest(tenant, "planner", null, ask("two").messages(), null, null, true, 0)));
    ChatResult c = await(gw.chat(new ChatRequest(tenant, "reviewer", "unpriced", ask("three").messages(), null,
        null, true, 0)));
    assertEquals(0, c.costUsd(), "a model without a price costs nothing");

    spendAfter(gw, null, 3);
    Spend reviewer = gw.spend(tenant, "reviewer", thisMonth());
    assertEquals(0.007, reviewer.costUsd(), 1e-9);
    assertEquals(1007, reviewer.promptTokens(), "an unpriced model's tokens still count");
    assertEquals(503, reviewer.completionTokens());
    assertEquals(2, reviewer.calls());
    Spend all = gw.spend(tenant, null, thisMonth());
    assertEquals(0.007 + 0.007, all.costUsd(), 1e-9);
    assertEquals(3, all.calls());
    assertEquals(new Spend(0, 0, 0, 0), gw.spend(tenant, null, thisMonth().minusMonths(1)));
  }

  @Test
  void tenantBudgetStopsCallsBeforeTheyAreSent() throws Exception {
    LlmGateway gw = gateway("prices { primary { input-per-million = 2.0, output-per-million = 10.0 } }\n"
        + "tenants { " + tenant + " { monthly-budget-usd = 0.005 } }");
    server.enqueue(Reply.chat("primary", "expensive", 1000, 500));
    await(gw.chat(ask("first")));

    LlmBudgetExceededException e = failure(LlmBudgetExceededException.class, gw.chat(ask("second")));
    assertEquals("tenant", e.scope());
    assertEquals(0.007, e.spentUsd(), 1e-9);
    assertEquals(0.005, e.budgetUsd());
    assertEquals(1, server.requests().size(), "nothing sent over budget");
    failure(LlmBudgetExceededException.class, gw.embed(tenant, null, List.of("x")));
    assertEquals(1, server.requests().size());
  }

  @Test
  void agentBudgetStopsOnlyThatAgent() throws Exception {
    LlmGateway gw = gateway("prices { primary { input-per-million = 2.0, output-per-million = 10.0 } }");
    server.enqueue(Reply.chat("primary", "expensive", 1000, 500));
    await(gw.chat(ask("first")));

    ChatRequest again = new ChatRequest(tenant, "reviewer", null, ask("second").messages(), null, null, true, 0.007);
    LlmBudgetExceededException e = failure(LlmBudgetExceededException.class, gw.chat(again));
    assertEquals("agent", e.scope());
    assertEquals(1, server.requests().size(), "nothing sent over budget");
    ChatRequest planner = new ChatRequest(tenant, "planner", null, ask("second").messages(), null, null, true, 0.007);
    assertEquals("echo: second", await(gw.chat(planner)).content());
  }

  @Test
  void callsOfATenantBeyondTheLimitWaitTheirTurn() throws Exception {
    LlmGateway gw = gateway("concurrency-per-tenant = 4");
    server.defaultReply(r -> OpenAiTestServer.echo(r).withDelay(Duration.ofMillis(300)));
    List<CompletionStage<ChatResult>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(gw.chat(ask("parallel " + i)));
    }
    for (int i = 0; i < 10; i++) {
      assertEquals("echo: parallel " + i, await(calls.get(i)).content());
    }
    assertEquals(10, server.requests().size());
    assertEquals(4, server.maxInFlight());
    assertEquals(0, gw.inFlight(tenant));
  }

  @Test
  void embeddingsComeInInputOrderAndAreAccounted() throws Exception {
    LlmGateway gw = gateway("prices { embedder { input-per-million = 0.5 } }");
    EmbeddingResult r = await(gw.embed(tenant, null, List.of("abc", "hello")));

    assertEquals("embedder", r.model());
    assertEquals(2, r.vectors().size());
    assertArrayEquals(new float[] {3, 'a', 1}, r.vectors().get(0));
    assertArrayEquals(new float[] {5, 'h', 1}, r.vectors().get(1));
    assertEquals(4, r.promptTokens());
    assertEquals(2e-6, r.costUsd(), 1e-15);
    Recorded sent = server.requests().get(0);
    assertEquals("/v1/embeddings", sent.path());
    assertEquals("embedder", sent.model());
    assertEquals("float", sent.body().path("encoding_format").asText());
    assertEquals(new Spend(2e-6, 4, 0, 1), spendAfter(gw, "", 1));
  }

  @Test
  void unconfiguredFailsAtOnce() throws Exception {
    LlmGateway gw = new LlmGateway(LlmSettings.unconfigured(), store, blocking);
    assertFalse(gw.configured(tenant));
    assertTrue(gw.unconfiguredReason(tenant).contains("DEVFLOW_LLM_BASE_URL"), gw.unconfiguredReason(tenant));
    LlmUnconfiguredException e = failure(LlmUnconfiguredException.class, gw.chat(ask("hello")));
    assertEquals(gw.unconfiguredReason(tenant), e.reason());
    failure(LlmUnconfiguredException.class, gw.embed(tenant, null, List.of("x")));
    gw.close();

    assertTrue(gateway("").configured(tenant));
  }

  private static YearMonth thisMonth() {
    return YearMonth.now(ZoneOffset.UTC);
  }
}
