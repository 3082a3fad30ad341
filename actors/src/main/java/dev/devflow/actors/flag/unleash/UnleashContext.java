package dev.devflow.actors.flag.unleash;

import java.util.HashMap;
import java.util.Map;

/**
 * The context of one evaluation, shaped like the Unleash SDKs' context object: named fields
 * ({@code userId}, {@code sessionId}, {@code remoteAddress}, {@code environment}, {@code appName},
 * {@code currentTime}, …) and free {@code properties}. A field is looked up among the named ones
 * first, then the properties, as the SDKs do.
 */
public record UnleashContext(Map<String, String> fields, Map<String, String> properties) {

  public UnleashContext {
    fields = fields == null ? Map.of() : fields;
    properties = properties == null ? Map.of() : properties;
  }

  public static UnleashContext of(String userId, String sessionId, String remoteAddress, Map<String, String> properties) {
    Map<String, String> f = new HashMap<>();
    if (userId != null) {
      f.put("userId", userId);
    }
    if (sessionId != null) {
      f.put("sessionId", sessionId);
    }
    if (remoteAddress != null) {
      f.put("remoteAddress", remoteAddress);
    }
    return new UnleashContext(f, properties);
  }

  /** The value of a context field, or null (the SDKs' {@code resolveContextValue}). */
  public String value(String name) {
    String v = fields.get(name);
    return v != null ? v : properties.get(name);
  }

  /** A named field only (not the properties): userId, sessionId, remoteAddress, currentTime. */
  public String field(String name) {
    return fields.get(name);
  }
}
