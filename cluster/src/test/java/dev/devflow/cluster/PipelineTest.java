package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI end to end on one node with its in-process runner: workflows pushed with the real git
 * client start pipelines; jobs run as real processes; results, outputs, logs and feed entries are
 * read back through the API.
 */
class PipelineTest {

  static final String SECRET = "hunter2-very-secret-value";

  @TempDir static Path dir;
  static RunningNode node;
  static Api api;
  static String admin;
  static String write;

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> options = TestNodes.options(dir.resolve("home"));
    options.put("devflow.secrets.system.DEPLOY_KEY", SECRET);
    options.put("devflow.ci.runner.slots", 4);
    options.put("devflow.ci.log-cap", "64k");
    node = TestNodes.start(options);
    api = new Api(node.baseUrl());
    admin = node.createdAdminToken().orElseThrow();
    write = api.tenantWithToken(admin, "ci", "write");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Creates a repository, commits the given files and pushes them; returns the work tree. */
  static Path push(String repo, Map<String, String> files) throws Exception {
    Api.Response created = api.post("/api/v1/tenants/ci/repos", write, "{\"name\":\"" + repo + "\"}");
    assertEquals(201, created.status(), created.body());
    Path work = dir.resolve("work-" + repo);
    GitInteropTest.ok(work, "init", "-q");
    commit(work, files, "first");
    GitInteropTest.ok(work, "push", "-q", url(repo), "HEAD:refs/heads/main");
    return work;
  }

