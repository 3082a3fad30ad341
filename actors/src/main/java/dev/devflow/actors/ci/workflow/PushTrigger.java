package dev.devflow.actors.ci.workflow;

import dev.devflow.actors.ci.workflow.internal.GlobFilter;
import java.util.Collection;
import java.util.List;

/**
 * {@code on.push} with its filters; an empty list (or null, stored as empty) means the filter is
 * absent. Matching follows
 * GitHub: with no branch and no tag filter every push matches; with only branch filters a tag push
 * does not match, and with only tag filters a branch push does not; {@code branches}/{@code tags}
 * and {@code paths} use ordered patterns with {@code !} negation (see {@link GlobFilter}), the
 * {@code -ignore} variants exclude. Path filters are not evaluated for tag pushes. Immutable.
 */
public record PushTrigger(List<String> branches, List<String> branchesIgnore, List<String> tags,
    List<String> tagsIgnore, List<String> paths, List<String> pathsIgnore) {

  private static final String HEADS = "refs/heads/";
  private static final String TAGS = "refs/tags/";

  /** A push trigger without filters: every push matches. */
  public static final PushTrigger ANY = new PushTrigger(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

  public PushTrigger {
    branches = copy(branches);
    branchesIgnore = copy(branchesIgnore);
    tags = copy(tags);
    tagsIgnore = copy(tagsIgnore);
    paths = copy(paths);
    pathsIgnore = copy(pathsIgnore);
  }

  private static List<String> copy(List<String> patterns) {
    return patterns == null ? List.of() : List.copyOf(patterns);
  }

  /**
   * Whether a push of {@code ref} runs the workflow. {@code ref} is a full ref
   * ({@code refs/heads/main}, {@code refs/tags/v1}); {@code changedPaths} null means unknown, and
   * then path filters pass. With {@code paths-ignore}, a push runs unless it changed at least one
   * path and every changed path is ignored.
   */
  public boolean matches(String ref, Collection<String> changedPaths) {
    boolean branchFilters = !branches.isEmpty() || !branchesIgnore.isEmpty();
    boolean tagFilters = !tags.isEmpty() || !tagsIgnore.isEmpty();
    if (ref.startsWith(HEADS)) {
      if (branchFilters ? !refMatches(ref.substring(HEADS.length()), branches, branchesIgnore) : tagFilters) {
        return false;
      }
    } else if (ref.startsWith(TAGS)) {
      return tagFilters ? refMatches(ref.substring(TAGS.length()), tags, tagsIgnore) : !branchFilters;
    } else if (branchFilters || tagFilters) {
      return false;
    }
    return pathsMatch(changedPaths);
  }

  private static boolean refMatches(String name, List<String> include, List<String> ignore) {
    if (!include.isEmpty()) {
      return GlobFilter.of(include).matches(name);
    }
    return !GlobFilter.of(ignore).matches(name);
  }

  private boolean pathsMatch(Collection<String> changedPaths) {
    if (changedPaths == null) {
      return true;
    }
    if (!paths.isEmpty()) {
      GlobFilter filter = GlobFilter.of(paths);
      return changedPaths.stream().anyMatch(filter::matches);
    }
    if (!pathsIgnore.isEmpty()) {
      GlobFilter filter = GlobFilter.of(pathsIgnore);
      return changedPaths.isEmpty() || !changedPaths.stream().allMatch(filter::matches);
    }
    return true;
  }
}
