package dev.devflow.agents.review;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * A bare repository on disk, like the ones DevFlow hosts, whose commits are written straight
 * through an {@link ObjectInserter}: fast enough for a commit of 10,000 files.
 */
final class TestRepo implements AutoCloseable {

  final Repository repo;

  TestRepo(Path dir) throws IOException {
    repo = new FileRepositoryBuilder().setGitDir(dir.resolve("repo.git").toFile()).setBare().build();
    repo.create(true);
  }

  /** A commit whose tree is exactly {@code files} (path → String or byte[] content). */
  String commit(String parent, Map<String, ?> files) throws IOException {
    try (ObjectInserter inserter = repo.newObjectInserter()) {
      DirCache index = DirCache.newInCore();
      DirCacheBuilder builder = index.builder();
      for (Map.Entry<String, ?> file : new TreeMap<>(files).entrySet()) {
        byte[] content = file.getValue() instanceof byte[] bytes
            ? bytes : ((String) file.getValue()).getBytes(StandardCharsets.UTF_8);
        DirCacheEntry entry = new DirCacheEntry(file.getKey());
        entry.setFileMode(FileMode.REGULAR_FILE);
        entry.setObjectId(inserter.insert(Constants.OBJ_BLOB, content));
        builder.add(entry);
      }
      builder.finish();
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(index.writeTree(inserter));
      if (parent != null) {
        commit.setParentId(ObjectId.fromString(parent));
      }
      PersonIdent who = new PersonIdent("Dev", "dev@example.com");
      commit.setAuthor(who);
      commit.setCommitter(who);
      commit.setMessage("test commit\n");
      ObjectId id = inserter.insert(commit);
      inserter.flush();
      return id.name();
    }
  }

  @Override
  public void close() {
    repo.close();
  }

  /** "line 1\nline 2\n…" up to {@code n}. */
  static String lines(int n) {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      text.append("line ").append(i).append('\n');
    }
    return text.toString();
  }
}
