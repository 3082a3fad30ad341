package dev.devflow.agents.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReviewParserTest {

  /** Lines 7-13 of App.java and line 1 of README.md can be commented on. */
  private static final DiffChunk CHUNK = new DiffChunk(List.of(
      new FilePatch("src/App.java", "diff --git a/src/App.java b/src/App.java\n", Set.of(7, 8, 9, 10, 11, 12, 13)),
      new FilePatch("README.md", "diff --git a/README.md b/README.md\n", Set.of(1))));

  private static final String GOOD = """
      {"summary": "Renames a field.",
       "comments": [
         {"path": "src/App.java", "line": 10, "severity": "warning", "body": "Null is not checked."},
         {"path": "README.md", "line": 1, "severity": "info", "body": "Typo."}]}""";

  private static final Review EXPECTED = new Review("Renames a field.", List.of(
      new ReviewComment("src/App.java", 10, "warning", "Null is not checked."),
      new ReviewComment("README.md", 1, "info", "Typo.")));

  @Test
  void readsAPlainAnswer() throws ReviewFormatException {
    assertEquals(EXPECTED, ReviewParser.parse(GOOD, CHUNK));
  }

  @Test
  void readsAFencedAnswerWithProseAround() throws ReviewFormatException {
    String answer = "Here is my review:\n```json\n" + GOOD + "\n```\nHope { this } helps.";
    assertEquals(EXPECTED, ReviewParser.parse(answer, CHUNK));
  }

  @Test
  void readsTheObjectAmongProseWithoutAFence() throws ReviewFormatException {
    String answer = "Sure {happy to help}! " + GOOD + " Let me know if you want more {details}.";
    assertEquals(EXPECTED, ReviewParser.parse(answer, CHUNK));
  }

  @Test
  void noCommentsIsAValidReview() throws ReviewFormatException {
    assertEquals(new Review("Fine.", List.of()), ReviewParser.parse("{\"summary\":\"Fine.\",\"comments\":[]}", CHUNK));
  }

  @Test
  void acceptsAGitPrefixOnThePathAndAnyCaseOfSeverity() throws ReviewFormatException {
    String answer = """
        {"summary": "s", "comments": [{"path": "b/src/App.java", "line": 7, "severity": "ERROR", "body": "x"}]}""";
    assertEquals(List.of(new ReviewComment("src/App.java", 7, "error", "x")),
        ReviewParser.parse(answer, CHUNK).comments());
  }

  @Test
  void rejectsAnEmptyAnswer() {
    assertEquals("the answer is empty; it must be one JSON object", reason("  \n"));
  }

  @Test
  void rejectsAnswersWithoutJson() {
    assertEquals("the answer contains no JSON object", reason("The change looks good to me."));
    assertTrue(reason("{summary: 'x'}").startsWith("the answer is not valid JSON: "), reason("{summary: 'x'}"));
    assertTrue(reason("```json\n{\"summary\": \n```").startsWith("the fenced block is not valid JSON: "));
    assertEquals("the answer must be a JSON object, was an array", reason("```json\n[1, 2]\n```"));
  }

  @Test
  void rejectsAMissingOrMistypedSummary() {
    assertEquals("missing field \"summary\" (a string)", reason("{\"comments\": []}"));
    assertEquals("\"summary\" must be a string, was an integer", reason("{\"summary\": 3, \"comments\": []}"));
  }

  @Test
  void rejectsMissingOrMistypedComments() {
    assertEquals("missing field \"comments\" (an array; use [] when there is nothing to remark)",
        reason("{\"summary\": \"s\"}"));
    assertEquals("\"comments\" must be an array, was an object", reason("{\"summary\": \"s\", \"comments\": {}}"));
    assertEquals("comments[0] must be an object, was a string", reason("{\"summary\": \"s\", \"comments\": [\"x\"]}"));
  }

  @Test
  void rejectsMistypedCommentFields() {
    assertEquals("comments[0].line must be an integer, was a string \"10\"",
        reason(comment("\"src/App.java\"", "\"10\"", "\"info\"", "\"b\"")));
    assertEquals("comments[0].line must be an integer, was a number 10.5",
        reason(comment("\"src/App.java\"", "10.5", "\"info\"", "\"b\"")));
    assertEquals("comments[0].path must be a string, was an integer",
        reason(comment("7", "10", "\"info\"", "\"b\"")));
    assertEquals("missing field comments[0].body (a string)",
        reason(comment("\"src/App.java\"", "10", "\"info\"", "null")));
    assertEquals("comments[0].body is empty", reason(comment("\"src/App.java\"", "10", "\"info\"", "\" \"")));
  }

  @Test
  void rejectsAnUnknownSeverity() {
    assertEquals("comments[0].severity \"critical\" is not one of info, warning, error",
        reason(comment("\"src/App.java\"", "10", "\"critical\"", "\"b\"")));
  }

  @Test
  void rejectsAPathNotInTheChunk() {
    assertEquals("comments[0].path \"src/Other.java\" is not a file in this diff (files: src/App.java, README.md)",
        reason(comment("\"src/Other.java\"", "10", "\"info\"", "\"b\"")));
  }

  @Test
  void rejectsALineTheModelWasNotShown() {
    assertEquals("comments[0]: src/App.java:57 is not an added or context line of the diff"
            + " (lines of src/App.java you can comment on: 7-13)",
        reason(comment("\"src/App.java\"", "57", "\"info\"", "\"b\"")));
  }

  @Test
  void reportsEveryProblemAtOnce() {
    String answer = """
        {"summary": "s", "comments": [
          {"path": "src/App.java", "line": 10, "severity": "info", "body": "fine"},
          {"path": "README.md", "line": 2, "severity": "info", "body": "b"},
          {"path": "src/App.java", "line": 8, "severity": "fatal", "body": "b"}]}""";
    assertEquals("comments[1]: README.md:2 is not an added or context line of the diff"
            + " (lines of README.md you can comment on: 1); "
            + "comments[2].severity \"fatal\" is not one of info, warning, error",
        reason(answer));
  }

  @Test
  void rangesNameRunsOfLines() {
    assertEquals("1-3, 5, 8-9", ReviewParser.ranges(new java.util.TreeSet<>(List.of(1, 2, 3, 5, 8, 9))));
    assertEquals("none", ReviewParser.ranges(Set.of()));
  }

  @Test
  void mergeJoinsSummariesAndSortsCommentsByPathThenLine() {
    Review first = new Review("Part one.", List.of(
        new ReviewComment("b.java", 9, "info", "b9"), new ReviewComment("a.java", 30, "error", "a30")));
    Review second = new Review(" ", List.of(new ReviewComment("a.java", 4, "warning", "a4")));
    Review third = new Review("Part three.", List.of(new ReviewComment("b.java", 9, "error", "b9 again")));

    Review merged = Review.merge(List.of(first, second, third));

    assertEquals("Part one.\n\nPart three.", merged.summary());
    assertEquals(List.of("a4", "a30", "b9", "b9 again"), merged.comments().stream().map(ReviewComment::body).toList());
  }

  private static String comment(String path, String line, String severity, String body) {
    return "{\"summary\": \"s\", \"comments\": [{\"path\": " + path + ", \"line\": " + line
        + ", \"severity\": " + severity + ", \"body\": " + body + "}]}";
  }

  private static String reason(String answer) {
    return assertThrows(ReviewFormatException.class, () -> ReviewParser.parse(answer, CHUNK)).reason();
  }
}
