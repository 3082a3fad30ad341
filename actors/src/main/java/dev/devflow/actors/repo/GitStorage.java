package dev.devflow.actors.repo;

import dev.devflow.actors.Names;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryBuilder;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Bare git repositories on disk: {@code <root>/<tenant>/<name>.git}. In a cluster the root is a
 * volume shared by every node. A path is only ever built from names that match {@link Names} and
 * is checked again to lie under the root, so no name can escape it.
 *
 * <p>Thread-safe (stateless); JGit's own ref locking serialises concurrent ref updates.
 */
public final class GitStorage {

  private final Path root;

  public GitStorage(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** The repository directory; throws for names that are not valid or would leave the root. */
  public Path dir(String tenant, String name) {
    if (!Names.isValid(tenant) || !Names.isValid(name)) {
      throw new IllegalArgumentException("invalid repository name " + tenant + "/" + name);
    }
    Path dir = root.resolve(tenant).resolve(name + ".git").normalize();
    if (!dir.startsWith(root) || !dir.getParent().getParent().equals(root)) {
      throw new IllegalArgumentException("repository path escapes the git root: " + tenant + "/" + name);
    }
    return dir;
  }

  public boolean exists(String tenant, String name) {
    return Files.isDirectory(dir(tenant, name).resolve("objects"));
  }

  /** Creates an empty bare repository whose HEAD points at {@code defaultBranch} (idempotent). */
  public void create(String tenant, String name, String defaultBranch) throws IOException {
    Path dir = dir(tenant, name);
    if (exists(tenant, name)) {
      return;
    }
    Files.createDirectories(dir.getParent());
    try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
      repo.create(true);
      repo.updateRef(Constants.HEAD).link(Constants.R_HEADS + defaultBranch);
      var config = repo.getConfig();
      // A push with a corrupt or malformed object is rejected before any ref moves.
      config.setBoolean("receive", null, "fsckObjects", true);
      config.save();
    }
  }

  public void delete(String tenant, String name) throws IOException {
    Path dir = dir(tenant, name);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  public Repository open(String tenant, String name) throws IOException {
    return new RepositoryBuilder().setGitDir(dir(tenant, name).toFile()).setMustExist(true).build();
  }

  /** Branches and tags with the commit (or tag object) they point at. */
  public static Map<String, String> refs(Repository repo) throws IOException {
    Map<String, String> refs = new TreeMap<>();
    for (Ref ref : repo.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
      if (ref.getObjectId() != null && !ref.isSymbolic()) {
        refs.put(ref.getName(), ref.getObjectId().name());
      }
    }
    return refs;
  }

  /** Commits reachable from {@code newId} but not {@code oldId} (null for a new ref), newest first. */
  public static Repo.PushedCommits commits(Repository repo, String oldId, String newId, int cap) throws IOException {
    List<Repo.CommitInfo> commits = new ArrayList<>();
    int count = 0;
    try (RevWalk walk = new RevWalk(repo)) {
      walk.markStart(walk.parseCommit(ObjectId.fromString(newId)));
      if (oldId != null) {
        try {
          walk.markUninteresting(walk.parseCommit(ObjectId.fromString(oldId)));
        } catch (IOException gone) {
          // the old commit was rewritten away: everything reachable from the new one is new
        }
      }
      for (RevCommit c : walk) {
        count++;
        if (commits.size() < cap) {
          commits.add(info(c));
        }
      }
    }
    return new Repo.PushedCommits(commits, count);
  }

  /** Up to {@code max} commits reachable from {@code start}, newest first. */
  public static List<Repo.CommitInfo> log(Repository repo, ObjectId start, int max) throws IOException {
    List<Repo.CommitInfo> commits = new ArrayList<>();
    try (RevWalk walk = new RevWalk(repo)) {
      walk.markStart(walk.parseCommit(start));
      for (RevCommit c : walk) {
        if (commits.size() == max) {
          break;
        }
        commits.add(info(c));
      }
    }
    return commits;
  }

  private static Repo.CommitInfo info(RevCommit c) {
    return new Repo.CommitInfo(
        c.getName(),
        c.getAuthorIdent().getName() + " <" + c.getAuthorIdent().getEmailAddress() + ">",
        c.getAuthorIdent().getWhenAsInstant(),
        c.getShortMessage());
  }
}
