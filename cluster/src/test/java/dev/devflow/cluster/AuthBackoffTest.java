package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failed logins back off per source address on a real node: the guessing address gets 429 with
 * Retry-After, even for a valid token, while the same tenant's callers on other addresses go on.
 * Linux routes all of 127/8 to loopback, so each test address is its own client.
 */
class AuthBackoffTest {

  @TempDir static Path home;
  static RunningNode node;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> o = TestNodes.options(home);
    o.put("devflow.http.auth-failures.max", 5);
    node = TestNodes.start(o);
    token = new Api(node.baseUrl()).tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** The status line and headers of a GET sent from {@code from}. */
  static String get(String from, String path, String bearer) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
      s.connect(new InetSocketAddress("127.0.0.1", node.httpPort().join()), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n") + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static int status(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }

  @Test
  void theGuessingAddressWaitsAndEveryOtherAddressDoesNot() throws Exception {
    String guesser = "127.0.0.3";
    int failures = 0;
    String answer;
    while (status(answer = get(guesser, "/api/v1/tenants/acme", "dft_acme_000000000000_guess" + failures)) == 401) {
      failures++;
      assertTrue(failures <= 6, "no back-off after " + failures + " failures");
    }
    assertEquals(6, failures, "five failures are allowed, the sixth starts the wait");
    assertEquals(429, status(answer), answer);
    assertTrue(answer.contains("Retry-After: 1"), answer);
    assertTrue(answer.contains("too many failed authentications from " + guesser), answer);
    assertEquals(429, status(get(guesser, "/api/v1/tenants/acme", token)),
        "while it waits, the address gets no answer about any token, a valid one included");

    String colleague = "127.0.0.4";
    assertEquals(200, status(get(colleague, "/api/v1/tenants/acme", token)), "the tenant is not locked out");
    assertEquals(401, status(get(colleague, "/api/v1/tenants/acme", "dft_acme_000000000000_typo")));

    Thread.sleep(1100);
    assertEquals(200, status(get(guesser, "/api/v1/tenants/acme", token)), "the wait ends");
  }
}
