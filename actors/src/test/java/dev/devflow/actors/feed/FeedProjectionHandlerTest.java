package dev.devflow.actors.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.repo.Repo;
import dev.devflow.persistence.feed.FeedDraft;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Journal events become feed entries shaped as API.md describes. */
class FeedProjectionHandlerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void aPushOfTwoRefsIsTwoEntriesWithCommits() throws Exception {
    Repo.CommitInfo commit = new Repo.CommitInfo("1".repeat(40), "Dev <dev@example.com>", AT, "add a.txt");
    Repo.RefsUpdated event = new Repo.RefsUpdated(List.of(
        new Repo.RefChange("refs/heads/main", null, "1".repeat(40), List.of(commit), 1),
        new Repo.RefChange("refs/heads/old", "2".repeat(40), null, List.of(), 0)), AT);
    List<FeedDraft> drafts = FeedProjectionHandler.drafts(42, "Repository|acme/web", event);
    assertEquals(2, drafts.size());
    assertEquals(List.of(0, 1), drafts.stream().map(FeedDraft::sourceIndex).toList());
    JsonNode main = JSON.readTree(drafts.get(0).data());
    assertEquals("repo.pushed", drafts.get(0).type());
    assertEquals("acme", main.get("tenant").asText());
    assertEquals(AT.toString(), main.get("at").asText());
    assertEquals("web", main.get("repo").asText());
    assertEquals("0".repeat(40), main.get("before").asText());
    assertEquals("1".repeat(40), main.get("after").asText());
    assertEquals("add a.txt", main.get("commits").get(0).get("message").asText());
    assertEquals("0".repeat(40), JSON.readTree(drafts.get(1).data()).get("after").asText());
  }

  @Test
  void createdAndDeleted() throws Exception {
    FeedDraft created = FeedProjectionHandler.drafts(1, "Repository|acme/web",
        new Repo.RepositoryCreated("acme", "web", "main", "site", "private", AT)).get(0);
    assertEquals("repo.created", created.type());
    assertEquals("main", JSON.readTree(created.data()).get("defaultBranch").asText());
    FeedDraft deleted = FeedProjectionHandler.drafts(2, "Repository|acme/web", new Repo.RepositoryDeleted(AT)).get(0);
    assertEquals("repo.deleted", deleted.type());
    assertTrue(FeedProjectionHandler.drafts(3, "Tenant|acme", new Object()).isEmpty());
  }
}
