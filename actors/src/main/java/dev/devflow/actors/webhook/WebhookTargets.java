package dev.devflow.actors.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Which URLs a webhook may call. Only http(s), and (unless private targets are allowed) only hosts
 * whose every address is public: not loopback, link-local (cloud metadata services live at
 * 169.254.169.254), private (RFC 1918, IPv6 unique-local), carrier-grade NAT, unspecified or
 * multicast. Checked when a webhook is saved and again before every delivery, since DNS answers
 * change.
 */
public final class WebhookTargets {

  private WebhookTargets() {}

  /** Why {@code url} may not be called, or empty when it may. Resolves the host (blocking). */
  public static Optional<String> refusal(String url, boolean allowPrivate) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("not a valid URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Optional.of("the URL must start with http:// or https://");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      return Optional.of("the URL has no host");
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return Optional.of("host " + host + " does not resolve");
    }
    if (allowPrivate) {
      return Optional.empty();
    }
    for (InetAddress a : addresses) {
      if (isForbidden(a)) {
        return Optional.of("host " + host + " resolves to " + a.getHostAddress()
            + ", a loopback, link-local, private or metadata address (devflow.webhooks.allow-private-targets is off)");
      }
    }
    return Optional.empty();
  }

  static boolean isForbidden(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isAnyLocalAddress() || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first == 0                                   // "this network"
          || (first == 100 && second >= 64 && second < 128) // carrier-grade NAT (100.64.0.0/10)
          || first >= 240;                                // reserved and broadcast
    }
    if (a instanceof Inet6Address) {
      return (b[0] & 0xfe) == 0xfc; // unique local fc00::/7 (e.g. fd00:ec2::254, AWS metadata)
    }
    return false;
  }
}
