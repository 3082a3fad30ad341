package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.agents.llm.OpenAiTestServer;
import dev.devflow.agents.llm.OpenAiTestServer.Reply;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reviewer agent on a real node: configured through the API, woken by a real {@code git push}
 * over HTTP, calling an OpenAI-compatible test server (the model is the one third-party service
 * that cannot run here), its review readable from the API and announced on the feed. Also: the
 * API's refusals, a 429 that is waited out, and a primary model that keeps failing with 500
 * (answered by the fallback model).
 */
class AgentReviewTest {

  static final String REVIEW = "{\"summary\":\"Mostly fine.\",\"comments\":[{\"path\":\"app.py\",\"line\":2,"
      + "\"severity\":\"warning\",\"body\":\"Name x better.\"}]}";

  @TempDir Path dir;

  @Test
  void aPushIsReviewedByTheRepositorysAgent() throws Exception {
    try (OpenAiTestServer model = OpenAiTestServer.start()) {
      model.defaultReply(r -> Reply.chat(r.model(), REVIEW, 1200, 300));
      Map<String, Object> o = TestNodes.options(dir.resolve("home"));
      o.put("devflow.llm.base-url", model.baseUrl());
      o.put("devflow.llm.model", "primary");
      o.put("devflow.llm.fallback-models", List.of("backup"));
      o.put("devflow.llm.backoff-min", "20ms");
      o.put("devflow.llm.prices.primary.input-per-million", 1.0);
      o.put("devflow.llm.prices.primary.output-per-million", 4.0);
      try (RunningNode node = TestNodes.start(o)) {
        Api api = new Api(node.baseUrl());
        String token = api.tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
        FeedFixtures.createRepo(api, "acme", token, "site");
        String url = FeedFixtures.gitUrl(node.baseUrl(), token, "acme", "site");
        Path work = dir.resolve("work");
        FeedFixtures.commit(work, url, "app.py", "import os\nprint('hi')\n", "first");
        FeedFixtures.push(work);

        refused(api, token, "Bad_Name", "{\"kind\":\"reviewer\",\"repo\":\"site\"}", "name");
        refused(api, token, "bot", "{\"kind\":\"poet\",\"repo\":\"site\"}", "kind");
        refused(api, token, "bot", "{\"kind\":\"reviewer\",\"repo\":\"nowhere\"}", "repo");
        refused(api, token, "bot", "{\"kind\":\"reviewer\",\"repo\":\"site\",\"monthlyBudgetUsd\":-1}",
            "monthlyBudgetUsd");
        assertEquals(404, api.get("/api/v1/tenants/acme/agents/bot", token).status(), "refusals created nothing");

        String agent = "{\"kind\":\"reviewer\",\"repo\":\"site\",\"instructions\":\"Look for naming problems.\","
            + "\"monthlyBudgetUsd\":5}";
        Api.Response created = api.call("PUT", "/api/v1/tenants/acme/agents/bot", token, agent);
        assertEquals(201, created.status(), created.body());
        assertEquals("idle", created.json().get("status").asText());
        assertEquals(200, api.call("PUT", "/api/v1/tenants/acme/agents/bot", token, agent).status());
        assertEquals("bot", api.get("/api/v1/tenants/acme/agents", token).json().get("items").get(0)
            .get("name").asText());

        // A push: reviewed, stored, announced.
        String sha = FeedFixtures.commit(work, url, "app.py", "import os\nx = 1\nprint('hi')\n", "add x");
        FeedFixtures.push(work);
        JsonNode review = awaitReviews(api, token, 1).get(0);
        assertEquals(sha, review.get("after").asText());
        assertEquals("Mostly fine.", review.get("summary").asText());
        JsonNode comment = review.get("comments").get(0);
        assertEquals("app.py", comment.get("path").asText());
        assertEquals(2, comment.get("line").asInt());
        assertEquals("warning", comment.get("severity").asText());
        assertEquals("primary", review.get("model").asText());
        String prompt = model.requests().get(0).body().toString();
        assertTrue(prompt.contains("Look for naming problems.") && prompt.contains("+x = 1"), prompt);
        assertEquals("json_schema", model.requests().get(0).body().path("response_format").path("type").asText());

        JsonNode bot = awaitAgent(api, token, a -> a.get("reviewsPosted").asLong() == 1);
        assertEquals("idle", bot.get("status").asText());
        assertEquals(1, bot.get("spend").get("calls").asLong());
        assertEquals(0.0024, bot.get("spend").get("costUsd").asDouble(), 1e-9, "1200 in at $1/M + 300 out at $4/M");
        assertEquals("posted", bot.get("tasks").get(0).get("status").asText());

        try (RawSse feed = new RawSse(node.httpPort().join(),
            "/api/v1/tenants/acme/events?types=review.posted,agent.status&after=0", token, Map.of(), 0)) {
          assertEquals(200, feed.readHead());
          List<RawSse.Message> events = feed.readEvents(3);
          assertEquals(List.of("agent.status", "agent.status", "review.posted"),
              events.stream().map(RawSse.Message::event).toList().subList(0, 3), "configured, working, posted");
          assertTrue(events.get(2).data().contains("\"summary\":\"Mostly fine.\""), events.get(2).data());
        }

        // A 429 is waited out; a primary model failing with 500 three times is replaced by the
        // fallback model for that call.
        model.enqueue("primary", Reply.error(429, "slow down").withHeader("Retry-After", "1"));
        FeedFixtures.commit(work, url, "app.py", "import os\nx = 2\nprint('hi')\n", "x = 2");
        FeedFixtures.push(work);
        assertEquals("primary", awaitReviews(api, token, 2).get(0).get("model").asText());
        for (int i = 0; i < 3; i++) {
          model.enqueue("primary", Reply.error(500, "upstream exploded"));
        }
        FeedFixtures.commit(work, url, "app.py", "import os\nx = 3\nprint('hi')\n", "x = 3");
        FeedFixtures.push(work);
        assertEquals("backup", awaitReviews(api, token, 3).get(0).get("model").asText());
        assertEquals(3, awaitAgent(api, token, a -> a.get("reviewsPosted").asLong() == 3).get("reviewsPosted").asLong());
      }
    }
  }

  static void refused(Api api, String token, String name, String body, String field) throws Exception {
    Api.Response r = api.call("PUT", "/api/v1/tenants/acme/agents/" + name, token, body);
    assertEquals(400, r.status(), r.body());
    assertEquals(field, r.json().path("field").asText(), r.body());
  }

  static JsonNode awaitReviews(Api api, String token, int n) throws Exception {
    JsonNode[] items = new JsonNode[1];
    await(n + " reviews", 60, () -> {
      items[0] = api.get("/api/v1/tenants/acme/repos/site/reviews", token).json().get("items");
      return items[0].size() >= n;
    });
    return items[0];
  }

  interface AgentCheck {
    boolean holds(JsonNode agent);
  }

  static JsonNode awaitAgent(Api api, String token, AgentCheck check) throws Exception {
    JsonNode[] agent = new JsonNode[1];
    await("agent state", 30, () -> {
      agent[0] = api.get("/api/v1/tenants/acme/agents/bot", token).json();
      return check.holds(agent[0]);
    });
    return agent[0];
  }
}
