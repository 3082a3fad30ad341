package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes with runtime supervisors sharing one database, git root and artifact store: an app's
 * two instances are spread over both, and when one node leaves, its instance is started again on
 * the other while the router goes on serving.
 */
class DeployFailoverTest {

  @TempDir Path dir;

  @Test
  void instancesOfANodeThatLeftAreStartedOnTheOther() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seedPort = TestNodes.freePort();
      RunningNode a = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 0, seedPort, "api,core,runner,runtime"));
      RunningNode b = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 1, seedPort, "api,runtime"));
      boolean bStopped = false;
      try {
        Api api = new Api(a.baseUrl());
        String admin = a.createdAdminToken().orElseThrow();
        await("two members up", 60, () -> api.get("/api/v1/cluster", admin).json().path("members").size() == 2);
        Thread.sleep(3000); // both supervisors registered with the receptionist everywhere

        String token = api.tenantWithToken(admin, "acme", "admin");
        FeedFixtures.createRepo(api, "acme", token, "site");
        assertEquals(201, api.post("/api/v1/tenants/acme/apps", token,
            "{\"name\":\"site\",\"repo\":\"site\",\"instances\":2}").status());
        String url = FeedFixtures.gitUrl(a.baseUrl(), token, "acme", "site");
        Path work = dir.resolve("site");
        Files.createDirectories(work);
        FeedFixtures.commit(work, url, "Procfile", "web: python3 app.py\n", "procfile");
        FeedFixtures.commit(work, url, "app.py", DeployTest.pythonApp("v1"), "v1");
        FeedFixtures.push(work);
        DeployTest.awaitLive(api, token, "site", 1);
        await("two healthy instances", 120, () -> DeployTest.healthy(api, token, "site").size() == 2);
        Set<String> before = ids(api, token);
        Set<String> pids = new HashSet<>();
        for (int i = 0; i < 4; i++) {
          String body = DeployTest.get(a, "/apps/acme/site/").body();
          pids.add(body.substring(body.indexOf("pid="), body.indexOf(" release")));
        }
        assertEquals(2, pids.size(), "both instances serve: " + pids);
        assertEquals("v1", DeployTest.get(b, "/apps/acme/site/").body().substring(0, 2), "node b routes too");

        b.close();
        bStopped = true;
        long left = System.nanoTime();
        await("two healthy instances again", 120, () -> {
          Set<String> now = ids(api, token);
          return DeployTest.healthy(api, token, "site").size() == 2 && !now.equals(before);
        });
        System.out.printf("instance re-placed and healthy %.1f s after its node left%n",
            (System.nanoTime() - left) / 1e9);
        Set<String> after = ids(api, token);
        Set<String> kept = new HashSet<>(before);
        kept.retainAll(after);
        assertEquals(1, kept.size(), "one instance stayed on node a, one is new: " + before + " -> " + after);
        assertEquals(200, DeployTest.get(a, "/apps/acme/site/").statusCode());
      } finally {
        if (!bStopped) {
          b.close();
        }
        a.close();
      }
    }
  }


  static Set<String> ids(Api api, String token) throws Exception {
    Set<String> ids = new HashSet<>();
    for (JsonNode p : DeployTest.healthy(api, token, "site")) {
      ids.add(p.get("id").asText());
    }
    return ids;
  }
}
