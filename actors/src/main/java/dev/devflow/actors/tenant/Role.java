package dev.devflow.actors.tenant;

import java.util.Locale;
import java.util.Optional;

/**
 * What a tenant token may do (API.md "Authentication"). READ &lt; WRITE &lt; ADMIN; RUNNER is
 * reserved for runner registration and grants nothing else.
 */
public enum Role {
  READ,
  WRITE,
  ADMIN,
  RUNNER;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True when a token with this role may do what {@code required} allows. */
  public boolean covers(Role required) {
    if (this == RUNNER || required == RUNNER) {
      return this == required;
    }
    return compareTo(required) >= 0;
  }

  public static Optional<Role> parse(String id) {
    for (Role r : values()) {
      if (r.id().equals(id)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
