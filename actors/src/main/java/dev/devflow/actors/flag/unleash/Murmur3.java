package dev.devflow.actors.flag.unleash;

/**
 * MurmurHash3 x86 32-bit as the Unleash SDKs compute it (the murmurhash3js package): over the
 * string's UTF-16 code units, taking the low byte of each, with the unit count as length. For
 * ASCII this is the standard hash of the bytes; for other text it is what the SDKs do, so
 * buckets agree user by user.
 */
public final class Murmur3 {

  private Murmur3() {}

  /** The unsigned 32-bit hash, as a long. */
  public static long hash32(String key, int seed) {
    int length = key.length();
    int remainder = length % 4;
    int bytes = length - remainder;
    int h1 = seed;
    final int c1 = 0xcc9e2d51;
    final int c2 = 0x1b873593;
    int i = 0;
    for (; i < bytes; i += 4) {
      int k1 = (key.charAt(i) & 0xff) | ((key.charAt(i + 1) & 0xff) << 8)
          | ((key.charAt(i + 2) & 0xff) << 16) | ((key.charAt(i + 3) & 0xff) << 24);
      k1 *= c1;
      k1 = Integer.rotateLeft(k1, 15);
      k1 *= c2;
      h1 ^= k1;
      h1 = Integer.rotateLeft(h1, 13);
      h1 = h1 * 5 + 0xe6546b64;
    }
    int k1 = 0;
    switch (remainder) {
      case 3:
        k1 ^= (key.charAt(i + 2) & 0xff) << 16;
        // fall through
      case 2:
        k1 ^= (key.charAt(i + 1) & 0xff) << 8;
        // fall through
      case 1:
        k1 ^= key.charAt(i) & 0xff;
        k1 *= c1;
        k1 = Integer.rotateLeft(k1, 15);
        k1 *= c2;
        h1 ^= k1;
        break;
      default:
        break;
    }
    h1 ^= length;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1 & 0xffffffffL;
  }

  /** Unleash's bucket: {@code hash("groupId:id") % normalizer + 1}, in 1..normalizer. */
  public static int normalized(String id, String groupId, int normalizer, int seed) {
    return (int) (hash32(groupId + ":" + id, seed) % normalizer) + 1;
  }
}
