package dev.devflow.actors.flag.unleash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Vectors computed with the murmurhash3js package that the Unleash Node SDK uses (the standard
 * MurmurHash3 x86_32 vectors for ASCII; its own low-byte-per-UTF-16-unit rule otherwise).
 */
class Murmur3Test {

  @Test
  void standardVectors() {
    assertEquals(0L, Murmur3.hash32("", 0));
    assertEquals(613153351L, Murmur3.hash32("hello", 0));
    assertEquals(776992547L, Murmur3.hash32("The quick brown fox jumps over the lazy dog", 0));
  }

  @Test
  void unleashStringsAndSeeds() {
    assertEquals(538421172L, Murmur3.hash32("gr1:123", 0));
    assertEquals(3276796958L, Murmur3.hash32("new-checkout:user-42", 86028157));
    assertEquals(3194720160L, Murmur3.hash32("Hellø:😊", 0));
    assertEquals(538421172 % 100 + 1, Murmur3.normalized("123", "gr1", 100, 0));
  }
}
