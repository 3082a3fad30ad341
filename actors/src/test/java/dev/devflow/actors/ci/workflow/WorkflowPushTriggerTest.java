package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.actors.ci.workflow.internal.GlobFilter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Push filters: the patterns of GitHub's "Filter pattern cheat sheet" and its branch/tag/path rules. */
class WorkflowPushTriggerTest {

  private static PushTrigger branches(String... patterns) {
    return new PushTrigger(List.of(patterns), null, null, null, null, null);
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "feature/*                | feature/my-branch             | true",
      "feature/*                | feature/your/branch           | false",
      "feature/**               | feature/mona/the/octocat      | true",
      "main                     | main                          | true",
      "main                     | main2                         | false",
      "*                        | releases                      | true",
      "*                        | releases/10                   | false",
      "**                       | all/the/branches              | true",
      "*feature                 | ver-10-feature                | true",
      "*feature                 | feature                       | true",
      "v2*                      | v2                            | true",
      "v2*                      | v2.9                          | true",
      "v2*                      | v3                            | false",
      "v[12].[0-9]+.[0-9]+      | v1.10.1                       | true",
      "v[12].[0-9]+.[0-9]+      | v2.0.0                        | true",
      "v[12].[0-9]+.[0-9]+      | v3.0.0                        | false",
      "v[12].[0-9]+.[0-9]+      | v1..1                         | false",
      "*.jsx?                   | page.js                       | true",
      "*.jsx?                   | page.jsx                      | true",
      "*.jsx?                   | page.jsxx                     | false",
      "**.js                    | src/js/app.js                 | true",
      "*.js                     | js/index.js                   | false",
      "docs/*                   | docs/file.txt                 | true",
      "docs/**                  | docs/mona/octocat.txt         | true",
      "docs/**/*.md             | docs/README.md                | true",
      "docs/**/*.md             | docs/a/markdown/file.md       | true",
      "**/docs/**               | docs/hello.md                 | true",
      "**/docs/**               | space/docs/plan/space.doc     | true",
      "**/README.md             | README.md                     | true",
      "**/README.md             | js/README.md                  | true",
      "**/*src/**               | my-src/code/js/app.js         | true",
      "**/*-post.md             | path/their-post.md            | true",
      "**/migrate-*.sql         | db/migrate-v1.0.sql           | true",
      "**/migrate-*.sql         | db/sept/migrate-v1.sql        | true",
      "releases/\\*             | releases/*                    | true",
      "releases/\\*             | releases/1                    | false",
  })
  void cheatSheetPatterns(String pattern, String name, boolean expected) {
    assertEquals(expected, GlobFilter.of(List.of(pattern)).matches(name));
  }

  @Test
  void laterPatternsOverrideEarlierOnes() {
    GlobFilter md = GlobFilter.of(List.of("*.md", "!README.md"));
    assertTrue(md.matches("hello.md"));
    assertFalse(md.matches("README.md"));
    assertFalse(md.matches("docs/hello.md"));
    GlobFilter readmeBack = GlobFilter.of(List.of("*.md", "!README.md", "README*"));
    assertTrue(readmeBack.matches("README.md"));
    assertTrue(readmeBack.matches("README.doc"));
    PushTrigger releases = branches("releases/**", "!releases/**-alpha");
    assertTrue(releases.matches("refs/heads/releases/10", null));
    assertTrue(releases.matches("refs/heads/releases/beta/mona", null));
    assertFalse(releases.matches("refs/heads/releases/10-alpha", null));
  }

  @Test
  void noFiltersMatchEveryPush() {
    assertEquals(PushTrigger.ANY, new PushTrigger(null, List.of(), null, null, null, null), "null and empty are both absent");
    assertTrue(PushTrigger.ANY.matches("refs/heads/main", null));
    assertTrue(PushTrigger.ANY.matches("refs/tags/v1", List.of()));
    assertTrue(PushTrigger.ANY.matches("refs/heads/x", List.of("any/file")));
  }

  @Test
  void onlyBranchFiltersSkipTagsAndTheOtherWayRound() {
    PushTrigger main = branches("main");
    assertTrue(main.matches("refs/heads/main", null));
    assertFalse(main.matches("refs/heads/dev", null));
    assertFalse(main.matches("refs/tags/main", null), "branch filters only: tag pushes do not run");
    PushTrigger tags = new PushTrigger(null, null, List.of("v*"), null, null, null);
    assertTrue(tags.matches("refs/tags/v1.2", null));
    assertFalse(tags.matches("refs/tags/release", null));
    assertFalse(tags.matches("refs/heads/v1", null), "tag filters only: branch pushes do not run");
    PushTrigger both = new PushTrigger(List.of("main"), null, List.of("v*"), null, null, null);
    assertTrue(both.matches("refs/heads/main", null));
    assertTrue(both.matches("refs/tags/v2", null));
    assertFalse(both.matches("refs/heads/v2", null));
    PushTrigger ignoreTags = new PushTrigger(null, null, null, List.of("nightly*"), null, null);
    assertTrue(ignoreTags.matches("refs/tags/v1", null));
    assertFalse(ignoreTags.matches("refs/tags/nightly-3", null));
    assertFalse(ignoreTags.matches("refs/heads/main", null));
    assertFalse(main.matches("refs/pull/1/merge", null));
  }

  @Test
  void branchesIgnore() {
    PushTrigger p = new PushTrigger(null, List.of("mona/octocat", "releases/**-alpha"), null, null, null, null);
    assertTrue(p.matches("refs/heads/main", null));
    assertFalse(p.matches("refs/heads/mona/octocat", null));
    assertFalse(p.matches("refs/heads/releases/beta/3-alpha", null));
    assertTrue(p.matches("refs/heads/releases/10", null));
  }

  @Test
  void pathFilters() {
    PushTrigger paths = new PushTrigger(null, null, null, null, List.of("sub-project/**", "!sub-project/docs/**"), null);
    assertTrue(paths.matches("refs/heads/main", List.of("README.md", "sub-project/src/a.c")), "one matching path is enough");
    assertFalse(paths.matches("refs/heads/main", List.of("sub-project/docs/a.md", "README.md")));
    assertFalse(paths.matches("refs/heads/main", List.of()));
    assertTrue(paths.matches("refs/heads/main", null), "unknown changes: path filters pass");
    assertTrue(paths.matches("refs/tags/v1", List.of("README.md")), "path filters are not evaluated for tags");

    PushTrigger ignore = new PushTrigger(null, null, null, null, null, List.of("docs/**", "**.md"));
    assertFalse(ignore.matches("refs/heads/main", List.of("docs/a.txt", "README.md")), "every path ignored");
    assertTrue(ignore.matches("refs/heads/main", List.of("docs/a.txt", "src/main.c")));
    assertTrue(ignore.matches("refs/heads/main", List.of()));

    PushTrigger branchAndPath = new PushTrigger(List.of("main"), null, null, null, List.of("src/**"), null);
    assertFalse(branchAndPath.matches("refs/heads/dev", List.of("src/a")), "both filters must pass");
    assertFalse(branchAndPath.matches("refs/heads/main", List.of("docs/a")));
    assertTrue(branchAndPath.matches("refs/heads/main", List.of("src/a")));
  }
}
