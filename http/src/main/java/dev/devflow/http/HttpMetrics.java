package dev.devflow.http;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * HTTP request metrics (count and latency histogram by method, route template and status) and the
 * Prometheus text exposition of the node's registry.
 *
 * <p>Thread-safe.
 */
public final class HttpMetrics extends AllDirectives {

  /** Holder for the route template, set by {@link ApiDirectives#label} while the route runs. */
  static final AttributeKey<RouteLabel> ROUTE = AttributeKey.create("devflow-route", RouteLabel.class);

  /** Mutable per request: the innermost matching route names itself. */
  static final class RouteLabel {
    volatile String template = "unmatched";
  }

  private final PrometheusRegistry registry;
  private final Histogram requests;

  public HttpMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    this.requests =
        Histogram.builder()
            .name("http_server_requests_seconds")
            .help("HTTP requests served, by method, route template and status")
            .labelNames("method", "route", "status")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
  }

  /** Wraps the whole route tree; the response status and timing are recorded when it answers. */
  public Route instrument(Route inner) {
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          RouteLabel route = new RouteLabel();
          return mapRequest(
              r -> r.addAttribute(ROUTE, route),
              () ->
                  mapResponse(
                      response -> {
                        requests
                            .labelValues(
                                request.method().name(),
                                route.template,
                                Integer.toString(response.status().intValue()))
                            .observe((System.nanoTime() - start) / 1e9);
                        return response;
                      },
                      () -> inner));
        });
  }

  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
