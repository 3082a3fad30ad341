package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every rejected workflow fails with the file, line and column of what is wrong. */
class WorkflowParserErrorsTest {

  private static final String FILE = ".github/workflows/bad.yml";

  private static WorkflowException fails(String yaml) {
    return assertThrows(WorkflowException.class, () -> WorkflowParser.parse(FILE, yaml));
  }

  private static void assertAt(WorkflowException e, int line, int column, String reason) {
    assertEquals(FILE, e.file());
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(column, e.column(), e.getMessage());
    assertEquals(reason, e.reason());
    assertEquals(FILE + ":" + line + ":" + column + ": " + reason, e.getMessage());
  }

  private static void assertAt(WorkflowException e, int line, int column) {
    assertEquals(FILE, e.file());
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(column, e.column(), e.getMessage());
  }

  @Test
  void invalidYaml() {
    WorkflowException e = fails("on: push\njobs:\n  build: [a, b\n  other: x\n");
    assertAt(e, 4, 8);
    assertTrue(e.reason().startsWith("invalid YAML: "), e.reason());
    assertAt(fails("on: push\n\tjobs: {}\n"), 2, 1);
  }

  @Test
  void topLevelMustBeAMapping() {
    assertAt(fails("- on\n- jobs\n"), 1, 1, "the top level of a workflow must be a mapping, not a list");
    assertAt(fails("# nothing\n"), 1, 1, "the workflow is empty");
    assertAt(fails("\n\njust text\n"), 3, 1, "the top level of a workflow must be a mapping, not 'just text'");
  }

  @Test
  void jobsAreRequired() {
    assertAt(fails("# comment\non: push\nname: x\n"), 2, 1, "the workflow has no 'jobs'");
    assertAt(fails("on: push\njobs: {}\n"), 2, 1, "the workflow has no jobs");
    assertAt(fails("on: push\njobs:\n"), 2, 1, "the workflow has no jobs");
    assertAt(fails("on: push\njobs: [a]\n"), 2, 7, "jobs must be a mapping, not a list");
  }

