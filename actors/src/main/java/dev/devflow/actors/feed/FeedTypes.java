package dev.devflow.actors.feed;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The event types of the tenant feed (API.md "Event feed", plus {@code repo.deleted},
 * {@code tenant.created} and {@code plan.changed}) and the
 * {@code ?types=} filter syntax: a comma list of types, where {@code pipeline.*} stands for every
 * type starting with {@code pipeline.}.
 *
 * <p>{@link #OUTPUT} (app output, many entries a second from a busy app) reaches only clients and
 * webhooks that name it exactly: no filter, {@code *} and {@code instance.*} leave it out, so that
 * adding an app never floods a consumer that asked for "everything".
 */
public final class FeedTypes {

  public static final List<String> ALL = List.of(
      "tenant.created", "plan.changed",
      "repo.created", "repo.pushed", "repo.deleted",
      "pipeline.created", "job.started", "job.finished", "pipeline.finished",
      "flag.changed",
      "release.created", "release.live", "release.failed", "instance.started", "instance.failed", "instance.output",
      "review.posted", "secret.changed", "agent.status");

  /** Lines an app instance printed (see the class comment). */
  public static final String OUTPUT = "instance.output";

  /** Sent last to a client that fell behind, with the id to resume after. Not filterable. */
  public static final String RESYNC = "resync";

  private FeedTypes() {}

  /** A parsed filter, or the first token that names no type. */
  public record Filter(Predicate<String> accepts, Optional<String> unknown) {}

  /** Parses {@code ?types=}; null or blank accepts everything. */
  public static Filter parse(String types) {
    if (types == null || types.isBlank()) {
      return new Filter(t -> !OUTPUT.equals(t), Optional.empty());
    }
    List<String> exact = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    for (String token : types.split(",")) {
      String t = token.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (t.endsWith("*")) {
        String prefix = t.substring(0, t.length() - 1);
        if (ALL.stream().noneMatch(a -> a.startsWith(prefix))) {
          return new Filter(x -> false, Optional.of(t));
        }
        prefixes.add(prefix);
      } else if (ALL.contains(t)) {
        exact.add(t);
      } else {
        return new Filter(x -> false, Optional.of(t));
      }
    }
    return new Filter(
        type -> RESYNC.equals(type) || exact.contains(type)
            || (!OUTPUT.equals(type) && prefixes.stream().anyMatch(type::startsWith)),
        Optional.empty());
  }
}
