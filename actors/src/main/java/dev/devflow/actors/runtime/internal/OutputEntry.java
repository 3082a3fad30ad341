package dev.devflow.actors.runtime.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.feed.FeedTypes;
import dev.devflow.actors.runtime.InstanceSpec;
import dev.devflow.persistence.feed.FeedDraft;
import java.time.Instant;

/**
 * The feed entry ({@code instance.output}) for the lines an instance printed since the last one:
 * {@code app}, {@code release}, {@code instance}, {@code process}, {@code lines} (masked, oldest
 * first) and {@code skipped} (lines left out of this entry, still in the app's log).
 */
public final class OutputEntry {

  private static final ObjectMapper JSON = new ObjectMapper();

  private OutputEntry() {}

  public static FeedDraft of(InstanceSpec spec, InstanceLog.FeedLines lines, Instant at) {
    ObjectNode data = JSON.createObjectNode().put("tenant", spec.tenant()).put("at", at.toString())
        .put("app", spec.app()).put("release", spec.release()).put("instance", spec.instanceId())
        .put("process", spec.processType());
    com.fasterxml.jackson.databind.node.ArrayNode out = data.putArray("lines");
    lines.lines().forEach(out::add);
    data.put("skipped", lines.skipped());
    return FeedDraft.unsourced(spec.tenant(), FeedTypes.OUTPUT, data.toString(), at);
  }
}