  @Test
  void jobMustBeAMappingWithRunsOnAndSteps() {
    assertAt(fails("on: push\njobs:\n  build: make\n"), 3, 10, "job 'build' must be a mapping, not 'make'");
    assertAt(fails("on: push\njobs:\n  build:\n    steps: [{run: make}]\n"), 3, 3, "job 'build' has no 'runs-on'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n"), 3, 3, "job 'build' has no 'steps'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n    steps: make\n"), 5, 12,
        "job 'build' steps must be a list, not 'make'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n    steps: []\n"), 5, 12, "job 'build' has no steps");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: []\n    steps: [{run: make}]\n"), 4, 14,
        "job 'build' runs-on must name at least one runner label");
    assertAt(fails("on: push\njobs:\n  1st:\n    runs-on: x\n    steps: [{run: make}]\n"), 3, 3);
    assertAt(fails("on: push\njobs:\n  call:\n    uses: org/repo/.github/workflows/w.yml@main\n"), 4, 5,
        "job 'call' calls a reusable workflow ('uses'), which DevFlow does not support");
  }

  @Test
  void needsMustNameJobsWithoutCycles() {
    String missing = """
        on: push
        jobs:
          a:
            runs-on: x
            needs: [b, nope]
            steps: [{run: make}]
          b:
            runs-on: x
            steps: [{run: make}]
        """;
    assertAt(fails(missing), 5, 16, "job 'a' needs 'nope', which is not a job of this workflow");
    String cycle = """
        on: push
        jobs:
          a:
            runs-on: x
            needs: c
            steps: [{run: make}]
          b:
            runs-on: x
            needs: a
            steps: [{run: make}]
          c:
            runs-on: x
            needs: [b]
            steps: [{run: make}]
        """;
    assertAt(fails(cycle), 9, 12, "the needs of jobs form a cycle: a -> c -> b -> a");
    assertAt(fails("on: push\njobs:\n  a:\n    runs-on: x\n    needs: a\n    steps: [{run: make}]\n"), 5, 12,
        "the needs of jobs form a cycle: a -> a");
  }

  @Test
  void stepNeedsExactlyOneOfRunAndUses() {
    String both = """
        on: push
        jobs:
          build:
            runs-on: x
            steps:
              - run: make
              - name: both
                run: make
                uses: actions/checkout@v4
        """;
    assertAt(fails(both), 7, 9, "job 'build' step 2 has both 'run' and 'uses'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - name: nothing\n"), 6, 9,
        "job 'build' step 1 has neither 'run' nor 'uses'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - make\n"), 6, 9,
        "job 'build' step 1 must be a mapping, not 'make'");
    assertAt(fails("on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - {id: a, run: x}\n      - {id: a, run: y}\n"),
        7, 9, "job 'build' has two steps with id 'a'");
  }

  @Test
  void badTypes() {
    assertAt(fails("on: push\nenv: [A]\njobs: {}\n"), 2, 6, "env must be a mapping, not a list");
    assertAt(fails("on: push\nenv:\n  A: {b: c}\njobs: {}\n"), 3, 6, "env.A must be a scalar, not a mapping");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    timeout-minutes: soon\n    steps: [{run: m}]\n"), 5, 22,
        "job 'b' timeout-minutes must be a number, not 'soon'");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    continue-on-error: maybe\n    steps: [{run: m}]\n"), 5, 24,
        "job 'b' continue-on-error must be a boolean or an expression, not 'maybe'");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: {labels: [x]}\n    needs: {a: 1}\n    steps: [{run: m}]\n"), 5, 12,
        "job 'b' needs must be a list, not a mapping");
    assertAt(fails("on:\n  push:\n    branches: {main: 1}\njobs: {}\n"), 3, 15,
        "on.push.branches must be a list, not a mapping");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    steps: [{run: m, env: [A]}]\n"), 5, 27,
        "job 'b' step 1 env must be a mapping, not a list");
  }

  @Test
  void duplicateKeys() {
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    runs-on: y\n    steps: [{run: m}]\n"), 5, 5,
        "duplicate key 'runs-on' in job 'b' (first at line 4)");
  }

  @Test
  void pushFilterRules() {
    assertAt(fails("on:\n  push:\n    branches: [main]\n    branches-ignore: [dev]\njobs: {}\n"), 4, 5,
        "on.push cannot use both 'branches' and 'branches-ignore'");
    assertAt(fails("on:\n  push:\n    paths: ['!docs/**']\njobs: {}\n"), 3, 12,
        "on.push.paths has only negated ('!') patterns; it needs at least one pattern without '!'");
  }

  @Test
  void expressionErrorsPointIntoTheValue() {
    WorkflowException plain = fails("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: echo ${{ github.ref = 1 }}\n");
    assertAt(plain, 6, 34);
    assertTrue(plain.reason().startsWith("invalid expression in job 'b' step 1 run: Unexpected symbol: '='"),
        plain.reason());
    String block = """
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - run: |
                  make
                    echo ${{ nope.x }}
        """;
    WorkflowException e = fails(block);
    assertAt(e, 8, 22);
    assertTrue(e.reason().contains("Unrecognized named-value: 'nope'"), e.reason());
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    if: github.ref == \n    steps: [{run: m}]\n"), 5, 22);
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    if: \"${{ contains('a') }}\"\n    steps: [{run: m}]\n"), 5, 14);
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    steps: [{run: 'echo ${{ github.sha'}]\n"), 5, 25);
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: ${{ matrix.os ]}}\n    steps: [{run: m}]\n"), 4, 28);
    assertAt(fails("on: push\nenv:\n  A: ${{ secrets.X && }}\njobs: {}\n"), 3, 23);
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    outputs:\n      o: >-\n        ${{ steps.a.outputs.b == }}\n"
        + "    steps: [{run: m}]\n"), 6, 10);
  }

  @Test
  void matrixErrors() {
    String fromExpression = """
        on: push
        jobs:
          b:
            runs-on: x
            strategy:
              matrix: ${{ fromJSON(needs.setup.outputs.matrix) }}
            steps: [{run: m}]
        """;
    assertAt(fails(fromExpression), 6, 15, "job 'b' matrix: matrix from an expression is not supported");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    strategy:\n      matrix:\n        os: ${{ fromJSON(x) }}\n"
        + "    steps: [{run: m}]\n"), 7, 13, "job 'b' matrix os: matrix from an expression is not supported");
    assertAt(fails("on: push\njobs:\n  b:\n    runs-on: x\n    strategy:\n      matrix:\n        os: []\n"
        + "    steps: [{run: m}]\n"), 7, 13, "job 'b' matrix vector 'os' does not contain any values");
    StringBuilder big = new StringBuilder("on: push\njobs:\n  first:\n    runs-on: x\n    steps: [{run: m}]\n");
    big.append("  huge:\n    runs-on: x\n    steps: [{run: m}]\n    strategy:\n      matrix:\n");
    big.append("        a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n");
    big.append("        b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n");
    assertAt(fails(big.toString()), 6, 3, "job 'huge': the matrix has 272 combinations; at most 256 jobs are allowed");
  }
}
