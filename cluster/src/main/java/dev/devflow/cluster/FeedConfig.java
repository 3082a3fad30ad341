package dev.devflow.cluster;

import com.typesafe.config.Config;
import dev.devflow.actors.feed.FeedProjection;
import dev.devflow.actors.feed.FeedSubscription;
import dev.devflow.http.FeedRoutes;
import java.time.Duration;

/** The {@code devflow.feed { }} settings: the projection, the per-node hub, and SSE clients. */
record FeedConfig(FeedProjection.Settings projection, Duration hubCheckInterval, FeedRoutes.Settings routes) {

  static FeedConfig from(Config devflow) {
    Config c = devflow.getConfig("feed");
    int buffer = c.getInt("client-buffer");
    if (buffer < 1) {
      throw new NodeConfig.InvalidConfigException("devflow.feed.client-buffer must be at least 1");
    }
    return new FeedConfig(
        new FeedProjection.Settings(c.getInt("batch-size"), c.getDuration("gap-recheck"), c.getDuration("safety-poll")),
        c.getDuration("safety-poll"),
        new FeedRoutes.Settings(
            new FeedSubscription.Limits(buffer, c.getInt("page-size")),
            c.getDuration("heartbeat"),
            c.getDuration("client-retry")));
  }
}
