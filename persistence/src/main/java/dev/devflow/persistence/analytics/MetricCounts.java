package dev.devflow.persistence.analytics;

import java.util.Map;

/**
 * Evaluation counts reported by Unleash SDKs ({@code POST /api/client/metrics}): how often a flag
 * was on ({@code yes}) and off ({@code no}), and how often each variant was handed out. SDKs report
 * no user ids, so these are evaluations, not users.
 */
public record MetricCounts(long yes, long no, Map<String, Long> variants) {

  public static final MetricCounts NONE = new MetricCounts(0, 0, Map.of());

  public MetricCounts {
    variants = Map.copyOf(variants);
  }
}
