package dev.devflow.actors.tenant;

import java.util.Locale;
import java.util.Optional;

/** Billing tiers, ordered: a feature gated on {@code TEAM} is on for TEAM and ENTERPRISE. */
public enum Plan {
  FREE,
  TEAM,
  ENTERPRISE;

  /** The name used in the API: {@code free}, {@code team}, {@code enterprise}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean atLeast(Plan other) {
    return compareTo(other) >= 0;
  }

  public static Optional<Plan> parse(String id) {
    for (Plan p : values()) {
      if (p.id().equals(id)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
