package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Matrix expansion against the examples of GitHub's "Running variations of jobs in a workflow" page,
 * with the results that page documents. The matrices are parsed from YAML, as in a workflow.
 */
class MatrixTest {

  private static Strategy strategy(String matrixYaml) throws WorkflowException {
    String yaml = "on: push\njobs:\n  test:\n    runs-on: x\n    steps: [{run: 'true'}]\n    strategy:\n      matrix:\n"
        + matrixYaml.stripIndent().lines().map(l -> "        " + l).reduce("", (a, b) -> a + b + "\n");
    return WorkflowParser.parse("matrix.yml", yaml).jobs().get("test").strategy();
  }

  private static List<Map<String, Object>> combinations(String matrixYaml) throws WorkflowException {
    return strategy(matrixYaml).combinations();
  }

  @Test
  void singleDimension() throws WorkflowException {
    assertEquals(List.of(Map.of("version", 10.0), Map.of("version", 12.0), Map.of("version", 14.0)),
        combinations("version: [10, 12, 14]"));
  }

  @Test
  void multipleDimensionsFirstKeyVariesSlowest() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [ubuntu-22.04, ubuntu-20.04]
        version: [10, 12, 14]
        """);
    assertEquals(6, all.size());
    assertEquals(Map.of("os", "ubuntu-22.04", "version", 10.0), all.get(0));
    assertEquals(Map.of("os", "ubuntu-22.04", "version", 12.0), all.get(1));
    assertEquals(Map.of("os", "ubuntu-20.04", "version", 14.0), all.get(5));
    assertEquals(List.of("os", "version"), new ArrayList<>(all.get(0).keySet()));
  }

  @Test
  void objectValues() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [ubuntu-latest, macos-latest]
        node:
          - version: 14
          - version: 20
            env: NODE_OPTIONS=--openssl-legacy-provider
        """);
    assertEquals(4, all.size());
    assertEquals(Map.of("version", 14.0), all.get(0).get("node"));
  }

  /** The documented "Expanding or adding matrix configurations" example and its six combinations. */
  @Test
  void includeExtendsOrAdds() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        fruit: [apple, pear]
        animal: [cat, dog]
        include:
          - color: green
          - color: pink
            animal: cat
          - fruit: apple
            shape: circle
          - fruit: banana
          - fruit: banana
            animal: cat
        """);
    assertEquals(List.of(
        Map.of("fruit", "apple", "animal", "cat", "color", "pink", "shape", "circle"),
        Map.of("fruit", "apple", "animal", "dog", "color", "green", "shape", "circle"),
        Map.of("fruit", "pear", "animal", "cat", "color", "pink"),
        Map.of("fruit", "pear", "animal", "dog", "color", "green"),
        Map.of("fruit", "banana"),
        Map.of("fruit", "banana", "animal", "cat")), all);
  }

  /** "Example: Expanding configurations": windows-latest with node 16 also gets npm 6. */
  @Test
  void includeAddsAKeyToMatchingCombinations() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [windows-latest, ubuntu-latest]
        node: [14, 16]
        include:
          - os: windows-latest
            node: 16
            npm: 6
        """);
    assertEquals(4, all.size());
    assertEquals(Map.of("os", "windows-latest", "node", 16.0, "npm", 6.0), all.get(1));
    assertNull(all.get(0).get("npm"));
    assertNull(all.get(3).get("npm"));
  }

  /** "Example: Adding configurations": node 17 on windows matches no combination, so it is a new job. */
  @Test
  void includeThatChangesAnOriginalValueIsANewCombination() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [windows-latest, ubuntu-latest]
        node: [14, 16]
        include:
          - os: windows-latest
            node: 17
        """);
    assertEquals(5, all.size());
    assertEquals(Map.of("os", "windows-latest", "node", 17.0), all.get(4));
  }

  /** "Example: Only using include". */
  @Test
  void includeWithoutMatrixKeys() throws WorkflowException {
    assertEquals(List.of(Map.of("site", "production", "datacenter", "site-a"),
        Map.of("site", "staging", "datacenter", "site-b")), combinations("""
        include:
          - site: "production"
            datacenter: "site-a"
          - site: "staging"
            datacenter: "site-b"
        """));
  }

  /** "Excluding matrix configurations": 12 combinations, one excluded fully, two by a partial match. */
  @Test
  void excludeMatchesPartially() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [macos-latest, windows-latest]
        version: [12, 14, 16]
        environment: [staging, production]
        exclude:
          - os: macos-latest
            version: 12
            environment: production
          - os: windows-latest
            version: 16
        """);
    assertEquals(9, all.size());
    assertTrue(all.stream().noneMatch(c -> c.get("os").equals("windows-latest") && c.get("version").equals(16.0)));
    assertTrue(all.contains(Map.of("os", "macos-latest", "version", 12.0, "environment", "staging")));
  }

  /** Includes are processed after excludes, so an include can add back an excluded combination. */
  @Test
  void includeCanAddBackAnExcludedCombination() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os: [a, b]
        v: [1, 2]
        exclude:
          - {os: a, v: 1}
        include:
          - {os: a, v: 1, extra: x}
        """);
    assertEquals(List.of(Map.of("os", "a", "v", 2.0), Map.of("os", "b", "v", 1.0), Map.of("os", "b", "v", 2.0),
        Map.of("os", "a", "v", 1.0, "extra", "x")), all);
  }

  @Test
  void excludeMatchesNestedObjectsPartially() throws WorkflowException {
    List<Map<String, Object>> all = combinations("""
        os:
          - {name: Linux, value: ubuntu-latest}
          - {name: MacOS, value: macos-latest}
        arch: [{name: 64-bit, tag: amd64}, {name: 32-bit, tag: i386}]
        exclude:
          - {os: {name: MacOS}, arch: {tag: i386}}
        """);
    assertEquals(3, all.size());
  }

  @Test
  void noMatrixIsOneEmptyCombination() throws WorkflowException {
    assertEquals(List.of(Map.of()), new Strategy(Map.of(), List.of(), List.of(), true, null).combinations());
  }

  @Test
  void atMost256Combinations() throws WorkflowException {
    List<Object> sixteen = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      sixteen.add((double) i);
    }
    assertEquals(256, new Strategy(Map.of("a", sixteen, "b", sixteen), null, null, true, null).combinations().size());
    List<Object> seventeen = new ArrayList<>(sixteen);
    seventeen.add(16.0);
    WorkflowException e = assertThrows(WorkflowException.class,
        () -> new Strategy(Map.of("a", seventeen, "b", sixteen), null, null, true, null).combinations());
    assertEquals("the matrix has 272 combinations; at most 256 jobs are allowed", e.getMessage());
    assertNull(e.file());
  }

  @Test
  void failFastAndMaxParallel() throws WorkflowException {
    String yaml = """
        on: push
        jobs:
          test:
            runs-on: x
            steps: [{run: 'true'}]
            strategy:
              fail-fast: false
              max-parallel: 2
              matrix:
                os: [a]
        """;
    Strategy s = WorkflowParser.parse("m.yml", yaml).jobs().get("test").strategy();
    assertEquals(false, s.failFast());
    assertEquals(2, s.maxParallel());
    assertEquals(true, strategy("os: [a]").failFast());
    assertNull(strategy("os: [a]").maxParallel());
  }
}
