package dev.devflow.agents.review;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns a model's answer for one {@link DiffChunk} into a {@link Review}, or says precisely why
 * it cannot, in words fit to send back to the model ({@link ReviewPrompt#repair}).
 *
 * <p>Tolerant where the intent is unambiguous: the JSON object may sit in a {@code ```json} fence
 * or among prose, unknown fields are ignored, severities are matched ignoring case, and a path
 * written with git's {@code a/} or {@code b/} prefix is accepted. Strict about everything that
 * would put a wrong comment on a pull request: types, severities, and that each comment names a
 * file of the chunk and a line the model was shown. Every problem found is reported, not only the
 * first, so one repair can fix them all. Stateless and thread-safe.
 */
public final class ReviewParser {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern FENCE = Pattern.compile("```[ \\t]*(?:json|JSON)?[ \\t]*\\R(.*?)```", Pattern.DOTALL);
  /** Bounds the work on an answer full of braces that are not JSON. */
  private static final int MAX_OBJECT_STARTS = 20;
  private static final int MAX_PROBLEMS = 10;
  private static final int MAX_RANGES = 20;

  private ReviewParser() {}

  public static Review parse(String modelOutput, DiffChunk chunk) throws ReviewFormatException {
    JsonNode root = extract(modelOutput);
    if (!root.isObject()) {
      throw new ReviewFormatException("the answer must be a JSON object, was " + kind(root));
    }
    List<String> problems = new ArrayList<>();
    String summary = null;
    JsonNode summaryNode = root.get("summary");
    if (absent(summaryNode)) {
      problems.add("missing field \"summary\" (a string)");
    } else if (!summaryNode.isTextual()) {
      problems.add("\"summary\" must be a string, was " + kind(summaryNode));
    } else {
      summary = summaryNode.textValue();
    }
    List<ReviewComment> comments = new ArrayList<>();
    JsonNode commentsNode = root.get("comments");
    if (absent(commentsNode)) {
      problems.add("missing field \"comments\" (an array; use [] when there is nothing to remark)");
    } else if (!commentsNode.isArray()) {
      problems.add("\"comments\" must be an array, was " + kind(commentsNode));
    } else {
      for (int i = 0; i < commentsNode.size(); i++) {
        ReviewComment c = comment(commentsNode.get(i), "comments[" + i + "]", chunk, problems);
        if (c != null) {
          comments.add(c);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ReviewFormatException(describe(problems));
    }
    return new Review(summary, comments);
  }

  /** The one JSON value of the answer: the fenced block if there is one, else the first object. */
  private static JsonNode extract(String output) throws ReviewFormatException {
    if (output == null || output.isBlank()) {
      throw new ReviewFormatException("the answer is empty; it must be one JSON object");
    }
    Matcher fence = FENCE.matcher(output);
    if (fence.find()) {
      try {
        return JSON.readTree(fence.group(1));
      } catch (JsonProcessingException e) {
        throw new ReviewFormatException("the fenced block is not valid JSON: " + describe(e));
      }
    }
    String firstError = null;
    int start = output.indexOf('{');
    for (int tries = 0; start >= 0 && tries < MAX_OBJECT_STARTS; tries++) {
      // Reads one value from the brace and ignores what follows, so prose after it is fine.
      try (JsonParser parser = JSON.createParser(output.substring(start))) {
        JsonNode node = JSON.readTree(parser);
        if (node != null) {
          return node;
        }
      } catch (IOException e) {
        if (firstError == null) {
          firstError = describe(e);
        }
      }
      start = output.indexOf('{', start + 1);
    }
    throw new ReviewFormatException(firstError == null
        ? "the answer contains no JSON object"
        : "the answer is not valid JSON: " + firstError);
  }

  /** Checks one comment, adding each problem; null if it had any. */
  private static ReviewComment comment(JsonNode node, String at, DiffChunk chunk, List<String> problems) {
    if (!node.isObject()) {
      problems.add(at + " must be an object, was " + kind(node));
      return null;
    }
    int before = problems.size();
    String path = text(node, at, "path", problems);
    String severity = text(node, at, "severity", problems);
    String body = text(node, at, "body", problems);
    JsonNode lineNode = node.get("line");
    int line = 0;
    boolean lineRead = false;
    if (absent(lineNode)) {
      problems.add("missing field " + at + ".line (an integer)");
    } else if (!lineNode.isIntegralNumber() || !lineNode.canConvertToInt()) {
      problems.add(at + ".line must be an integer, was " + kind(lineNode) + " " + lineNode);
    } else {
      line = lineNode.intValue();
      lineRead = true;
    }
    if (severity != null) {
      String normal = severity.toLowerCase(Locale.ROOT);
      if (ReviewComment.SEVERITIES.contains(normal)) {
        severity = normal;
      } else {
        problems.add(at + ".severity \"" + severity + "\" is not one of "
            + String.join(", ", ReviewComment.SEVERITIES));
      }
    }
    if (body != null && body.isBlank()) {
      problems.add(at + ".body is empty");
    }
    if (path != null) {
      Optional<FilePatch> file = file(chunk, path);
      if (file.isEmpty()) {
        problems.add(at + ".path \"" + path + "\" is not a file in this diff (files: "
            + chunk.files().stream().map(FilePatch::path).collect(Collectors.joining(", ")) + ")");
      } else {
        path = file.get().path();
        if (lineRead && !file.get().commentableLines().contains(line)) {
          problems.add(at + ": " + path + ":" + line + " is not an added or context line of the diff"
              + " (lines of " + path + " you can comment on: " + ranges(file.get().commentableLines()) + ")");
        }
      }
    }
    return problems.size() == before ? new ReviewComment(path, line, severity, body) : null;
  }

  private static String text(JsonNode comment, String at, String field, List<String> problems) {
    JsonNode node = comment.get(field);
    if (absent(node)) {
      problems.add("missing field " + at + "." + field + " (a string)");
      return null;
    }
    if (!node.isTextual()) {
      problems.add(at + "." + field + " must be a string, was " + kind(node));
      return null;
    }
    return node.textValue();
  }

  /** The chunk's file of that path; models often copy git's a/ or b/ prefix from the header. */
  private static Optional<FilePatch> file(DiffChunk chunk, String path) {
    Optional<FilePatch> exact = chunk.file(path);
    if (exact.isPresent() || !(path.startsWith("a/") || path.startsWith("b/"))) {
      return exact;
    }
    return chunk.file(path.substring(2));
  }

  private static boolean absent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case OBJECT -> "an object";
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> node.isIntegralNumber() ? "an integer" : "a number";
      case BOOLEAN -> "a boolean";
      case NULL, MISSING -> "null";
      default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }

  /** "1-24, 40-52", at most {@link #MAX_RANGES} ranges. */
  static String ranges(Set<Integer> lines) {
    List<String> ranges = new ArrayList<>();
    int start = -1;
    int prev = -1;
    for (int line : lines) {
      if (start >= 0 && line != prev + 1) {
        ranges.add(start == prev ? String.valueOf(start) : start + "-" + prev);
        start = -1;
      }
      if (start < 0) {
        start = line;
      }
      prev = line;
    }
    if (start >= 0) {
      ranges.add(start == prev ? String.valueOf(start) : start + "-" + prev);
    }
    if (ranges.size() > MAX_RANGES) {
      return String.join(", ", ranges.subList(0, MAX_RANGES)) + ", …";
    }
    return ranges.isEmpty() ? "none" : String.join(", ", ranges);
  }

  private static String describe(List<String> problems) {
    if (problems.size() <= MAX_PROBLEMS) {
      return String.join("; ", problems);
    }
    return String.join("; ", problems.subList(0, MAX_PROBLEMS))
        + "; and " + (problems.size() - MAX_PROBLEMS) + " more problems";
  }

  /** Jackson's own words and where, without its echo of the input. */
  private static String describe(IOException e) {
    if (e instanceof JsonProcessingException jpe) {
      JsonLocation loc = jpe.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      return jpe.getOriginalMessage() + where;
    }
    return e.getMessage();
  }
}
