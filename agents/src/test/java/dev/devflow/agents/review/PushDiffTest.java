package dev.devflow.agents.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushDiffTest {

  private static final String ZEROS = "0".repeat(40);
  private static final DiffLimits ROOMY = new DiffLimits(100_000, 100, 50_000);

  @TempDir Path dir;
  private TestRepo git;

  @BeforeEach
  void open() throws IOException {
    git = new TestRepo(dir);
  }

  @AfterEach
  void close() {
    git.close();
  }

  @Test
  void modifiedAddedDeletedRenamedAndBinaryFilesAreEachHandled() throws IOException {
    String body = TestRepo.lines(30);
    String before = git.commit(null, Map.of(
        "src/Changed.java", TestRepo.lines(20),
        "src/Gone.java", "bye\n",
        "src/Old.java", body,
        "img/logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 1, 2}));
    String after = git.commit(before, Map.of(
        "src/Changed.java", TestRepo.lines(20).replace("line 10\n", "line ten\n"),
        "src/New.java", "class New {}\n",
        "src/Moved.java", body.replace("line 30\n", "line thirty\n"),
        "img/logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 3, 4}));

    DiffPlan plan = PushDiff.read(git.repo, before, after, ROOMY);

    assertEquals(5, plan.totalFiles(), "a rename counts once");
    assertEquals(List.of(new SkippedFile("img/logo.png", SkippedFile.BINARY),
            new SkippedFile("src/Gone.java", SkippedFile.DELETED)),
        plan.skipped().stream().sorted((a, b) -> a.path().compareTo(b.path())).toList());
    assertEquals(1, plan.chunks().size());
    Map<String, FilePatch> files = byPath(plan.chunks().get(0));
    assertEquals(Set.of("src/Changed.java", "src/New.java", "src/Moved.java"), files.keySet());

    FilePatch changed = files.get("src/Changed.java");
    assertTrue(changed.patch().startsWith("diff --git a/src/Changed.java b/src/Changed.java\n"));
    assertTrue(changed.patch().contains("-line 10\n+line ten\n"));
    // Three lines of context either side of line 10.
    assertEquals(Set.of(7, 8, 9, 10, 11, 12, 13), changed.commentableLines());

    assertEquals(Set.of(1), files.get("src/New.java").commentableLines());

    FilePatch moved = files.get("src/Moved.java");
    assertTrue(moved.patch().contains("rename from src/Old.java\nrename to src/Moved.java\n"), moved.patch());
    assertEquals(Set.of(27, 28, 29, 30), moved.commentableLines());
  }

  @Test
  void aNewBranchIsComparedWithItsFirstParent() throws IOException {
    String base = git.commit(null, Map.of("a.txt", "one\n"));
    String tip = git.commit(base, Map.of("a.txt", "one\n", "b.txt", "two\n"));

    for (String newBranch : new String[] {ZEROS, null}) {
      DiffPlan plan = PushDiff.read(git.repo, newBranch, tip, ROOMY);
      assertEquals(1, plan.totalFiles(), "only what the tip commit changed");
      assertEquals("b.txt", plan.chunks().get(0).files().get(0).path());
    }
  }

  @Test
  void aRootCommitIsComparedWithTheEmptyTree() throws IOException {
    String root = git.commit(null, Map.of("a.txt", "one\ntwo\n", "b.txt", "three\n"));

    DiffPlan plan = PushDiff.read(git.repo, ZEROS, root, ROOMY);

    assertEquals(2, plan.totalFiles());
    assertEquals(List.of(), plan.skipped());
    FilePatch a = plan.chunks().get(0).files().get(0);
    assertEquals("a.txt", a.path());
    assertTrue(a.patch().contains("new file mode 100644\n"));
    assertEquals(Set.of(1, 2), a.commentableLines());
  }

  @Test
  void aDeletedBranchHasNothingToReview() throws IOException {
    String tip = git.commit(null, Map.of("a.txt", "one\n"));

    assertEquals(new DiffPlan(List.of(), List.of(), 0), PushDiff.read(git.repo, tip, ZEROS, ROOMY));
  }

  @Test
  void aPureRenameHasNothingToCommentOn() throws IOException {
    String before = git.commit(null, Map.of("old.txt", TestRepo.lines(10)));
    String after = git.commit(before, Map.of("new.txt", TestRepo.lines(10)));

    DiffPlan plan = PushDiff.read(git.repo, before, after, ROOMY);

    assertEquals(List.of(new SkippedFile("new.txt", SkippedFile.NOTHING_TO_COMMENT)), plan.skipped());
    assertEquals(List.of(), plan.chunks());
  }

  @Test
  void filesArePackedWholeIntoChunksOfAtMostMaxChunkChars() throws IOException {
    Map<String, String> files = new HashMap<>();
    for (int i = 0; i < 12; i++) {
      files.put("f" + (char) ('a' + i) + ".txt", TestRepo.lines(40)); // about 400 chars of patch each
    }
    String root = git.commit(null, files);
    DiffLimits limits = new DiffLimits(1_000, 100, 1_000);

    DiffPlan plan = PushDiff.read(git.repo, ZEROS, root, limits);

    assertTrue(plan.chunks().size() > 1, "12 files of ~400 chars cannot share one 1,000-char chunk");
    for (DiffChunk chunk : plan.chunks()) {
      assertTrue(chunk.text().length() <= 1_000, "chunk of " + chunk.text().length() + " chars");
      assertEquals(chunk.chars(), chunk.text().length());
    }
    List<String> paths = plan.chunks().stream().flatMap(c -> c.files().stream()).map(FilePatch::path).toList();
    assertEquals(files.keySet().stream().sorted().toList(), paths, "every file once, in path order");
    assertFalse(plan.chunks().stream().flatMap(c -> c.files().stream()).anyMatch(FilePatch::truncated));
  }

  @Test
  void aFileLongerThanMaxFileCharsIsCutAtALineWithAMarker() throws IOException {
    String root = git.commit(null, Map.of("big.txt", TestRepo.lines(5_000), "small.txt", "hi\n"));
    DiffLimits limits = new DiffLimits(2_000, 100, 1_000);

    DiffPlan plan = PushDiff.read(git.repo, ZEROS, root, limits);

    FilePatch big = byPath(plan.chunks().get(0)).get("big.txt");
    assertTrue(big.truncated());
    assertTrue(big.patch().length() <= 1_000, "patch of " + big.patch().length() + " chars");
    String[] lines = big.patch().split("\n");
    assertTrue(lines[lines.length - 1].startsWith(PushDiff.TRUNCATED_MARKER), lines[lines.length - 1]);
    String lastShown = lines[lines.length - 2];
    assertTrue(lastShown.matches("\\+line \\d+"), "cut after a whole line: " + lastShown);
    int lastNumber = Integer.parseInt(lastShown.substring("+line ".length()));
    // Only lines the model was shown can be commented on.
    assertEquals(lastNumber, big.commentableLines().size());
    assertTrue(big.commentableLines().contains(lastNumber));
    assertFalse(big.commentableLines().contains(lastNumber + 1));
    assertFalse(byPath(plan.chunks().get(0)).get("small.txt").truncated());
  }

  @Test
  void tenThousandFilesStopAtTheFileCapAndListTheRestByPath() throws IOException {
    Map<String, String> files = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      files.put(String.format("gen/f%05d.txt", i), "value " + i + "\n");
    }
    String root = git.commit(null, files);
    DiffLimits limits = new DiffLimits(20_000, 50, 5_000);

    DiffPlan plan = PushDiff.read(git.repo, ZEROS, root, limits);

    assertEquals(10_000, plan.totalFiles());
    assertEquals(50, plan.reviewedFiles());
    assertEquals(9_950, plan.skipped().size());
    assertTrue(plan.skipped().stream().allMatch(s -> s.reason().equals(SkippedFile.OVER_FILE_CAP)));
    assertEquals("gen/f00050.txt", plan.skipped().get(0).path(), "the first file past the cap");
    assertEquals("gen/f09999.txt", plan.skipped().get(9_949).path());
    assertTrue(plan.chunks().stream().allMatch(c -> c.chars() <= 20_000));
  }

  private static Map<String, FilePatch> byPath(DiffChunk chunk) {
    return chunk.files().stream().collect(Collectors.toMap(FilePatch::path, f -> f));
  }
}
