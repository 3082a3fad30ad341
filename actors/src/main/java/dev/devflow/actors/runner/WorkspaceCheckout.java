package dev.devflow.actors.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.dircache.DirCacheCheckout;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Checks a commit out into a job's fresh workspace, in-process with JGit: a new repository whose
 * objects come from the repository's bare storage through {@code objects/info/alternates} (nothing
 * is copied), the commit's tree written to the work tree and index, and HEAD detached at it (as
 * {@code actions/checkout} leaves it). Steps can run the git CLI in it as usual.
 *
 * <p>Two git processes per job (clone, checkout) were a large part of a trivial job's cost.
 */
final class WorkspaceCheckout {

  private WorkspaceCheckout() {}

  static void checkout(Path bare, String sha, Path workspace) throws IOException {
    if (!Files.isDirectory(bare.resolve("objects"))) {
      throw new IOException("no repository at " + bare);
    }
    Files.createDirectories(workspace);
    try (Repository ws = FileRepositoryBuilder.create(workspace.resolve(".git").toFile())) {
      ws.create();
      Files.writeString(workspace.resolve(".git/objects/info/alternates"),
          bare.resolve("objects").toAbsolutePath() + "\n");
      ObjectId commitId = ObjectId.fromString(sha);
      RevCommit commit;
      try (RevWalk walk = new RevWalk(ws)) {
        commit = walk.parseCommit(commitId);
      }
      DirCacheCheckout checkout = new DirCacheCheckout(ws, ws.lockDirCache(), commit.getTree());
      checkout.setFailOnConflict(true);
      checkout.checkout();
      RefUpdate head = ws.updateRef(Constants.HEAD, true);
      head.setNewObjectId(commitId);
      RefUpdate.Result result = head.forceUpdate();
      if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED
          && result != RefUpdate.Result.NO_CHANGE) {
        throw new IOException("cannot set HEAD to " + sha + ": " + result);
      }
    }
  }
}
