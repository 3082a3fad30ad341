package dev.devflow.actors.flag;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.devflow.actors.flag.unleash.FeatureSet;
import dev.devflow.actors.flag.unleash.UnleashFeatures;
import dev.devflow.actors.tenant.Plan;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One tenant's flags on this node, immutable: a change makes a new instance. Holds what requests
 * need ready-made: the plan-gated Unleash feature set for the evaluator, its JSON bytes for
 * {@code /api/client/features} and their ETag.
 *
 * <p>{@code revision} is the highest feed id applied (flag or plan), so it changes whenever what
 * SDKs see may change.
 */
public final class TenantFlags {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One flag as the catalog keeps it. */
  public record Flag(String key, long version, FlagDefinition definition, long feedId) {}

  private final String tenant;
  private final Plan plan;
  private final long revision;
  private final Map<String, Flag> flags;
  private volatile Gated gated;

  private record Gated(
      FeatureSet features, byte[] json, String etag, ObjectNode root, Map<String, ObjectNode> byName) {}

  TenantFlags(String tenant, Plan plan, long revision, Map<String, Flag> flags) {
    this.tenant = tenant;
    this.plan = plan;
    this.revision = revision;
    this.flags = Collections.unmodifiableMap(new TreeMap<>(flags));
  }

  static TenantFlags empty(String tenant) {
    return new TenantFlags(tenant, null, 0, Map.of());
  }

  public String tenant() {
    return tenant;
  }

  /** Null when this node has not seen the tenant's plan (treated as the lowest plan). */
  public Plan plan() {
    return plan;
  }

  public long revision() {
    return revision;
  }

  public Map<String, Flag> flags() {
    return flags;
  }

  TenantFlags withFlag(Flag flag) {
    Map<String, Flag> next = new TreeMap<>(flags);
    next.put(flag.key(), flag);
    return new TenantFlags(tenant, plan, Math.max(revision, flag.feedId()), next);
  }

  TenantFlags without(String key, long feedId) {
    Map<String, Flag> next = new TreeMap<>(flags);
    next.remove(key);
    return new TenantFlags(tenant, plan, Math.max(revision, feedId), next);
  }

  TenantFlags withPlan(Plan newPlan, long feedId) {
    return new TenantFlags(tenant, newPlan, Math.max(revision, feedId), flags);
  }

  /** Whether the tenant's plan lets the flag be on at all. */
  public boolean planAllows(FlagDefinition d) {
    if (d.minPlan() == null) {
      return true;
    }
    Plan needed = Plan.parse(d.minPlan()).orElse(Plan.ENTERPRISE);
    return (plan == null ? Plan.FREE : plan).atLeast(needed);
  }

  /** The Unleash feature set after the plan gate (a flag below the tenant's plan is disabled). */
  public FeatureSet clientFeatures() {
    return gated().features();
  }

  /** {@link #clientFeatures()} as the JSON of Unleash's {@code /api/client/features}. */
  public byte[] clientFeaturesJson() {
    return gated().json();
  }

  public String etag() {
    return gated().etag();
  }

  /** One feature as in {@link #clientFeaturesJson()}, or null. Callers must not modify it. */
  public ObjectNode clientFeatureJson(String key) {
    return gated().byName().get(key);
  }

  /** The whole {@link #clientFeaturesJson()} as a tree. Callers must not modify it. */
  public ObjectNode clientFeaturesTree() {
    return gated().root();
  }

  private Gated gated() {
    Gated g = gated;
    if (g == null) {
      g = build();
      gated = g;
    }
    return g;
  }

  private Gated build() {
    ObjectNode root = JSON.createObjectNode().put("version", 2);
    ArrayNode features = root.putArray("features");
    Map<String, ObjectNode> byName = new TreeMap<>();
    for (Flag f : flags.values()) {
      FlagDefinition d = f.definition();
      ObjectNode feature = features.addObject()
          .put("name", f.key())
          .put("type", "release")
          .put("project", "default")
          .put("description", d.description())
          .put("enabled", d.enabled() && planAllows(d))
          .put("stale", false)
          .put("impressionData", false);
      feature.set("strategies", JSON.valueToTree(d.strategies()));
      feature.set("variants", JSON.valueToTree(d.variants()));
      byName.put(f.key(), feature);
    }
    root.putArray("segments");
    try {
      byte[] json = JSON.writeValueAsBytes(root);
      FeatureSet parsed = new FeatureSet(JSON.treeToValue(root, UnleashFeatures.class));
      String etag = "\"" + revision + "-" + (plan == null ? "none" : plan.id()) + "-" + flags.size() + "\"";
      return new Gated(parsed, json, etag, root, Collections.unmodifiableMap(byName));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot build the feature set of " + tenant, e);
    }
  }

  @Override
  public String toString() {
    return new String(clientFeaturesJson(), StandardCharsets.UTF_8);
  }
}
