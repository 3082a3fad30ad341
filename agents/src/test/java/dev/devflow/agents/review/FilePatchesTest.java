package dev.devflow.agents.review;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class FilePatchesTest {

  @Test
  void countsNewSideLinesAcrossHunksSkippingRemovedLinesAndNotes() {
    String patch = """
        diff --git a/x b/x
        --- a/x
        +++ b/x
        @@ -2,3 +2,3 @@ class X {
         two
        -three
        +3
        ++++ an added line that looks like a header
        @@ -40 +40 @@
        -old last
        +new last
        \\ No newline at end of file
        """;
    assertEquals(Set.of(2, 3, 4, 40), FilePatches.commentableLines(patch));
  }

  @Test
  void aDeletionOnlyHunkHasNoCommentableLine() {
    assertEquals(Set.of(), FilePatches.commentableLines("diff --git a/x b/x\n@@ -1,2 +0,0 @@\n-a\n-b\n"));
  }
}
