package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runner process killed with kill -9 in the middle of a job: the job runs again on another
 * runner (attempt 2) and the pipeline succeeds; the killed runner's step does not outlive it (its
 * process group is killed when the runner's JVM is gone), so the job never runs twice at once.
 */
class RunnerCrashTest {

  @TempDir Path dir;

  @Test
  void aJobOfAKilledRunnerRunsAgainElsewhere() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seed = TestNodes.freePort();
      RunningNode core = TestNodes.start(ExternalDbNodes.seedOptions(dir.resolve("core"), db, seed, "api,core"));
      List<Process> runners = new ArrayList<>();
      Path stepPid = dir.resolve("step.pid");
      try {
        Api api = new Api(core.baseUrl());
        String admin = core.createdAdminToken().orElseThrow();
        String write = api.tenantWithToken(admin, "crash", "write");
        Process a = runner(db, seed, "runner-a");
        runners.add(a);
        awaitRunners(api, admin, "runner-a");

        Path marker = dir.resolve("attempts.txt");
        Path work = dir.resolve("work");
        assertEquals(201, api.post("/api/v1/tenants/crash/repos", write, "{\"name\":\"app\"}").status());
        Files.createDirectories(work.resolve(".devflow/workflows"));
        Files.writeString(work.resolve(".devflow/workflows/ci.yml"), """
            on: push
            jobs:
              long:
                runs-on: linux
                steps:
                  - run: |
                      echo "$RUNNER_NAME $GITHUB_RUN_ATTEMPT" >> %s
                      if [ "$GITHUB_RUN_ATTEMPT" = 1 ]; then echo $$ > %s; sleep 600; fi
            """.formatted(marker, stepPid));
        GitInteropTest.ok(work, "init", "-q");
        GitInteropTest.ok(work, "add", "-A");
        GitInteropTest.ok(work, "commit", "-q", "-m", "ci");
        GitInteropTest.ok(work, "push", "-q", "http://x:" + write + "@127.0.0.1:" + core.httpPort().join()
            + "/git/crash/app.git", "HEAD:refs/heads/main");

        ExternalDbNodes.await("the job starts on runner-a", () -> Files.exists(stepPid) && !Files.readString(stepPid).isBlank());
        long stepGroup = Long.parseLong(Files.readString(stepPid).strip());
        Process b = runner(db, seed, "runner-b");
        runners.add(b);
        awaitRunners(api, admin, "runner-b");

        Instant killed = Instant.now();
        a.destroyForcibly(); // SIGKILL
        assertTrue(a.waitFor(10, TimeUnit.SECONDS));
        ExternalDbNodes.await("the killed runner's step is gone with it",
            () -> !ProcessHandle.of(stepGroup).map(ProcessHandle::isAlive).orElse(false));

        JsonNode p = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
          Api.Response r = api.get("/api/v1/tenants/crash/repos/app/pipelines/1", write);
          if (r.status() == 200 && r.json().hasNonNull("finishedAt")) {
            p = r.json();
            break;
          }
          Thread.sleep(100);
        }
        assertTrue(p != null, "the pipeline never finished");
        assertEquals("succeeded", p.get("status").asText(), p.toString());
        JsonNode job = p.get("jobs").get(0);
        assertEquals(2, job.get("attempt").asInt(), job.toString());
        assertEquals("runner-b", job.get("runner").asText(), job.toString());
        Duration again = Duration.between(killed, Instant.parse(job.get("startedAt").asText()));
        System.out.printf("job ran again %d ms after its runner was killed%n", again.toMillis());
        assertTrue(again.compareTo(Duration.ofSeconds(30)) < 0, "ran again only after " + again);
        assertEquals(List.of("runner-a 1", "runner-b 2"), Files.readAllLines(marker));
      } catch (AssertionError | Exception e) {
        ExternalDbNodes.printLogs(dir, "runner-a", "runner-b");
        throw e;
      } finally {
        for (Process r : runners) {
          r.destroyForcibly();
        }
        if (Files.exists(stepPid) && !Files.readString(stepPid).isBlank()) {
          ProcessHandle.of(Long.parseLong(Files.readString(stepPid).strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
        core.close();
      }
    }
  }

  private Process runner(EmbeddedDatabase db, int seed, String name) throws Exception {
    return ExternalDbNodes.process(dir, db, seed, dir.resolve("core/git"), "runner", name, "--name", name,
        "--slots", "1");
  }

  private static void awaitRunners(Api api, String admin, String name) throws Exception {
    ExternalDbNodes.await(name + " is connected", () -> {
      Api.Response r = api.get("/api/v1/runners", admin);
      return r.status() == 200 && r.body().contains("\"name\":\"" + name + "\"");
    });
  }
}
