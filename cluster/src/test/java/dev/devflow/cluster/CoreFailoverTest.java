package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A core node killed with kill -9 while pipelines run: two core nodes share the shards (pipelines,
 * the job queue, their repositories), a separate runner process runs the jobs. After the dead
 * node is downed its shards start on the survivor from the journal, and every pipeline finishes
 * with all its jobs succeeded. Six pipelines, so that some of their entities (and maybe the job
 * queue) were on the killed node; the test prints how many shards it held.
 */
class CoreFailoverTest {

  @TempDir Path dir;

  @Test
  void pipelinesContinueAfterACoreNodeDies() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seed = TestNodes.freePort();
      RunningNode a = TestNodes.start(ExternalDbNodes.seedOptions(dir.resolve("a"), db, seed, "api,core"));
      Path git = dir.resolve("a/git");
      List<Process> processes = new ArrayList<>();
      try {
        Api api = new Api(a.baseUrl());
        String admin = a.createdAdminToken().orElseThrow();
        Process b = ExternalDbNodes.process(dir, db, seed, git, "node", "core-b", "--roles", "core");
        processes.add(b);
        Process runner = ExternalDbNodes.process(dir, db, seed, git, "runner", "runner-1", "--slots", "3",
            "--name", "runner-1");
        processes.add(runner);
        ExternalDbNodes.await("3 members up", () -> api.get("/api/v1/cluster", admin).body().split("\"status\":\"up\"").length - 1 == 3);
        String write = api.tenantWithToken(admin, "fail", "write");
        int repos = 6;
        for (int i = 0; i < repos; i++) {
          assertEquals(201, api.post("/api/v1/tenants/fail/repos", write, "{\"name\":\"app" + i + "\"}").status());
          Path work = dir.resolve("work" + i);
          Files.createDirectories(work.resolve(".devflow/workflows"));
          Files.writeString(work.resolve(".devflow/workflows/ci.yml"), """
              on: push
              jobs:
                one: {runs-on: linux, steps: [{run: sleep 2}]}
                two: {needs: one, runs-on: linux, steps: [{run: sleep 1}]}
                three: {needs: two, runs-on: linux, steps: [{run: echo done}]}
              """);
          GitInteropTest.ok(work, "init", "-q");
          GitInteropTest.ok(work, "add", "-A");
          GitInteropTest.ok(work, "commit", "-q", "-m", "ci");
          GitInteropTest.ok(work, "push", "-q", "http://x:" + write + "@127.0.0.1:" + a.httpPort().join()
              + "/git/fail/app" + i + ".git", "HEAD:refs/heads/main");
        }
        ExternalDbNodes.await("a job runs", () -> api.get("/api/v1/tenants/fail/repos/app0/pipelines/1", write).body()
            .contains("\"status\":\"running\""));
        JsonNode members = api.get("/api/v1/cluster", admin).json().get("members");
        for (JsonNode m : members) {
          System.out.println("before the kill: " + m.get("address").asText() + " " + m.get("roles") + " shards "
              + m.get("shards"));
        }
        b.destroyForcibly(); // SIGKILL
        assertTrue(b.waitFor(10, TimeUnit.SECONDS));
        long killed = System.nanoTime();
        for (int i = 0; i < repos; i++) {
          String path = "/api/v1/tenants/fail/repos/app" + i + "/pipelines/1";
          JsonNode p = awaitJson(api, path, write, 120);
          assertEquals("succeeded", p.get("status").asText(), p.toString());
          for (JsonNode job : p.get("jobs")) {
            assertEquals("succeeded", job.get("status").asText(), job.toString());
          }
        }
        System.out.printf("all %d pipelines finished %d ms after the core node was killed%n", repos,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
      } catch (AssertionError | Exception e) {
        ExternalDbNodes.printLogs(dir, "core-b", "runner-1");
        throw e;
      } finally {
        for (Process p : processes) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
        a.close();
      }
    }
  }

  /** Waits until the pipeline at {@code path} has finished; returns it. */
  private static JsonNode awaitJson(Api api, String path, String token, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        Api.Response r = api.get(path, token);
        last = r.status() + " " + r.body();
        if (r.status() == 200 && r.json().hasNonNull("finishedAt")) {
          return r.json();
        }
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError(path + " did not finish: " + last);
  }
}
