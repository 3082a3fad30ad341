package dev.devflow.actors.ci.run;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Replaces secret values in a log line by {@code ***}.
 *
 * <p>Each secret is looked for in these forms: the value itself; its base64 encodings, standard
 * and URL-safe, each at the three byte alignments it can have inside a longer encoded text (only
 * the characters that depend on the secret's bytes alone, so {@code base64(prefix + secret +
 * suffix)} is caught too), plus the whole padded encoding; and its URL encodings (RFC 3986 percent
 * encoding and HTML form encoding). A multi-line value is masked line by line: each of its
 * non-blank lines is a secret of its own (a log line cannot contain the line break), and the
 * encodings of the whole value are looked for too (an encoded value has no line breaks). Forms
 * shorter than {@link #MIN_LENGTH} characters are ignored, as on GitHub: masking every "a" would
 * mask the log.
 *
 * <p>Every occurrence of every form is found before anything is replaced, and each run of covered
 * characters becomes one {@code ***}. That is longest-first and more: two secrets that overlap in
 * the text ("abcd" and "cdef" in "abcdef") are masked as one, where replacing one after the other
 * would leave the end of the second visible.
 *
 * <p>Immutable and thread-safe.
 */
public final class SecretMasker {

  /** Shorter values and forms are not masked. */
  public static final int MIN_LENGTH = 3;
  static final String MASK = "***";

  private final List<String> secrets;
  /** Every form of every secret, longest first. */
  private final String[] forms;

  public SecretMasker(Collection<String> secrets) {
    this.secrets = secrets.stream().filter(Objects::nonNull).toList(); // an unset secret masks nothing
    Set<String> all = new LinkedHashSet<>();
    for (String secret : this.secrets) {
      addForms(secret, all);
    }
    this.forms = all.stream().filter(f -> f.length() >= MIN_LENGTH)
        .sorted(Comparator.comparingInt(String::length).reversed()).toArray(String[]::new);
  }

  /** A masker for these secrets and {@code more} (e.g. values of {@code ::add-mask::}). */
  public SecretMasker with(Collection<String> more) {
    List<String> union = new ArrayList<>(secrets);
    union.addAll(more);
    return new SecretMasker(union);
  }

  /** The line with every form of every secret replaced by {@code ***}. */
  public String mask(String line) {
    BitSet covered = null;
    for (String form : forms) {
      for (int at = line.indexOf(form); at >= 0; at = line.indexOf(form, at + 1)) {
        if (covered == null) {
          covered = new BitSet(line.length());
        }
        covered.set(at, at + form.length());
      }
    }
    if (covered == null) {
      return line;
    }
    StringBuilder out = new StringBuilder(line.length());
    int i = 0;
    for (int from = covered.nextSetBit(0); from >= 0; from = covered.nextSetBit(i)) {
      out.append(line, i, from).append(MASK);
      i = covered.nextClearBit(from);
    }
    return out.append(line, i, line.length()).toString();
  }

  private static void addForms(String secret, Set<String> into) {
    if (secret.isBlank()) {
      return;
    }
    String[] lines = secret.split("\r\n|\r|\n");
    for (String line : lines) {
      if (!line.isBlank()) {
        into.add(line);
        addEncodings(line, into);
      }
    }
    if (lines.length > 1) {
      addEncodings(secret, into);
    }
  }

  private static void addEncodings(String value, Set<String> into) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      into.add(encoder.encodeToString(bytes));
      for (int shift = 0; shift < 3; shift++) {
        into.add(base64Inside(encoder.withoutPadding(), bytes, shift));
      }
    }
    into.add(percentEncode(bytes));
    into.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
  }

  /**
   * The part of the encoding of {@code shift} unknown bytes + {@code bytes} + unknown bytes that
   * depends on {@code bytes} only: each base64 character stands for 6 bits, and those that take
   * some bits from a neighbour byte differ with the neighbour.
   */
  static String base64Inside(Base64.Encoder encoder, byte[] bytes, int shift) {
    byte[] shifted = new byte[shift + bytes.length];
    System.arraycopy(bytes, 0, shifted, shift, bytes.length);
    String encoded = encoder.encodeToString(shifted);
    int first = (shift * 8 + 5) / 6; // the first character starting at or after bit shift*8
    int last = shifted.length * 8 / 6; // characters that end at or before the last bit
    return first < last ? encoded.substring(first, last) : "";
  }

  /** RFC 3986 percent encoding: everything but unreserved characters, as {@code %XX}. */
  private static String percentEncode(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return out.toString();
  }
}
