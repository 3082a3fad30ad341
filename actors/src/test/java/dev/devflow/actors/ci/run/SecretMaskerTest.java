package dev.devflow.actors.ci.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forms a secret takes in a log, and how overlapping and short values are treated. */
class SecretMaskerTest {

  static final String SECRET = "p@ss w/rd&ä~?>>>"; // base64 of it has '+' and '/', URL encoding has %XX

  @Test
  void plainValuesAreMaskedEverywhereInTheLine() {
    SecretMasker masker = new SecretMasker(List.of("hunter22"));
    assertEquals("password=*** and again ***!", masker.mask("password=hunter22 and again hunter22!"));
    assertEquals("nothing here", masker.mask("nothing here"));
    assertEquals("", masker.mask(""));
  }

  @Test
  void base64AtEveryAlignmentInsideLongerText() {
    SecretMasker masker = new SecretMasker(List.of(SECRET));
    for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder(), Base64.getEncoder().withoutPadding())) {
      for (String before : List.of("", "a", "ab", "abc")) {
        for (String after : List.of("", "z", "zz", "zzz")) {
          String encoded = encoder.encodeToString((before + SECRET + after).getBytes(StandardCharsets.UTF_8));
          String masked = masker.mask("data: " + encoded + " end");
          assertTrue(masked.startsWith("data: ") && masked.endsWith(" end") && masked.contains("***"), masked);
          String visible = masked.substring(6, masked.length() - 4).replace("***", "");
          // Only characters that carry bits of the neighbours (and padding) may remain.
          int neighbourChars = (before.length() * 8 + 5) / 6 + (after.length() * 8 + 5) / 6 + 3;
          assertTrue(visible.length() <= neighbourChars, "left visible of " + encoded + ": " + visible);
        }
      }
    }
  }

  @Test
  void standaloneBase64WithPaddingIsMaskedWhole() {
    String encoded = Base64.getEncoder().encodeToString("abcd".getBytes(StandardCharsets.UTF_8));
    assertEquals("token ***", new SecretMasker(List.of("abcd")).mask("token " + encoded));
  }

  @Test
  void urlEncodedForms() {
    SecretMasker masker = new SecretMasker(List.of(SECRET));
    String percent = "p%40ss%20w%2Frd%26%C3%A4~%3F%3E%3E%3E";
    assertEquals("https://x/?pw=***&y=1", masker.mask("https://x/?pw=" + percent + "&y=1"));
    String form = URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    assertEquals("body pw=***", masker.mask("body pw=" + form));
  }

  @Test
  void eachLineOfAMultiLineSecretIsASecret() {
    String key = "-----BEGIN KEY-----\nMIIEvQIBADANBg\r\n\n   \nkqhkiG9w0BAQEF\n-----END KEY-----\n";
    SecretMasker masker = new SecretMasker(List.of(key));
    assertEquals("***", masker.mask("MIIEvQIBADANBg"));
    assertEquals("cat: ***", masker.mask("cat: kqhkiG9w0BAQEF"));
    assertEquals("***", masker.mask("-----END KEY-----"));
    assertEquals("   ", masker.mask("   "), "blank lines of the value are not secrets");
    String wholeEncoded = Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    assertEquals("KEY=***", masker.mask("KEY=" + wholeEncoded), "the encoded value has no line breaks");
  }

  @Test
  void valuesShorterThanThreeCharactersAreNotMasked() {
    SecretMasker masker = new SecretMasker(Arrays.asList("ab", "x", "", "  ", null, "abc"));
    assertEquals("*** ab x", masker.mask("abc ab x"));
  }

  @Test
  void overlappingAndNestedSecretsAreMaskedAsOne() {
    SecretMasker masker = new SecretMasker(List.of("abcd", "cdef", "secret", "secretvalue"));
    assertEquals("xx***yy", masker.mask("xxabcdefyy"), "replacing one after the other would leave 'ef'");
    assertEquals("my *** and ***", masker.mask("my secretvalue and secret"));
    assertEquals("***", masker.mask("abcdabcd"));
  }

  @Test
  void withAddsSecretsAndLeavesTheOriginalAlone() {
    SecretMasker base = new SecretMasker(List.of("first-secret"));
    SecretMasker more = base.with(List.of("second-secret"));
    assertEquals("*** ***", more.mask("first-secret second-secret"));
    assertEquals("*** second-secret", base.mask("first-secret second-secret"));
  }

  @Test
  void noSecretsChangeNothing() {
    SecretMasker none = new SecretMasker(List.of());
    String line = "a perfectly ordinary line";
    assertTrue(line == none.mask(line));
    assertFalse(new SecretMasker(List.of("zzz")).mask(line).contains("***"));
  }
}
