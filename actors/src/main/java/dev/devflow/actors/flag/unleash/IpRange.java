package dev.devflow.actors.flag.unleash;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address with an optional prefix length ({@code 10.0.0.0/8}, {@code 2001:db8::/32}),
 * parsed from literals only (never a DNS lookup), for the {@code remoteAddress} strategy and the
 * {@code IN_CIDR} operator.
 */
public record IpRange(byte[] address, int prefix) {

  private static final Pattern V4 = Pattern.compile("^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}$");
  private static final Pattern V6_CHARS = Pattern.compile("^[0-9a-fA-F:.]+$");

  /** Parses {@code address[/prefix]}; empty when it is not an IP literal of that family. */
  public static Optional<IpRange> parse(String s, boolean v6) {
    if (s == null) {
      return Optional.empty();
    }
    String t = s.trim();
    int slash = t.indexOf('/');
    String ip = slash < 0 ? t : t.substring(0, slash);
    int max = v6 ? 128 : 32;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
      if (prefix < 0 || prefix > max) {
        return Optional.empty();
      }
    }
    if (v6 ? !(ip.contains(":") && V6_CHARS.matcher(ip).matches()) : !V4.matcher(ip).matches()) {
      return Optional.empty();
    }
    try {
      byte[] bytes = InetAddress.getByName(ip).getAddress();
      if (bytes.length != (v6 ? 16 : 4)) {
        // an IPv4-mapped IPv6 literal comes back as IPv4
        if (!v6) {
          return Optional.empty();
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, mapped, 12, 4);
        bytes = mapped;
      }
      return Optional.of(new IpRange(bytes, prefix));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code other} (a single address of the same family) lies in this range. */
  public boolean contains(IpRange other) {
    if (other.address.length != address.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != other.address[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (address[full] & mask) == (other.address[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpRange r && r.prefix == prefix && Arrays.equals(r.address, address);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(address) * 31 + prefix;
  }
}
