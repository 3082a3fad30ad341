package dev.devflow.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The back-off after failed logins, on a clock the test moves. */
class AuthFailuresTest {

  final AtomicLong now = new AtomicLong();
  final AuthFailures failures =
      new AuthFailures(new AuthFailureLimit(3, Duration.ofSeconds(60), Duration.ofSeconds(10)), now::get);

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void waitsStartAfterTheLimitAndDoubleUpToTheCeiling() {
    for (int i = 0; i < 3; i++) {
      failures.failed("10.0.0.1");
      assertEquals(Optional.empty(), failures.waitFor("10.0.0.1"), "failure " + (i + 1) + " is within the limit");
    }
    failures.failed("10.0.0.1");
    assertEquals(Optional.of(Duration.ofSeconds(1)), failures.waitFor("10.0.0.1"));
    failures.failed("10.0.0.1");
    assertEquals(Optional.of(Duration.ofSeconds(2)), failures.waitFor("10.0.0.1"));
    for (int i = 0; i < 10; i++) {
      failures.failed("10.0.0.1");
    }
    assertEquals(Optional.of(Duration.ofSeconds(10)), failures.waitFor("10.0.0.1"), "capped at max-backoff");
    assertEquals(Optional.empty(), failures.waitFor("10.0.0.2"), "other addresses are not affected");
    advance(Duration.ofSeconds(10));
    assertEquals(Optional.empty(), failures.waitFor("10.0.0.1"), "the wait ends");
  }

  @Test
  void aQuietWindowForgetsTheFailures() {
    for (int i = 0; i < 3; i++) {
      failures.failed("10.0.0.1");
    }
    advance(Duration.ofSeconds(61));
    failures.failed("10.0.0.1");
    assertEquals(Optional.empty(), failures.waitFor("10.0.0.1"), "a new window: one failure");
  }

  @Test
  void slowGuessingStillCountsAsLongAsNoWindowIsQuiet() {
    for (int i = 0; i < 4; i++) {
      failures.failed("10.0.0.1");
      advance(Duration.ofSeconds(50)); // never a whole quiet minute
    }
    assertTrue(failures.waitFor("10.0.0.1").isEmpty(), "the wait after the 4th failure has passed");
    failures.failed("10.0.0.1");
    assertEquals(Optional.of(Duration.ofSeconds(2)), failures.waitFor("10.0.0.1"),
        "the count went on: the 5th failure doubles the wait");
  }

  @Test
  void zeroTurnsItOff() {
    AuthFailures off = new AuthFailures(new AuthFailureLimit(0, Duration.ofSeconds(60), Duration.ofSeconds(10)));
    for (int i = 0; i < 100; i++) {
      off.failed("10.0.0.1");
    }
    assertTrue(off.waitFor("10.0.0.1").isEmpty());
  }
}
