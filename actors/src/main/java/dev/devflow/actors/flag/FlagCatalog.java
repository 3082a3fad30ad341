package dev.devflow.actors.flag;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's flags and plan on this node, for evaluation without asking an entity. Built at
 * start from the newest {@code flag.changed}, {@code tenant.created} and {@code plan.changed}
 * feed entries ({@link FeedStore#latest}) and kept current by the live feed (the node's hub calls
 * {@link #apply} with every batch). Entries older than what is applied are ignored, so replays and
 * the periodic {@link #reload} are harmless.
 *
 * <p>Thread-safe: readers get immutable {@link TenantFlags}.
 */
public final class FlagCatalog {

  private static final Logger log = LoggerFactory.getLogger(FlagCatalog.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  static final List<String> TYPES = List.of("flag.changed", "tenant.created", "plan.changed");

  private final Map<String, TenantFlags> tenants = new ConcurrentHashMap<>();
  private final Map<String, Long> planFeedIds = new ConcurrentHashMap<>();
  /** Per tenant, the highest feed id (of any type) whose batch has been applied. */
  private final Map<String, Long> appliedUpTo = new ConcurrentHashMap<>();

  /**
   * A tenant's flags together with a feed id up to which they are complete: every entry up to
   * {@code upTo} is in {@code flags} (it may hold newer ones too). A stream that starts with
   * {@code flags} and then follows the feed after {@code upTo} misses nothing.
   */
  public record Snapshot(TenantFlags flags, long upTo) {}

  public Snapshot snapshot(String tenant) {
    long upTo = appliedUpTo.getOrDefault(tenant, 0L);
    return new Snapshot(of(tenant), upTo);
  }

  /** The tenant's flags (empty when it has none). */
  public TenantFlags of(String tenant) {
    return tenants.getOrDefault(tenant, TenantFlags.empty(tenant));
  }

  /** Loads the newest entries from the feed table (at start, and as a safety net). */
  public void reload(FeedStore store) {
    // Everything up to the last ids read first is in the newest entries read after.
    Map<String, Long> before = store.allLastIds();
    applyEach(store.latest(TYPES));
    before.forEach((tenant, id) -> appliedUpTo.merge(tenant, id, Math::max));
  }

  /** Applies feed entries; ignores other types and anything older than what is known. */
  public void apply(List<FeedRecord> entries) {
    applyEach(entries);
    for (FeedRecord r : entries) {
      appliedUpTo.merge(r.tenant(), r.id(), Math::max);
    }
  }

  /**
   * Applies one entry a stream read from the table, possibly before this node's hub delivered it,
   * without claiming that the entries before it are applied too.
   */
  public void include(FeedRecord entry) {
    applyEach(List.of(entry));
  }

  private void applyEach(List<FeedRecord> entries) {
    for (FeedRecord r : entries) {
      try {
        switch (r.type()) {
          case "flag.changed" -> applyFlag(r);
          case "tenant.created", "plan.changed" -> applyPlan(r);
          default -> { }
        }
      } catch (IOException | RuntimeException e) {
        log.error("flag catalog: cannot apply feed entry {} of {}: {}", r.id(), r.tenant(), e.toString());
      }
    }
  }

  private void applyFlag(FeedRecord r) throws IOException {
    JsonNode data = JSON.readTree(r.data());
    String key = data.get("key").asText();
    long version = data.get("version").asLong();
    tenants.compute(r.tenant(), (t, current) -> {
      TenantFlags flags = current == null ? TenantFlags.empty(t) : current;
      TenantFlags.Flag known = flags.flags().get(key);
      if (known != null && known.version() >= version) {
        return flags;
      }
      if (data.get("archived").asBoolean()) {
        return flags.without(key, r.id());
      }
      try {
        FlagDefinition d = JSON.treeToValue(data.get("definition"), FlagDefinition.class);
        return flags.withFlag(new TenantFlags.Flag(key, version, d, r.id()));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private void applyPlan(FeedRecord r) throws IOException {
    Plan plan = Plan.parse(JSON.readTree(r.data()).get("plan").asText()).orElseThrow();
    tenants.compute(r.tenant(), (t, current) -> {
      TenantFlags flags = current == null ? TenantFlags.empty(t) : current;
      Long seen = planFeedIds.get(t);
      if (seen != null && seen >= r.id()) {
        return flags;
      }
      planFeedIds.put(t, r.id());
      return flags.withPlan(plan, r.id());
    });
  }
}
