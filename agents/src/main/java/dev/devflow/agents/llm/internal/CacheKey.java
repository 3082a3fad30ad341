package dev.devflow.agents.llm.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.devflow.agents.llm.ChatMessage;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer cache's key: SHA-256 (hex) of the request written as JSON with map keys sorted, so
 * two equal schemas built in a different key order hit the same entry. The tenant is part of it:
 * tenants never share answers (a cached answer may quote one tenant's code). Thread-safe.
 */
public final class CacheKey {

  /** Bump when the meaning of a cached entry changes, so old entries are no longer hit. */
  private static final int VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private CacheKey() {}

  public static String of(String tenant, String model, List<ChatMessage> messages, String schemaName,
      Map<String, Object> schema) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("v", VERSION);
    request.put("tenant", tenant);
    request.put("model", model);
    List<List<String>> msgs = new ArrayList<>();
    for (ChatMessage m : messages) {
      msgs.add(List.of(m.role(), m.content()));
    }
    request.put("messages", msgs);
    request.put("schemaName", schemaName);
    request.put("schema", schema);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(request));
      return java.util.HexFormat.of().formatHex(digest);
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("cannot key the request: " + e.getMessage(), e);
    }
  }
}
