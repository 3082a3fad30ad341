package dev.devflow.agents.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Back-off bounds and the forms of Retry-After. */
class RetryPolicyTest {

  private final RetryPolicy policy = new RetryPolicy(3, Duration.ofMillis(500), Duration.ofSeconds(30));

  @Test
  void backoffDoublesWithJitterUpToTheCap() {
    for (int i = 0; i < 50; i++) {
      long first = policy.delay(1, Optional.empty()).toMillis();
      long third = policy.delay(3, Optional.empty()).toMillis();
      long late = policy.delay(40, Optional.empty()).toMillis();
      assertTrue(first >= 250 && first <= 500, "first " + first);
      assertTrue(third >= 1000 && third <= 2000, "third " + third);
      assertTrue(late >= 15_000 && late <= 30_000, "late " + late);
    }
  }

  @Test
  void retryAfterIsHonouredButCapped() {
    assertEquals(Duration.ofSeconds(7), policy.delay(1, Optional.of(Duration.ofSeconds(7))));
    assertEquals(Duration.ofSeconds(30), policy.delay(1, Optional.of(Duration.ofHours(1))));
  }

  @Test
  void retryAfterForms() {
    Instant now = Instant.parse("2030-05-01T12:00:00Z");
    assertEquals(Optional.of(Duration.ofSeconds(2)), RetryPolicy.retryAfter("2", null, now));
    assertEquals(Optional.of(Duration.ofMillis(1500)), RetryPolicy.retryAfter("1.5", null, now));
    assertEquals(Optional.of(Duration.ofMillis(250)), RetryPolicy.retryAfter("20", "250", now));
    assertEquals(Optional.of(Duration.ofSeconds(90)),
        RetryPolicy.retryAfter("Wed, 01 May 2030 12:01:30 GMT", null, now));
    assertEquals(Optional.of(Duration.ZERO), RetryPolicy.retryAfter("Wed, 01 May 2030 11:00:00 GMT", null, now));
    assertEquals(Optional.empty(), RetryPolicy.retryAfter("soon", null, now));
    assertEquals(Optional.empty(), RetryPolicy.retryAfter(null, null, now));
  }
}
