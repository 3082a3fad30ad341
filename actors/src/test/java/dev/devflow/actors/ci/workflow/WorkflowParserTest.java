package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the parser keeps of a valid workflow, and the notices it gives for what DevFlow ignores. */
class WorkflowParserTest {

  private static Workflow parse(String yaml) throws WorkflowException {
    return WorkflowParser.parse(".github/workflows/ci.yml", yaml);
  }

  private static final String JOBS = """
      jobs:
        build:
          runs-on: ubuntu-latest
          steps:
            - run: make
      """;

  @Test
  void triggersAsStringListOrMapping() throws WorkflowException {
    Workflow s = parse("on: push\n" + JOBS);
    assertEquals(PushTrigger.ANY, s.push());
    assertFalse(s.dispatch());
    assertEquals(List.of(), s.notices());

    Workflow l = parse("on: [push, workflow_dispatch, pull_request]\n" + JOBS);
    assertEquals(PushTrigger.ANY, l.push());
    assertTrue(l.dispatch());
    assertEquals(List.of(".github/workflows/ci.yml:1:31: trigger 'pull_request' is not supported by DevFlow and is ignored"),
        l.notices());

    Workflow m = parse("""
        on:
          workflow_dispatch:
            inputs:
              level: {type: string}
          schedule:
            - cron: '0 1 * * *'
        """ + JOBS);
    assertNull(m.push());
    assertTrue(m.dispatch());
    assertEquals(List.of(".github/workflows/ci.yml:5:3: trigger 'schedule' is not supported by DevFlow and is ignored"),
        m.notices());

    Workflow d = parse("on: workflow_dispatch\n" + JOBS);
    assertNull(d.push());
    assertTrue(d.dispatch());
  }

  @Test
  void pushFilters() throws WorkflowException {
    Workflow w = parse("""
        on:
          push:
            branches: [main, 'releases/**']
            tags: v*
            paths-ignore:
              - 'docs/**'
            types: [created]
        """ + JOBS);
    PushTrigger p = w.push();
    assertEquals(List.of("main", "releases/**"), p.branches());
    assertEquals(List.of("v*"), p.tags());
    assertEquals(List.of("docs/**"), p.pathsIgnore());
    assertEquals(List.of(), p.branchesIgnore(), "an absent filter is an empty list");
    assertEquals(List.of(), p.paths());
    assertEquals(List.of(".github/workflows/ci.yml:7:5: unknown key 'types' in on.push is ignored"), w.notices());
    assertEquals(PushTrigger.ANY, parse("on:\n  push:\n" + JOBS).push(), "push: with no value has no filters");
    Workflow empty = parse("on:\n  push:\n    branches: []\n" + JOBS);
    assertTrue(empty.push().matches("refs/tags/v1", null), "an empty filter is no filter");
    assertEquals(List.of(".github/workflows/ci.yml:3:15: on.push.branches is empty and filters nothing"),
        empty.notices());
  }

  @Test
  void workflowLevelKeys() throws WorkflowException {
    Workflow w = parse("""
        name: Build and test
        run-name: Deploy by @${{ github.actor }}
        on: push
        permissions: read-all
        env:
          NUMBER: 1
          FLOAT: 1.10
          HEX: 0x1F
          BOOL: true
          EMPTY:
          QUOTED: "007"
          TEMPLATE: ${{ github.sha }}
        defaults:
          run:
            shell: bash
            working-directory: src
        whatever: 1
        """ + JOBS);
    assertEquals("Build and test", w.name());
    assertEquals(".github/workflows/ci.yml", w.file());
    assertEquals(Map.of("NUMBER", "1", "FLOAT", "1.10", "HEX", "0x1F", "BOOL", "true", "EMPTY", "",
        "QUOTED", "007", "TEMPLATE", "${{ github.sha }}"), w.env());
    assertEquals(List.of("NUMBER", "FLOAT", "HEX", "BOOL", "EMPTY", "QUOTED", "TEMPLATE"), new ArrayList<>(w.env().keySet()));
    assertEquals(new Defaults("bash", "src"), w.defaults());
    assertEquals(List.of(
        ".github/workflows/ci.yml:2:1: key 'run-name' is not supported by DevFlow and is ignored",
        ".github/workflows/ci.yml:4:1: key 'permissions' is not supported by DevFlow and is ignored",
        ".github/workflows/ci.yml:17:1: unknown key 'whatever' is ignored"), w.notices());
    assertEquals(".github/workflows/ci.yml", parse("on: push\n" + JOBS).name(), "no name: the file");
    assertEquals(Defaults.NONE, parse("on: push\n" + JOBS).defaults());
  }

