package dev.devflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.ci.workflow.WorkflowParser;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scheduling rules, run on states built from real workflow files (no actors). */
class PipelinePlannerTest {

  private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");

  /** A pipeline being driven by hand: created, then jobs finished as a runner would report them. */
  private static final class Run {
    final Workflow workflow;
    final Map<String, Object> github;
    Pipeline.State state = Pipeline.State.empty();
    final List<Pipeline.Event> events = new ArrayList<>();
    final List<String> cancelled = new ArrayList<>();

    Run(String yaml) throws Exception {
      workflow = WorkflowParser.parse("ci.yml", yaml);
      PipelineInfo info = new PipelineInfo("acme", "web", 1, "ci.yml", "ci", yaml, "refs/heads/main",
          "a".repeat(40), null, "push", "dev", null, NOW, List.of());
      github = PipelineContexts.github(info, 1);
      apply(new Pipeline.PipelineCreated(info, PipelinePlanner.expand(workflow, github)));
    }

    void apply(Pipeline.Event e) {
      events.add(e);
      state = state.apply(e);
      PipelinePlanner.Plan plan = PipelinePlanner.next(state, workflow, github, NOW);
      cancelled.addAll(plan.leasesToCancel());
      for (Pipeline.Event next : plan.events()) {
        events.add(next);
        state = state.apply(next);
      }
    }

    void start(String key) {
      apply(new Pipeline.JobStarted(key, state.jobs().get(key).attempt(), "lease-" + key, "r1", NOW));
    }

    void finish(String key, Status status, Map<String, String> outputs) {
      if (state.jobs().get(key).status() == Status.QUEUED) {
        start(key);
      }
      apply(new Pipeline.JobFinished(key, state.jobs().get(key).attempt(), "lease-" + key, status, outputs, null,
          false, NOW));
    }

    Status status(String key) {
      return state.jobs().get(key).status();
    }
  }

  @Test
  void needsWaitAndMatrixExpandsToNamedJobs() throws Exception {
    Run run = new Run("""
        on: push
        jobs:
          build:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [linux, arm]
                v: [1]
            steps: [{run: make}]
          test:
            needs: build
            runs-on: linux
            steps: [{run: make test}]
        """);
    assertEquals(List.of("build-1", "build-2", "test"), List.copyOf(run.state.jobs().keySet()));
    assertEquals("build (linux, 1)", run.state.jobs().get("build-1").name());
    assertEquals(List.of("arm"), run.state.jobs().get("build-2").runsOn());
    assertEquals(Status.QUEUED, run.status("build-1"));
    assertEquals(Status.WAITING, run.status("test"));
    run.finish("build-1", Status.SUCCEEDED, Map.of("artifact", "a.tar"));
    assertEquals(Status.WAITING, run.status("test"), "one combination is still running");
    run.finish("build-2", Status.SUCCEEDED, Map.of());
    assertEquals(Status.QUEUED, run.status("test"));
    Map<String, Object> needs = PipelinePlanner.needsContext(run.state, run.state.jobs().get("test"));
    assertEquals(Map.of("result", "success", "outputs", Map.of("artifact", "a.tar")), needs.get("build"));
    run.finish("test", Status.SUCCEEDED, Map.of());
    assertEquals("succeeded", run.state.status());
    assertTrue(run.state.finished());
  }

  @Test
  void aFailureSkipsDependentsButRunsFailureAndAlwaysJobs() throws Exception {
    Run run = new Run("""
        on: push
        jobs:
          build: {runs-on: linux, steps: [{run: make}]}
          deploy: {needs: build, runs-on: linux, steps: [{run: deploy}]}
          report: {needs: build, if: failure(), runs-on: linux, steps: [{run: report}]}
          cleanup: {needs: [deploy], if: always(), runs-on: linux, steps: [{run: cleanup}]}
          ok-only: {needs: build, if: "success()", runs-on: linux, steps: [{run: x}]}
        """);
    run.finish("build", Status.FAILED, Map.of());
    assertEquals(Status.SKIPPED, run.status("deploy"));
    assertEquals(Status.QUEUED, run.status("report"));
    assertEquals(Status.SKIPPED, run.status("ok-only"));
    assertEquals(Status.QUEUED, run.status("cleanup"), "always() runs after a skipped need");
    run.finish("report", Status.SUCCEEDED, Map.of());
    run.finish("cleanup", Status.SUCCEEDED, Map.of());
    assertEquals("failed", run.state.status());
  }

  @Test
  void aFalseIfSkipsAndABrokenIfFailsTheJob() throws Exception {
    Run run = new Run("""
        on: push
        jobs:
          tagged: {if: "startsWith(github.ref, 'refs/tags/')", runs-on: linux, steps: [{run: x}]}
          main: {if: "github.ref_name == 'main'", runs-on: linux, steps: [{run: x}]}
          broken: {if: "fromJSON('{')", runs-on: linux, steps: [{run: x}]}
        """);
    assertEquals(Status.SKIPPED, run.status("tagged"));
    assertEquals(Status.QUEUED, run.status("main"));
    assertEquals(Status.FAILED, run.status("broken"));
    assertTrue(run.state.jobs().get("broken").reason().startsWith("if: "), run.state.jobs().get("broken").reason());
  }

  @Test
  void failFastCancelsTheOtherCombinationsAndMaxParallelHoldsThemBack() throws Exception {
    Run run = new Run("""
        on: push
        jobs:
          test:
            runs-on: linux
            strategy:
              max-parallel: 2
              matrix:
                n: [1, 2, 3, 4]
            steps: [{run: x}]
        """);
    assertEquals(Status.QUEUED, run.status("test-1"));
    assertEquals(Status.QUEUED, run.status("test-2"));
    assertEquals(Status.WAITING, run.status("test-3"), "max-parallel 2");
    run.start("test-2");
    run.finish("test-1", Status.FAILED, Map.of());
    assertEquals(Status.CANCELLED, run.status("test-3"));
    assertEquals(Status.CANCELLED, run.status("test-4"));
    assertEquals(Status.RUNNING, run.status("test-2"), "a running combination is told to stop");
    assertEquals(List.of("lease-test-2"), run.cancelled.stream().distinct().toList());
    run.finish("test-2", Status.CANCELLED, Map.of());
    assertEquals("failed", run.state.status());
  }

  @Test
  void withoutFailFastAndWithContinueOnErrorTheRestGoesOn() throws Exception {
    Run run = new Run("""
        on: push
        jobs:
          test:
            runs-on: linux
            strategy:
              fail-fast: false
              matrix:
                n: [1, 2]
            steps: [{run: x}]
          after: {needs: test, runs-on: linux, steps: [{run: x}]}
        """);
    run.finish("test-1", Status.FAILED, Map.of());
    assertEquals(Status.QUEUED, run.status("test-2"));
    run.apply(new Pipeline.JobStarted("test-2", 1, "l2", "r1", NOW));
    run.apply(new Pipeline.JobFinished("test-2", 1, "l2", Status.FAILED, Map.of(), "x", true, NOW));
    assertEquals(Status.SKIPPED, run.status("after"), "test-1 failed for real");
    assertEquals("failed", run.state.status());
  }
}
