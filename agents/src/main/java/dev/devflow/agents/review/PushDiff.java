package dev.devflow.agents.review;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Reads what one push changed ({@code before..after}, a tree-to-tree diff with rename detection)
 * and packs it into {@link DiffChunk}s that each fit one model call.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@code before} null or 40 zeros (a new branch): diff against {@code after}'s first parent,
 *       or against the empty tree for a root commit. Otherwise diff against {@code before}'s tree,
 *       which also covers a force push. {@code after} null or zeros (a deleted branch): an empty plan.
 *   <li>Files are taken in JGit's path order and packed whole into chunks of at most
 *       {@link DiffLimits#maxChunkChars()} characters; a new chunk starts when the next file does
 *       not fit. Files are never split: a patch longer than {@link DiffLimits#maxFileChars()} is cut
 *       at a line boundary and ends with a {@link #TRUNCATED_MARKER} line, so a comment can only
 *       name a line the model saw.
 *   <li>Not reviewed, but listed in {@link DiffPlan#skipped()}: deleted files, binary files,
 *       submodule moves, files with no added or context line (pure renames, mode changes), and
 *       every file after the first {@link DiffLimits#maxFiles()} reviewed ones. Files past the cap
 *       are not read at all, so a binary file there is reported as over the cap.
 * </ul>
 *
 * <p>Memory stays flat in the size of the push: one file is formatted at a time into a bounded
 * buffer, and for a skipped file only its path is kept. Stateless and thread-safe; the repository
 * must be open for the duration of the call.
 */
public final class PushDiff {

  /** Starts the line that ends a cut patch; a '\' line, so it is never read as a diff line. */
  public static final String TRUNCATED_MARKER = "\\ DevFlow: diff truncated here, the rest of this file is not shown";

  private static final String ZERO_ID = ObjectId.zeroId().name();

  private PushDiff() {}

  public static DiffPlan read(Repository repo, String before, String after, DiffLimits limits) throws IOException {
    if (isZero(after)) {
      return new DiffPlan(List.of(), List.of(), 0);
    }
    // UTF-8 takes at most 3 bytes per Java char, so this many bytes always decode to more than
    // maxFileChars characters when the patch is longer than that.
    int keepBytes = 3 * limits.maxFileChars() + 4;
    try (RevWalk walk = new RevWalk(repo); PatchFormatter formatter = new PatchFormatter(repo, keepBytes)) {
      RevCommit afterCommit = walk.parseCommit(ObjectId.fromString(after));
      List<DiffEntry> entries = formatter.scan(baseTree(walk, before, afterCommit), afterCommit.getTree());
      return plan(formatter, entries, limits);
    }
  }

  private static DiffPlan plan(PatchFormatter formatter, List<DiffEntry> entries, DiffLimits limits)
      throws IOException {
    List<DiffChunk> chunks = new ArrayList<>();
    List<SkippedFile> skipped = new ArrayList<>();
    List<FilePatch> current = new ArrayList<>();
    int currentChars = 0;
    int reviewed = 0;
    for (DiffEntry entry : entries) {
      String path = entry.getChangeType() == DiffEntry.ChangeType.DELETE ? entry.getOldPath() : entry.getNewPath();
      String reason = reasonToSkipUnread(entry, reviewed, limits);
      if (reason != null) {
        skipped.add(new SkippedFile(path, reason));
        continue;
      }
      PatchFormatter.Rendered rendered = formatter.render(entry);
      if (rendered.binary()) {
        skipped.add(new SkippedFile(path, SkippedFile.BINARY));
        continue;
      }
      FilePatch patch = FilePatches.of(
          path, rendered.text(), rendered.cut(), rendered.totalBytes(), limits.maxFileChars());
      if (patch.commentableLines().isEmpty()) {
        skipped.add(new SkippedFile(path, SkippedFile.NOTHING_TO_COMMENT));
        continue;
      }
      if (!current.isEmpty() && currentChars + patch.patch().length() > limits.maxChunkChars()) {
        chunks.add(new DiffChunk(current));
        current = new ArrayList<>();
        currentChars = 0;
      }
      current.add(patch);
      currentChars += patch.patch().length();
      reviewed++;
    }
    if (!current.isEmpty()) {
      chunks.add(new DiffChunk(current));
    }
    return new DiffPlan(chunks, skipped, entries.size());
  }

  /** Why a file is skipped without reading its content, or null to read it. */
  private static String reasonToSkipUnread(DiffEntry entry, int reviewed, DiffLimits limits) {
    if (entry.getChangeType() == DiffEntry.ChangeType.DELETE) {
      return SkippedFile.DELETED;
    }
    if (entry.getOldMode() == FileMode.GITLINK || entry.getNewMode() == FileMode.GITLINK) {
      return SkippedFile.SUBMODULE;
    }
    if (reviewed >= limits.maxFiles()) {
      return SkippedFile.OVER_FILE_CAP;
    }
    return null;
  }

  /** The tree the push is compared with; null means the empty tree. */
  private static RevTree baseTree(RevWalk walk, String before, RevCommit after) throws IOException {
    if (!isZero(before)) {
      return walk.parseCommit(ObjectId.fromString(before)).getTree();
    }
    if (after.getParentCount() == 0) {
      return null;
    }
    return walk.parseCommit(after.getParent(0)).getTree();
  }

  private static boolean isZero(String id) {
    return id == null || id.equals(ZERO_ID);
  }
}