  @Test
  void jobsKeepFileOrderAndEveryKey() throws WorkflowException {
    Workflow w = parse("""
        on: push
        jobs:
          zeta:
            runs-on: [self-hosted, linux]
            steps: [{run: echo z}]
          alpha:
            name: Test on ${{ matrix.os }}
            runs-on: ${{ matrix.os }}
            needs: zeta
            if: github.ref == 'refs/heads/main'
            timeout-minutes: 30
            continue-on-error: ${{ matrix.experimental }}
            outputs:
              version: ${{ steps.v.outputs.version }}
            strategy:
              matrix:
                os: [ubuntu-latest, macos-latest]
            env:
              CI: true
            defaults:
              run:
                working-directory: app
            steps:
              - run: echo a
          middle:
            runs-on:
              group: big
              labels: ubuntu-latest
            needs: [zeta, alpha]
            continue-on-error: true
            services:
              db: {image: postgres}
            steps:
              - uses: actions/checkout@v4
        """);
    assertEquals(List.of("zeta", "alpha", "middle"), new ArrayList<>(w.jobs().keySet()));
    JobSpec zeta = w.jobs().get("zeta");
    assertEquals(List.of("self-hosted", "linux"), zeta.runsOn());
    assertEquals(List.of(), zeta.needs());
    assertNull(zeta.name());
    assertNull(zeta.ifExpr());
    assertNull(zeta.strategy());
    assertNull(zeta.continueOnError());
    assertEquals(360, zeta.timeoutMinutes());
    assertEquals(Defaults.NONE, zeta.defaults());
    assertEquals(3, zeta.line());

    JobSpec alpha = w.jobs().get("alpha");
    assertEquals("alpha", alpha.id());
    assertEquals("Test on ${{ matrix.os }}", alpha.name());
    assertEquals(List.of("${{ matrix.os }}"), alpha.runsOn());
    assertEquals(List.of("zeta"), alpha.needs());
    assertEquals("github.ref == 'refs/heads/main'", alpha.ifExpr());
    assertEquals(30, alpha.timeoutMinutes());
    assertEquals("${{ matrix.experimental }}", alpha.continueOnError());
    assertEquals(Map.of("version", "${{ steps.v.outputs.version }}"), alpha.outputs());
    assertEquals(Map.of("os", List.of("ubuntu-latest", "macos-latest")), alpha.strategy().matrix());
    assertEquals(Map.of("CI", "true"), alpha.env());
    assertEquals(new Defaults(null, "app"), alpha.defaults());
    assertEquals(6, alpha.line());

    JobSpec middle = w.jobs().get("middle");
    assertEquals(List.of("ubuntu-latest"), middle.runsOn());
    assertEquals(List.of("zeta", "alpha"), middle.needs());
    assertEquals("true", middle.continueOnError());
    assertEquals(List.of(
        ".github/workflows/ci.yml:27:7: key 'group' of job 'middle' runs-on is not supported by DevFlow and is ignored",
        ".github/workflows/ci.yml:31:5: key 'services' of job 'middle' is not supported by DevFlow and is ignored"),
        w.notices());
  }

  @Test
  void steps() throws WorkflowException {
    Workflow w = parse("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  fetch-depth: 0
              - name: Build ${{ matrix.os }}
                id: build_1
                run: |
                  make
                  echo "${{ github.sha }}"
                shell: bash
                env:
                  LEVEL: 3
                working-directory: src
                if: ${{ success() && github.event_name == 'push' }}
                continue-on-error: false
                timeout-minutes: 5
                comment: hi
              - uses: docker://alpine:3
        """);
    List<StepSpec> steps = w.jobs().get("build").steps();
    assertEquals(3, steps.size());
    StepSpec checkout = steps.get(0);
    assertEquals("actions/checkout@v4", checkout.uses());
    assertTrue(checkout.isCheckout());
    assertNull(checkout.run());
    assertEquals(6, checkout.line());
    StepSpec build = steps.get(1);
    assertEquals("build_1", build.id());
    assertEquals("Build ${{ matrix.os }}", build.name());
    assertEquals("make\necho \"${{ github.sha }}\"\n", build.run());
    assertEquals("bash", build.shell());
    assertEquals(Map.of("LEVEL", "3"), build.env());
    assertEquals("src", build.workingDirectory());
    assertEquals("${{ success() && github.event_name == 'push' }}", build.ifExpr());
    assertEquals("false", build.continueOnError());
    assertEquals(5.0, build.timeoutMinutes());
    assertEquals(9, build.line());
    StepSpec other = steps.get(2);
    assertEquals("docker://alpine:3", other.uses(), "any other action is kept; it fails when the job runs");
    assertFalse(other.isCheckout());
    assertNull(other.timeoutMinutes());
    assertEquals(List.of(".github/workflows/ci.yml:21:9: unknown key 'comment' in job 'build' step 2 is ignored"),
        w.notices());
  }

  @Test
  void timeoutFromAnExpressionKeepsTheDefault() throws WorkflowException {
    Workflow w = parse("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            timeout-minutes: ${{ fromJSON(vars.TIMEOUT) }}
            steps:
              - run: make
                timeout-minutes: 2.5
        """);
    assertEquals(360, w.jobs().get("build").timeoutMinutes());
    assertEquals(2.5, w.jobs().get("build").steps().get(0).timeoutMinutes(), "fractions are kept");
    assertEquals(List.of(".github/workflows/ci.yml:5:22: job 'build' timeout-minutes from an expression is not"
        + " supported by DevFlow; using 360 minutes"), w.notices());
  }

  @Test
  void anchorsAndAliases() throws WorkflowException {
    Workflow w = parse("""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            env: &shared
              X: "1"
            steps: [{run: echo}]
          b:
            runs-on: ubuntu-latest
            env: *shared
            steps: [{run: echo}]
        """);
    assertEquals(Map.of("X", "1"), w.jobs().get("b").env());
  }

  @Test
  void noOnIsANotice() throws WorkflowException {
    Workflow w = parse(JOBS);
    assertNull(w.push());
    assertFalse(w.dispatch());
    assertEquals(List.of(".github/workflows/ci.yml:1:1: the workflow has no 'on' triggers and never runs"), w.notices());
  }
}
