package dev.devflow.actors.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The expression contexts a pipeline provides from outside its jobs ({@code github}), and their
 * JSON form for the trip to a runner (nested maps of strings, numbers and booleans).
 */
public final class PipelineContexts {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PipelineContexts() {}

  /** {@code github.*} without {@code workspace}, which only the runner knows. */
  public static Map<String, Object> github(PipelineInfo info, int attempt) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("sha", info.sha());
    g.put("ref", info.ref());
    g.put("ref_name", info.refName());
    g.put("ref_type", info.ref().startsWith("refs/tags/") ? "tag" : "branch");
    g.put("repository", info.tenant() + "/" + info.repo());
    g.put("repository_owner", info.tenant());
    g.put("run_number", (double) info.number());
    g.put("run_id", info.pipelineId());
    g.put("run_attempt", (double) attempt);
    g.put("event_name", info.event());
    g.put("actor", info.actor());
    g.put("workflow", info.workflowName());
    g.put("server_url", "");
    return g;
  }

  public static String json(Map<String, Object> value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The maps {@link #json} wrote (null or blank: empty). */
  public static Map<String, Object> parse(String json) {
    if (json == null || json.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
