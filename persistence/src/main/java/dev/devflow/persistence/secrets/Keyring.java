package dev.devflow.persistence.secrets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The master keys a node holds, newest first: the first encrypts after a rotation, the others
 * still decrypt rows a rotation has not reached yet. Written as one base64 key per line (the
 * {@code master.key} file) or comma-separated ({@code DEVFLOW_MASTER_KEY}).
 */
public record Keyring(List<MasterKey> keys) {

  public Keyring {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a keyring needs at least one key");
    }
    Map<String, MasterKey> unique = new LinkedHashMap<>();
    keys.forEach(k -> unique.putIfAbsent(k.id(), k));
    keys = List.copyOf(unique.values());
  }

  /** Parses keys separated by commas or new lines; blank entries and # comment lines are skipped. */
  public static Keyring parse(String text) {
    List<MasterKey> keys = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.trim().startsWith("#")) {
        continue;
      }
      for (String entry : line.split(",")) {
        if (!entry.isBlank()) {
          keys.add(MasterKey.parse(entry));
        }
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no master key in it");
    }
    return new Keyring(keys);
  }

  public MasterKey newest() {
    return keys.get(0);
  }

  public Optional<MasterKey> byId(String id) {
    return keys.stream().filter(k -> k.id().equals(id)).findFirst();
  }

  public List<String> ids() {
    return keys.stream().map(MasterKey::id).toList();
  }

  /** This keyring with {@code key} in front (a rotation's first step). */
  public Keyring withNewest(MasterKey key) {
    List<MasterKey> all = new ArrayList<>();
    all.add(key);
    all.addAll(keys);
    return new Keyring(all);
  }

  /** One key per line, for the key file. */
  public String toFileText() {
    StringBuilder b = new StringBuilder();
    keys.forEach(k -> b.append(k.base64()).append('\n'));
    return b.toString();
  }
}
