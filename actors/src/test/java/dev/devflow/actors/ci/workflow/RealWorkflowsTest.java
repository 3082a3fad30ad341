package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Workflow files copied unchanged from open-source projects (source, commit and license in each
 * file's first line). They use only {@code run} steps and {@code actions/checkout}; each must parse,
 * and the assertions are facts read off the files.
 */
class RealWorkflowsTest {

  static final List<String> FILES = List.of("rbenv-ci.yml", "zlib-c-std.yml", "libuv-ci-sample.yml",
      "git-check-style.yml", "valkey-coverity.yml", "valkey-clang-format.yml");

  private static Workflow load(String name) throws IOException, WorkflowException {
    try (InputStream in = RealWorkflowsTest.class.getResourceAsStream("/workflows/" + name)) {
      return WorkflowParser.parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static ExpressionContext context(Map<String, Object> matrix, Map<String, Object> runner) {
    Map<String, Object> contexts = new HashMap<>();
    contexts.put("matrix", matrix);
    contexts.put("runner", runner);
    contexts.put("github", Map.of("repository", "valkey-io/valkey"));
    return ExpressionContext.of(contexts);
  }

  static List<String> files() {
    return FILES;
  }

  @ParameterizedTest
  @MethodSource("files")
  void parsesWithOnlyRunStepsAndCheckout(String name) throws Exception {
    Workflow w = load(name);
    assertFalse(w.jobs().isEmpty());
    for (JobSpec job : w.jobs().values()) {
      for (StepSpec step : job.steps()) {
        assertTrue(step.run() != null || step.isCheckout(), name + " step at line " + step.line());
      }
    }
  }

  @Test
  void rbenv() throws Exception {
    Workflow w = load("rbenv-ci.yml");
    assertEquals("CI", w.name());
    assertEquals(PushTrigger.ANY, w.push());
    assertTrue(w.push().matches("refs/tags/v1.3.0", null));
    assertFalse(w.dispatch());
    assertEquals(List.of("rbenv-ci.yml:3:12: trigger 'pull_request' is not supported by DevFlow and is ignored"),
        w.notices());
    JobSpec build = w.jobs().get("build");
    assertEquals(List.of("${{ matrix.os }}"), build.runsOn());
    assertFalse(build.strategy().failFast());
    assertEquals(List.of(Map.of("os", "ubuntu-latest"), Map.of("os", "macos-latest")), build.strategy().combinations());
    assertEquals(List.of("actions/checkout@v6", "Install bats", "Run tests"),
        build.steps().stream().map(s -> s.name() != null ? s.name() : s.uses()).collect(Collectors.toList()));
    assertEquals("PATH=\"./bats/bin:$PATH\" test/run", build.steps().get(2).run());
  }

  @Test
  void zlibCStandardMatrixWithNestedExcludes() throws Exception {
    Workflow w = load("zlib-c-std.yml");
    assertEquals("C Standard", w.name());
    assertTrue(w.dispatch());
    assertEquals(PushTrigger.ANY, w.push(), "push: with no value");
    assertEquals(List.of("main", "msvc"), new ArrayList<>(w.jobs().keySet()));
    JobSpec main = w.jobs().get("main");
    List<Map<String, Object>> combinations = main.strategy().combinations();
    // 3 os × 2 compilers × 2 arches × 2 builders × 11 standards = 264, less 44 + 44 + 44 - 22 excluded.
    assertEquals(154, combinations.size());
    assertTrue(combinations.stream().noneMatch(c -> name(c, "os").equals("MacOS") && name(c, "arch").equals("32-bit")));
    assertTrue(combinations.stream().noneMatch(c -> name(c, "os").equals("Windows") && c.get("builder").equals("configure")));
    assertEquals("Linux gcc 64-bit c89  configure", Expressions.interpolate(main.name(),
        context(combinations.get(0), Map.of("os", "Linux"))));
    StepSpec linuxPackages = main.steps().get(1);
    assertEquals("runner.os == 'Linux' && matrix.arch.tag == 'i386'", linuxPackages.ifExpr());
    Map<String, Object> i386 = combinations.stream().filter(c -> name(c, "arch").equals("32-bit")).findFirst().orElseThrow();
    assertTrue(Expressions.condition(linuxPackages.ifExpr(), context(i386, Map.of("os", "Linux"))));
    assertFalse(Expressions.condition(linuxPackages.ifExpr(), context(combinations.get(0), Map.of("os", "Linux"))));
    assertEquals("-std=c89 -m64 -Werror -Wall -Wextra", Expressions.interpolate(main.steps().get(3).env().get("CFLAGS"),
        context(combinations.get(0), Map.of())));
    assertEquals(8, w.jobs().get("msvc").strategy().combinations().size());
    assertEquals(List.of("zlib-c-std.yml:10:3: trigger 'pull_request' is not supported by DevFlow and is ignored"),
        w.notices());
  }

  @SuppressWarnings("unchecked")
  private static String name(Map<String, Object> combination, String key) {
    return (String) ((Map<String, Object>) combination.get(key)).get("name");
  }

  @Test
  void libuvSampleBranchFilters() throws Exception {
    Workflow w = load("libuv-ci-sample.yml");
    assertEquals(List.of("v[0-9].*", "master"), w.push().branches());
    assertTrue(w.push().matches("refs/heads/master", null));
    assertTrue(w.push().matches("refs/heads/v1.x", null));
    assertFalse(w.push().matches("refs/heads/v1", null));
    assertFalse(w.push().matches("refs/heads/feature", null));
    assertFalse(w.push().matches("refs/tags/v1.48.0", null), "branch filters only");
    JobSpec build = w.jobs().get("build");
    assertEquals(3, build.strategy().combinations().size());
    StepSpec configure = build.steps().get(2);
    assertEquals("cmake ..", configure.run());
    assertEquals("/home/runner/work/libuv/libuv/docs/code/build", Expressions.interpolate(configure.workingDirectory(),
        context(Map.of(), Map.of("workspace", "/home/runner/work/libuv"))));
  }

  @Test
  void gitCheckStyle() throws Exception {
    Workflow w = load("git-check-style.yml");
    assertNull(w.push());
    assertFalse(w.dispatch());
    JobSpec job = w.jobs().get("check-style");
    assertEquals(Map.of("CC", "clang", "jobname", "ClangFormat"), job.env());
    assertEquals(List.of("ubuntu-latest"), job.runsOn());
    assertEquals("ci/install-dependencies.sh", job.steps().get(1).run());
    assertNull(job.steps().get(1).name());
    StepSpec style = job.steps().get(2);
    assertEquals("check_out", style.id());
    assertEquals("true", style.continueOnError());
    assertEquals(List.of("git-check-style.yml:8:3: trigger 'pull_request' is not supported by DevFlow and is ignored",
        "git-check-style.yml:13:1: key 'concurrency' is not supported by DevFlow and is ignored"), w.notices());
  }

  @Test
  void valkeyCoverityRunsOnScheduleOrDispatch() throws Exception {
    Workflow w = load("valkey-coverity.yml");
    assertEquals("Coverity Scan", w.name());
    assertTrue(w.dispatch());
    assertNull(w.push());
    JobSpec coverity = w.jobs().get("coverity");
    assertEquals("github.repository == 'valkey-io/valkey'", coverity.ifExpr());
    assertTrue(Expressions.condition(coverity.ifExpr(), context(Map.of(), Map.of())));
    assertFalse(Expressions.condition(coverity.ifExpr(),
        ExpressionContext.of(Map.of("github", Map.of("repository", "someone/fork")))));
    assertEquals(5, coverity.steps().size());
    assertEquals(List.of("valkey-coverity.yml:5:3: trigger 'schedule' is not supported by DevFlow and is ignored",
        "valkey-coverity.yml:11:1: key 'concurrency' is not supported by DevFlow and is ignored",
        "valkey-coverity.yml:15:1: key 'permissions' is not supported by DevFlow and is ignored"), w.notices());
  }

  @Test
  void valkeyClangFormatStepOutputs() throws Exception {
    JobSpec job = load("valkey-clang-format.yml").jobs().get("clang-format-check");
    assertEquals(List.of(), job.needs());
    StepSpec check = job.steps().get(3);
    assertEquals("bash", check.shell());
    assertEquals("${{ steps.clang-format.outputs.diff }}", check.ifExpr());
    Map<String, Object> steps = Map.of("clang-format", Map.of("outputs", Map.of("diff", "ZGlmZgo=")));
    assertTrue(Expressions.condition(check.ifExpr(), ExpressionContext.of(Map.of("steps", steps))));
    assertFalse(Expressions.condition(check.ifExpr(), ExpressionContext.of(Map.of("steps", Map.of()))));
    assertEquals("clang-format", job.steps().get(2).id());
  }
}
