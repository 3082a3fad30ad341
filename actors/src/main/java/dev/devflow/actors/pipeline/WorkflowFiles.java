package dev.devflow.actors.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.util.io.DisabledOutputStream;

/**
 * Reads a commit's workflow files: {@code .devflow/workflows/*.yml|yaml}, or {@code
 * .github/workflows/*} when the first has none (so repositories made for GitHub run unchanged);
 * and the paths a push changed, for {@code paths} filters.
 */
public final class WorkflowFiles {

  /** Workflow files larger than this are not read (a workflow is a few kB). */
  static final int MAX_BYTES = 512 * 1024;

  public record File(String path, String text) {}

  private WorkflowFiles() {}

  public static List<File> at(Repository repo, String sha) throws IOException {
    List<File> files = read(repo, sha, ".devflow/workflows");
    return files.isEmpty() ? read(repo, sha, ".github/workflows") : files;
  }

  private static List<File> read(Repository repo, String sha, String dir) throws IOException {
    List<File> out = new ArrayList<>();
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit commit = walk.parseCommit(ObjectId.fromString(sha));
      try (TreeWalk tree = TreeWalk.forPath(repo, dir, commit.getTree())) {
        if (tree == null || !tree.isSubtree()) {
          return out;
        }
        try (TreeWalk files = new TreeWalk(repo)) {
          files.addTree(tree.getObjectId(0));
          files.setRecursive(false);
          while (files.next()) {
            String name = files.getNameString();
            if (files.isSubtree() || !(name.endsWith(".yml") || name.endsWith(".yaml"))) {
              continue;
            }
            byte[] bytes = repo.open(files.getObjectId(0)).getCachedBytes(MAX_BYTES);
            out.add(new File(dir + "/" + name, new String(bytes, StandardCharsets.UTF_8)));
          }
        }
      }
    }
    return out;
  }

  /** Paths changed from {@code before} to {@code after}; null when unknown (new ref, or before is not here). */
  public static List<String> changedPaths(Repository repo, String before, String after) throws IOException {
    if (before == null || before.chars().allMatch(ch -> ch == '0')) {
      return null;
    }
    try (RevWalk walk = new RevWalk(repo); DiffFormatter diff = new DiffFormatter(DisabledOutputStream.INSTANCE)) {
      RevCommit a;
      try {
        a = walk.parseCommit(ObjectId.fromString(before));
      } catch (org.eclipse.jgit.errors.MissingObjectException e) {
        return null;
      }
      RevCommit b = walk.parseCommit(ObjectId.fromString(after));
      diff.setRepository(repo);
      List<String> paths = new ArrayList<>();
      for (DiffEntry e : diff.scan(a.getTree(), b.getTree())) {
        if (e.getChangeType() != DiffEntry.ChangeType.ADD) {
          paths.add(e.getOldPath());
        }
        if (e.getChangeType() != DiffEntry.ChangeType.DELETE && !e.getNewPath().equals(e.getOldPath())) {
          paths.add(e.getNewPath());
        }
      }
      return paths;
    }
  }
}
