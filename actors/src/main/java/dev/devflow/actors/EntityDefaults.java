package dev.devflow.actors;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** The restart back-off and snapshot policy every event-sourced entity uses unless it says why not. */
public final class EntityDefaults {

  /** A journal failure restarts the entity after 0.2 s, backing off to 5 s. */
  public static final BackoffSupervisorStrategy ON_PERSIST_FAILURE =
      SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1);

  /** A snapshot every 100 events, two kept: recovery replays at most 100 events. */
  public static final RetentionCriteria RETENTION = RetentionCriteria.snapshotEvery(100, 2);

  private EntityDefaults() {}
}
