package dev.devflow.cluster;

import com.typesafe.config.Config;
import dev.devflow.actors.feed.FeedProjection;
import dev.devflow.actors.feed.FeedSubscription;
import dev.devflow.actors.webhook.WebhookSettings;
import dev.devflow.http.FeedRoutes;
import java.time.Duration;

/**
 * The {@code devflow.feed { }} and {@code devflow.webhooks { }} settings: the projection, the
 * per-node hub, SSE clients, and outgoing webhooks.
 */
record FeedConfig(
    FeedProjection.Settings projection, Duration hubCheckInterval, FeedRoutes.Settings routes,
    WebhookSettings webhooks) {

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
            c.getDuration("client-retry")),
        webhooks(devflow.getConfig("webhooks"), c.getDuration("safety-poll")));
  }

  private static WebhookSettings webhooks(Config c, Duration feedCheckInterval) {
    return new WebhookSettings(
        c.getBoolean("allow-private-targets"),
        c.getDuration("timeout"),
        c.getDuration("retry-for"),
        c.getDuration("backoff-min"),
        c.getDuration("backoff-max"),
        c.getDuration("refresh-interval"),
        feedCheckInterval);
  }
}
