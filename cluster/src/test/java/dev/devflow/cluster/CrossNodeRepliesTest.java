package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every entity's replies as a node that does not host the entity receives them. Two core nodes
 * share the shards, so each entity lives on one of them, and every read goes through both: both
 * must give 200 and the same answer.
 *
 * <p>Why: Kryo (registration required) drops a reply holding a type it does not know, and Artery
 * only logs that. Once, a repository's refs (a LinkedHashMap) made every request under a pushed
 * repository time out through all nodes but the one hosting it, which no single-node test could
 * see. The entities here hold the richer states: refs, a pipeline with job outputs, an app with a
 * failed release, an agent, a flag with strategies.
 */
class CrossNodeRepliesTest {

  @TempDir Path dir;

  @Test
  void everyEntityAnswersTheSameThroughEitherNode() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seedPort = TestNodes.freePort();
      try (RunningNode a = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 0, seedPort, "api,core,runner"));
          RunningNode b = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 1, seedPort, "api,core"))) {
        Api viaA = new Api(a.baseUrl());
        Api viaB = new Api(b.baseUrl());
        String admin = a.createdAdminToken().orElseThrow();
        await("two members up", 60, () -> viaA.get("/api/v1/cluster", admin).json().path("members").size() == 2);

        String token = viaA.tenantWithToken(admin, "x", "admin");
        FeedFixtures.createRepo(viaA, "x", token, "web");
        Path work = dir.resolve("web");
        String url = FeedFixtures.gitUrl(a.baseUrl(), token, "x", "web");
        FeedFixtures.commit(work, url, ".devflow/workflows/ci.yml", """
            on: push
            jobs:
              build:
                runs-on: linux
                outputs:
                  name: ${{ steps.pack.outputs.name }}
                steps:
                  - id: pack
                    run: echo "name=web-1" >> "$GITHUB_OUTPUT"
              use:
                needs: build
                runs-on: linux
                steps:
                  - run: echo "${{ needs.build.outputs.name }}"
            """, "ci");
        FeedFixtures.push(work);
        await("the pipeline succeeded", 120, () -> viaA.get("/api/v1/tenants/x/repos/web/pipelines/1", token).body()
            .contains("\"status\":\"succeeded\""));
        assertEquals(201, viaA.call("PUT", "/api/v1/tenants/x/flags/f", token, "{\"enabled\":true,\"strategies\":"
            + "[{\"name\":\"flexibleRollout\",\"parameters\":{\"rollout\":\"30\"}}]}").status());
        assertEquals(201, viaA.post("/api/v1/tenants/x/apps", token, "{\"name\":\"site\",\"repo\":\"web\"}").status());
        assertEquals(202, viaA.post("/api/v1/tenants/x/apps/site/deploy", token, "{}").status());
        await("the release failed (no Procfile)", 120, () -> viaA.get("/api/v1/tenants/x/apps/site/releases", token)
            .body().contains("\"status\":\"failed\""));
        assertEquals(201, viaA.call("PUT", "/api/v1/tenants/x/agents/reviewer", token,
            "{\"kind\":\"reviewer\",\"repo\":\"web\",\"instructions\":\"be brief\"}").status());

        for (String path : List.of("/api/v1/tenants/x", "/api/v1/tenants/x/repos/web",
            "/api/v1/tenants/x/repos/web/pipelines", "/api/v1/tenants/x/repos/web/pipelines/1",
            "/api/v1/tenants/x/flags/f", "/api/v1/tenants/x/apps/site", "/api/v1/tenants/x/apps/site/releases",
            "/api/v1/tenants/x/agents/reviewer")) {
          String tok = path.equals("/api/v1/tenants/x") ? admin : token;
          Api.Response ra = viaA.get(path, tok);
          Api.Response rb = viaB.get(path, tok);
          assertEquals(200, ra.status(), path + " through node a: " + ra.body());
          assertEquals(200, rb.status(), path + " through node b: " + rb.body());
          assertEquals(sameEverywhere(ra.json()), sameEverywhere(rb.json()), path);
        }
      }
    }
  }

  /** The answer without what names the node that gave it (a repository's clone URL). */
  static JsonNode sameEverywhere(JsonNode n) {
    JsonNode copy = n.deepCopy();
    if (copy instanceof ObjectNode o) {
      o.remove("cloneUrl");
    }
    return copy;
  }
}
