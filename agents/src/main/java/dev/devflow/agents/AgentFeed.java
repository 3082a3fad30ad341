package dev.devflow.agents;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.feed.FeedSource;
import dev.devflow.agents.review.ReviewComment;
import dev.devflow.persistence.feed.FeedDraft;
import java.time.Instant;
import java.util.List;

/**
 * The feed entries of agents: {@code review.posted} (the summary and comment counts; the comments
 * themselves are read from the reviews API) and {@code agent.status} with its reason.
 */
public final class AgentFeed implements FeedSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String entityType() {
    return Agent.ENTITY_KEY.name();
  }

  @Override
  public List<FeedDraft> drafts(long ordering, String entityId, Object event) {
    int slash = entityId.indexOf('/');
    String tenant = entityId.substring(0, slash);
    String agent = entityId.substring(slash + 1);
    if (event instanceof Agent.ReviewPosted e) {
      ObjectNode data = base(tenant, agent, e.at()).put("repo", e.repo()).put("ref", e.ref())
          .put("before", e.before()).put("after", e.after()).put("taskId", e.taskId())
          .put("summary", e.review().summary()).put("comments", e.review().comments().size())
          .put("skippedFiles", e.skippedFiles());
      ObjectNode severities = data.putObject("severities");
      for (ReviewComment c : e.review().comments()) {
        severities.put(c.severity(), severities.path(c.severity()).asInt(0) + 1);
      }
      return List.of(new FeedDraft(ordering, 0, tenant, "review.posted", data.toString(), e.at()));
    }
    if (event instanceof Agent.StatusChanged e) {
      ObjectNode data = base(tenant, agent, e.at()).put("status", e.status().api()).put("reason", e.reason());
      return List.of(new FeedDraft(ordering, 0, tenant, "agent.status", data.toString(), e.at()));
    }
    return List.of();
  }

  private static ObjectNode base(String tenant, String agent, Instant at) {
    return JSON.createObjectNode().put("tenant", tenant).put("at", at.toString()).put("agent", agent);
  }
}