  static void commit(Path work, Map<String, String> files, String message) throws Exception {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = work.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue());
    }
    GitInteropTest.ok(work, "add", "-A");
    GitInteropTest.ok(work, "commit", "-q", "-m", message);
  }

  static String url(String repo) {
    return "http://x:" + write + "@127.0.0.1:" + node.httpPort().join() + "/git/ci/" + repo + ".git";
  }

  /** Waits for pipeline n of the repository to finish and returns it. */
  static JsonNode finished(String repo, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      Api.Response r = api.get("/api/v1/tenants/ci/repos/" + repo + "/pipelines/" + n, write);
      if (r.status() == 200) {
        last = r.json();
        if (last.get("finishedAt") != null) {
          return last;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("pipeline " + repo + "/" + n + " did not finish: " + last);
  }

  static JsonNode job(JsonNode pipeline, String key) {
    for (JsonNode j : pipeline.get("jobs")) {
      if (j.get("key").asText().equals(key)) {
        return j;
      }
    }
    throw new AssertionError("no job " + key + " in " + pipeline);
  }

  static String log(String repo, int n, String job) throws Exception {
    Api.Response r = api.get("/api/v1/tenants/ci/repos/" + repo + "/pipelines/" + n + "/jobs/" + job + "/log", write);
    assertEquals(200, r.status(), r.body());
    return r.body();
  }

  static final String MATRIX = """
      name: build and test
      on:
        push:
          branches: [main]
      env:
        GREETING: hello
      jobs:
        build:
          runs-on: ubuntu-latest
          strategy:
            matrix:
              flavour: [plain, fancy]
          outputs:
            artifact: ${{ steps.pack.outputs.name }}
          steps:
            - uses: actions/checkout@v4
            - name: Pack
              id: pack
              run: |
                test -f README.md
                test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
                git log --oneline -1
                echo "name=app-${{ matrix.flavour }}.tar" >> "$GITHUB_OUTPUT"
                echo "EXTRA=from-env-file" >> "$GITHUB_ENV"
            - run: echo "$GREETING ${{ matrix.flavour }} $EXTRA on $GITHUB_REF_NAME"
        test:
          needs: build
          runs-on: [self-hosted, linux]
          steps:
            - run: echo "got ${{ needs.build.outputs.artifact }} result ${{ needs.build.result }}"
        never:
          needs: test
          if: failure()
          runs-on: linux
          steps:
            - run: echo should not run
      """;

  @Test
  void aPushRunsJobsWithNeedsMatrixAndOutputs() throws Exception {
    push("app", Map.of(".devflow/workflows/ci.yml", MATRIX, "README.md", "# app\n"));
    JsonNode p = finished("app", 1);
    assertEquals("succeeded", p.get("status").asText(), p.toString());
    assertEquals("build and test", p.get("workflow").asText());
    assertEquals("succeeded", job(p, "build-1").get("status").asText());
    assertEquals("succeeded", job(p, "build-2").get("status").asText());
    assertEquals("succeeded", job(p, "test").get("status").asText());
    assertEquals("skipped", job(p, "never").get("status").asText());
    assertEquals("build (plain)", job(p, "build-1").get("name").asText());
    String build = log("app", 1, "build-2");
    assertTrue(build.contains("hello fancy from-env-file on main"), build);
    String test = log("app", 1, "test");
    assertTrue(test.matches("(?s).*got app-(plain|fancy)\\.tar result success.*"), test);

    List<String> types = feed("app").stream().map(RawSse.Message::event).toList();
    assertEquals("pipeline.created", types.get(0), types.toString());
    assertTrue(types.contains("job.started") && types.contains("job.finished"), types.toString());
    assertEquals("pipeline.finished", types.get(types.size() - 1), types.toString());

    Api.Response list = api.get("/api/v1/tenants/ci/repos/app/pipelines", write);
    assertEquals(200, list.status());
    assertEquals(1, list.json().get("items").get(0).get("number").asInt());
    JsonNode commit = api.get("/api/v1/tenants/ci/repos/app/commits", write).json().get("items").get(0);
    assertEquals("succeeded", commit.get("pipeline").get("status").asText(), commit.toString());
    assertEquals(1, commit.get("pipeline").get("number").asInt());
  }

  @Test
  void aFreeTenantRunsAtMostTwoJobsAtOnce() throws Exception {
    push("limits", Map.of(".devflow/workflows/l.yml", """
        on: push
        jobs:
          wide:
            runs-on: linux
            strategy:
              matrix:
                n: [1, 2, 3, 4]
            steps:
              - run: sleep 1
        """));
    JsonNode p = finished("limits", 1);
    assertEquals("succeeded", p.get("status").asText(), p.toString());
    List<long[]> spans = new ArrayList<>();
    for (JsonNode j : p.get("jobs")) {
      spans.add(new long[] {java.time.Instant.parse(j.get("startedAt").asText()).toEpochMilli(),
          java.time.Instant.parse(j.get("finishedAt").asText()).toEpochMilli()});
    }
    int most = 0;
    for (long[] s : spans) {
      int running = 0;
      for (long[] o : spans) {
        if (o[0] <= s[0] && s[0] < o[1]) {
          running++;
        }
      }
      most = Math.max(most, running);
    }
    assertTrue(most <= 2, "the runner has 4 slots but the free plan allows 2 jobs; " + most + " ran at once");
  }

  @Test
  void stepAndJobTimeoutsStopTheWork() throws Exception {
    push("timeouts", Map.of(".devflow/workflows/t.yml", """
        on: push
        jobs:
          step:
            runs-on: linux
            steps:
              - run: sleep 30
                timeout-minutes: 0.02
              - if: always()
                run: echo after the timeout
          job:
            runs-on: linux
            timeout-minutes: 0.03
            steps:
              - run: sleep 30
        """));
    JsonNode p = finished("timeouts", 1);
    assertEquals("failed", p.get("status").asText(), p.toString());
    JsonNode step = job(p, "step");
    assertEquals("failed", step.get("status").asText());
    assertTrue(step.get("reason").asText().contains("timed out after 1.2 seconds"), step.toString());
    assertTrue(log("timeouts", 1, "step").contains("after the timeout"));
    JsonNode job = job(p, "job");
    assertEquals("failed", job.get("status").asText());
    assertTrue(job.get("reason").asText().contains("the job timed out after 1.8 seconds"), job.toString());
  }

  @Test
  void aHugeOutputIsCutAtTheLogCapAndTheJobGoesOn() throws Exception {
    push("chatty", Map.of(".devflow/workflows/c.yml", """
        on: push
        jobs:
          chatty:
            runs-on: linux
            steps:
              - run: seq 200000 | awk '{ print "line " $1 " of output that repeats" }'
              - run: echo still running
        """));
    JsonNode p = finished("chatty", 1);
    assertEquals("succeeded", p.get("status").asText(), p.toString());
    String log = log("chatty", 1, "chatty");
    assertTrue(log.length() < 80 * 1024, "log of " + log.length() + " characters");
    assertTrue(log.contains("truncated"), log.substring(Math.max(0, log.length() - 2000)));
  }

  /** The pipeline and job entries of the repository in tenant ci's feed, up to its pipeline.finished. */
  static List<RawSse.Message> feed(String repo) throws Exception {
    try (RawSse sse = new RawSse(node.httpPort().join(), "/api/v1/tenants/ci/events?after=0&types=pipeline.*,job.*",
        write, Map.of(), 0)) {
      assertEquals(200, sse.readHead());
      String mine = "\"repo\":\"" + repo + "\"";
      for (int n = 1; ; n++) {
        List<RawSse.Message> events = sse.readEvents(n).stream().filter(m -> m.data().contains(mine)).toList();
        if (events.stream().anyMatch(m -> m.event().equals("pipeline.finished"))) {
          return events;
        }
      }
    }
  }

  @Test
  void aFailingStepFailsTheJobAndFailureJobsRun() throws Exception {
    push("failing", Map.of(".github/workflows/ci.yml", """
        on: [push, pull_request]
        jobs:
          build:
            runs-on: ubuntu-22.04
            steps:
              - run: echo before
              - run: |
                  echo "about to fail" >&2
                  exit 3
              - run: echo never printed
              - if: always()
                run: echo cleanup ran
          notify:
            needs: build
            if: failure()
            runs-on: linux
            steps:
              - run: echo "build was ${{ needs.build.result }}"
          deploy:
            needs: build
            runs-on: linux
            steps:
              - run: echo deploying
        """));
    JsonNode p = finished("failing", 1);
    assertEquals("failed", p.get("status").asText(), p.toString());
    assertTrue(p.get("notices").get(0).asText().contains("pull_request"), p.toString());
    JsonNode build = job(p, "build");
    assertEquals("failed", build.get("status").asText());
    assertTrue(build.get("reason").asText().contains("exited with code 3"), build.toString());
    assertEquals("succeeded", job(p, "notify").get("status").asText());
    assertEquals("skipped", job(p, "deploy").get("status").asText());
    String log = log("failing", 1, "build");
    assertTrue(log.contains("about to fail"), log);
    assertTrue(log.contains("cleanup ran"), log);
    assertFalse(log.contains("never printed"), log);
    assertTrue(log("failing", 1, "notify").contains("build was failure"));
  }

  @Test
  void secretsReachStepsAndAreMaskedInTheLog() throws Exception {
    push("secrets", Map.of(".devflow/workflows/s.yml", """
        on: push
        jobs:
          leak:
            runs-on: linux
            steps:
              - run: |
                  echo "plain: ${{ secrets.DEPLOY_KEY }}"
                  echo "env: $KEY"
                  echo "b64: $(printf %%s "$KEY" | base64)"
                  test "$KEY" = "%s"
                env:
                  KEY: ${{ secrets.DEPLOY_KEY }}
        """.formatted(SECRET)));
    JsonNode p = finished("secrets", 1);
    assertEquals("succeeded", p.get("status").asText(), p.toString());
    String log = log("secrets", 1, "leak");
    String b64 = Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8));
    assertFalse(log.contains(SECRET), log);
    assertFalse(log.contains(b64), log);
    assertTrue(log.contains("plain: ***") && log.contains("env: ***") && log.contains("b64: ***"), log);
  }

  @Test
  void aBrokenWorkflowGivesAFailedPipelineThatSaysWhere() throws Exception {
    push("broken", Map.of(".devflow/workflows/bad.yml", """
        on: push
        jobs:
          a:
            runs-on: linux
            needs: b
            steps:
              - run: echo a
        """));
    JsonNode p = finished("broken", 1);
    assertEquals("failed", p.get("status").asText(), p.toString());
    JsonNode error = p.get("error");
    assertNotNull(error, p.toString());
    assertEquals(".devflow/workflows/bad.yml", error.get("file").asText());
    assertTrue(error.get("line").asInt() > 0, error.toString());
    assertTrue(error.get("message").asText().contains("b"), error.toString());
  }

  @Test
  void cancellingKillsTheRunningStepAndItsChildren() throws Exception {
    Path pidFile = dir.resolve("sleeper.pid");
    push("cancel", Map.of(".devflow/workflows/c.yml", """
        on: push
        jobs:
          slow:
            runs-on: linux
            steps:
              - run: |
                  sleep 600 &
                  echo $! > %s
                  wait
        """.formatted(pidFile)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
      assertTrue(System.nanoTime() < deadline, "the step never started");
      Thread.sleep(50);
    }
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    assertTrue(ProcessHandle.of(pid).isPresent());
    Api.Response cancel = api.post("/api/v1/tenants/ci/repos/cancel/pipelines/1/cancel", write, null);
    assertEquals(202, cancel.status(), cancel.body());
    JsonNode p = finished("cancel", 1);
    assertEquals("cancelled", p.get("status").asText(), p.toString());
    assertEquals("cancelled", job(p, "slow").get("status").asText());
    long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      assertTrue(System.nanoTime() < gone, "the step's child survived the cancellation");
      Thread.sleep(50);
    }
  }

  @Test
  void aManualRunAndItsLogFollowedOverSse() throws Exception {
    push("manual", Map.of(".devflow/workflows/m.yml", """
        name: manual
        on: workflow_dispatch
        jobs:
          hello:
            runs-on: linux
            steps:
              - run: for i in 1 2 3; do echo "line $i"; sleep 0.2; done
        """));
    Api.Response none = api.get("/api/v1/tenants/ci/repos/manual/pipelines", write);
    assertEquals(0, none.json().get("items").size(), "workflow_dispatch only: the push starts nothing");
    Api.Response run = api.post("/api/v1/tenants/ci/repos/manual/pipelines", write, "{\"ref\":\"main\"}");
    assertEquals(201, run.status(), run.body());
    int n = run.json().get("number").asInt();
    assertEquals("workflow_dispatch", run.json().get("event").asText());

    HttpRequest req = HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/tenants/ci/repos/manual/pipelines/"
            + n + "/jobs/hello/log?follow=true"))
        .header("Authorization", "Bearer " + write).timeout(Duration.ofSeconds(60)).GET().build();
    HttpResponse<java.util.stream.Stream<String>> r =
        HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    List<String> lines = r.body().collect(Collectors.toList());
    String all = String.join("\n", lines);
    assertTrue(all.contains("line 1") && all.contains("line 3"), all);
    assertTrue(all.contains("event: end"), all);
    assertTrue(all.contains("\"status\":\"succeeded\""), all);

    Api.Response bad = api.post("/api/v1/tenants/ci/repos/manual/pipelines", write, "{\"ref\":\"nope\"}");
    assertEquals(400, bad.status(), bad.body());
    assertTrue(bad.body().contains("ref"), bad.body());
  }
}
