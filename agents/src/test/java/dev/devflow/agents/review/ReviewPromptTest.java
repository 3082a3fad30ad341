package dev.devflow.agents.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReviewPromptTest {

  private static final String PATCH = """
      diff --git a/src/App.java b/src/App.java
      index 1111111..2222222 100644
      --- a/src/App.java
      +++ b/src/App.java
      @@ -1,1 +1,2 @@
       class App {
      +  int x;
      """;
  private static final DiffChunk CHUNK = new DiffChunk(List.of(new FilePatch("src/App.java", PATCH, Set.of(1, 2))));
  private static final String BEFORE = "a".repeat(40);
  private static final String AFTER = "b".repeat(40);

  @Test
  void systemMessageHoldsTheInstructionsAndTheOutputFormat() {
    List<ReviewPrompt.Message> messages =
        ReviewPrompt.messages("Check for SQL injection.", "acme/web", BEFORE, AFTER, CHUNK, 1, 1);

    assertEquals(List.of("system", "user"), messages.stream().map(ReviewPrompt.Message::role).toList());
    String system = messages.get(0).content();
    assertTrue(system.startsWith("Check for SQL injection.\n\n"), system);
    assertTrue(system.contains("\"severity\": \"info\" | \"warning\" | \"error\""), system);
    assertFalse(system.contains(ReviewPrompt.DEFAULT_INSTRUCTIONS));
  }

  @Test
  void blankInstructionsFallBackToTheDefault() {
    for (String none : new String[] {null, "  "}) {
      String system = ReviewPrompt.messages(none, "acme/web", BEFORE, AFTER, CHUNK, 1, 1).get(0).content();
      assertTrue(system.startsWith(ReviewPrompt.DEFAULT_INSTRUCTIONS + "\n\n"), system);
    }
  }

  @Test
  void userMessageHoldsRepositoryRangeFilesAndTheDelimitedDiff() {
    String user = ReviewPrompt.messages(null, "acme/web", BEFORE, AFTER, CHUNK, 2, 3).get(1).content();

    assertTrue(user.contains("Repository: acme/web\n"), user);
    assertTrue(user.contains("Push: " + BEFORE + ".." + AFTER + "\n"), user);
    assertTrue(user.contains("part 2 of 3"), user);
    assertTrue(user.contains("- src/App.java\n"), user);
    assertTrue(user.endsWith(ReviewPrompt.BEGIN_DIFF + "\n" + PATCH + ReviewPrompt.END_DIFF), user);

    String newBranch = ReviewPrompt.messages(null, "acme/web", null, AFTER, CHUNK, 1, 1).get(1).content();
    assertTrue(newBranch.contains("Push: new branch at " + AFTER + "\n"), newBranch);
    assertFalse(newBranch.contains("part 1 of 1"));
  }

  @Test
  void schemaIsAStrictObjectSchemaOfTheReview() throws Exception {
    Map<String, Object> expected = Map.of(
        "type", "object",
        "additionalProperties", false,
        "required", List.of("summary", "comments"),
        "properties", Map.of(
            "summary", Map.of("type", "string"),
            "comments", Map.of("type", "array", "items", Map.of(
                "type", "object",
                "additionalProperties", false,
                "required", List.of("path", "line", "severity", "body"),
                "properties", Map.of(
                    "path", Map.of("type", "string"),
                    "line", Map.of("type", "integer"),
                    "severity", Map.of("type", "string", "enum", List.of("info", "warning", "error")),
                    "body", Map.of("type", "string"))))));
    assertEquals(expected, ReviewPrompt.schema());
    // The map tree serializes as is; key order follows the schema's reading order.
    String json = new ObjectMapper().writeValueAsString(ReviewPrompt.schema());
    assertTrue(json.startsWith("{\"type\":\"object\",\"properties\":{\"summary\":"), json);
  }

  @Test
  void responseFormatWrapsTheSchemaForOpenAi() {
    Map<String, Object> format = ReviewPrompt.responseFormat();
    assertEquals("json_schema", format.get("type"));
    assertEquals(Map.of("name", "code_review", "strict", true, "schema", ReviewPrompt.schema()), format.get("json_schema"));
  }

  @Test
  void aSchemaConformingAnswerParses() throws Exception {
    // What a strict structured-output model returns must be what the parser accepts.
    String answer = new ObjectMapper().writeValueAsString(Map.of("summary", "ok",
        "comments", List.of(Map.of("path", "src/App.java", "line", 2, "severity", "error", "body", "unused"))));
    assertEquals(List.of(new ReviewComment("src/App.java", 2, "error", "unused")),
        ReviewParser.parse(answer, CHUNK).comments());
  }

  @Test
  void repairAppendsTheBadAnswerAndWhatWasWrong() {
    List<ReviewPrompt.Message> original = ReviewPrompt.messages(null, "acme/web", BEFORE, AFTER, CHUNK, 1, 1);

    List<ReviewPrompt.Message> repair = ReviewPrompt.repair(original, "{\"summary\": 3}", "missing field \"comments\"");

    assertEquals(4, repair.size());
    assertEquals(original, repair.subList(0, 2));
    assertEquals(new ReviewPrompt.Message("assistant", "{\"summary\": 3}"), repair.get(2));
    assertEquals("user", repair.get(3).role());
    assertTrue(repair.get(3).content().startsWith("That answer could not be used: missing field \"comments\"\n"),
        repair.get(3).content());
  }
}
