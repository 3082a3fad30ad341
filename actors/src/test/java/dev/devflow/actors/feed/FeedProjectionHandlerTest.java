package dev.devflow.actors.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.flag.FeatureFlag;
import dev.devflow.actors.flag.FlagDefinition;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.actors.tenant.Role;
import dev.devflow.actors.tenant.Tenant;
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
  void flagChangesCarryTheWholeFlagAndNameTheirSubject() throws Exception {
    FlagDefinition d = new FlagDefinition(true, "x", "team", List.of(), List.of());
    FeedDraft defined = FeedProjectionHandler.drafts(5, "FeatureFlag|acme/new-checkout",
        new FeatureFlag.FlagDefined("acme", "new-checkout", d, 1, AT)).get(0);
    assertEquals("flag.changed", defined.type());
    assertEquals("new-checkout", defined.subject());
    JsonNode data = JSON.readTree(defined.data());
    assertEquals(1, data.get("version").asLong());
    assertEquals("team", data.get("definition").get("minPlan").asText());
    JsonNode archived = JSON.readTree(FeedProjectionHandler.drafts(6, "FeatureFlag|acme/new-checkout",
        new FeatureFlag.FlagArchived(2, AT)).get(0).data());
    assertTrue(archived.get("archived").asBoolean());
  }

  @Test
  void tenantsTellTheirPlanButNeverTheirTokens() throws Exception {
    FeedDraft created = FeedProjectionHandler.drafts(7, "Tenant|acme",
        new Tenant.TenantCreated("acme", "Acme", Plan.FREE, AT)).get(0);
    assertEquals("tenant.created", created.type());
    assertEquals("free", JSON.readTree(created.data()).get("plan").asText());
    FeedDraft plan = FeedProjectionHandler.drafts(8, "Tenant|acme", new Tenant.PlanChanged(Plan.FREE, Plan.TEAM, AT)).get(0);
    assertEquals("plan.changed", plan.type());
    assertEquals("team", JSON.readTree(plan.data()).get("plan").asText());
    assertTrue(FeedProjectionHandler.drafts(9, "Tenant|acme",
        new Tenant.TokenIssued("t1", "ci", Role.WRITE, "hash", AT)).isEmpty());
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
