package dev.devflow.actors.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SSRF rule: only http(s) to public addresses, unless private targets are allowed. */
class WebhookTargetsTest {

  @Test
  void privateLoopbackLinkLocalAndMetadataAddressesAreRefused() {
    for (String url : new String[] {
        "http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/", "http://172.16.0.1/",
        "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://100.100.100.200/",
        "http://0.0.0.0/", "http://[::1]/", "http://[fe80::1]/", "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/", "http://255.255.255.255/"}) {
      Optional<String> refusal = WebhookTargets.refusal(url, false);
      assertTrue(refusal.isPresent(), url);
      assertTrue(refusal.get().contains("allow-private-targets"), refusal.get());
    }
  }

  @Test
  void publicAddressesAreAllowed() {
    assertEquals(Optional.empty(), WebhookTargets.refusal("https://93.184.216.34/hook", false));
    assertEquals(Optional.empty(), WebhookTargets.refusal("http://[2606:2800:220:1:248:1893:25c8:1946]/", false));
  }

  @Test
  void privateTargetsWhenAllowed() {
    assertEquals(Optional.empty(), WebhookTargets.refusal("http://127.0.0.1:9/x", true));
  }

  @Test
  void onlyHttpAndHttps() {
    assertTrue(WebhookTargets.refusal("ftp://93.184.216.34/", true).get().contains("http"));
    assertTrue(WebhookTargets.refusal("file:///etc/passwd", true).isPresent());
    assertTrue(WebhookTargets.refusal("not a url", true).isPresent());
    assertTrue(WebhookTargets.refusal("http:///nohost", true).isPresent());
  }

  @Test
  void carrierGradeNatEdges() throws Exception {
    assertTrue(WebhookTargets.isForbidden(InetAddress.getByName("100.64.0.1")));
    assertTrue(WebhookTargets.isForbidden(InetAddress.getByName("100.127.255.255")));
    assertEquals(false, WebhookTargets.isForbidden(InetAddress.getByName("100.128.0.1")));
  }

  @Test
  void backOffDoublesUpToTheCap() {
    WebhookSettings s = new WebhookSettings(false, Duration.ofSeconds(10), Duration.ofHours(24),
        Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(5));
    assertEquals(Duration.ofSeconds(1), s.backoff(1));
    assertEquals(Duration.ofSeconds(4), s.backoff(3));
    assertEquals(Duration.ofMinutes(1), s.backoff(10));
    assertEquals(Duration.ofMinutes(1), s.backoff(500));
  }
}
