package dev.devflow.actors.flag.unleash;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An {@link UnleashFeatures} indexed by feature name and segment id, for evaluation. Immutable. */
public final class FeatureSet {

  private final UnleashFeatures source;
  private final Map<String, UnleashFeatures.Feature> features;
  private final Map<Integer, UnleashFeatures.Segment> segments;

  public FeatureSet(UnleashFeatures source) {
    this.source = source;
    Map<String, UnleashFeatures.Feature> f = new HashMap<>();
    source.features().forEach(x -> f.put(x.name(), x));
    Map<Integer, UnleashFeatures.Segment> s = new HashMap<>();
    source.segments().forEach(x -> s.put(x.id(), x));
    this.features = Collections.unmodifiableMap(f);
    this.segments = Collections.unmodifiableMap(s);
  }

  public UnleashFeatures source() {
    return source;
  }

  public UnleashFeatures.Feature feature(String name) {
    return features.get(name);
  }

  public UnleashFeatures.Segment segment(int id) {
    return segments.get(id);
  }

  public List<UnleashFeatures.Feature> all() {
    return source.features();
  }
}
