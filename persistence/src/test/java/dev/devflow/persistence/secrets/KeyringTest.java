package dev.devflow.persistence.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Key text as operators write it: the key file with comments, or a comma list in the environment. */
class KeyringTest {

  @Test
  void theFileAndTheVariableReadTheSameNewestFirst() {
    MasterKey a = MasterKey.generate();
    MasterKey b = MasterKey.generate();
    Keyring file = Keyring.parse("# keys, newest first\n" + a.base64() + "\n\n" + b.base64() + "\n");
    Keyring env = Keyring.parse(" " + a.base64() + " , " + b.base64());
    assertEquals(List.of(a.id(), b.id()), file.ids());
    assertEquals(file.ids(), env.ids());
    assertEquals(a.id(), Keyring.parse(file.toFileText()).newest().id());
    assertEquals(List.of(b.id(), a.id()), new Keyring(List.of(a)).withNewest(b).ids());
    assertEquals(1, new Keyring(List.of(a, a)).keys().size(), "a key given twice counts once");
  }

  @Test
  void badKeysAreRefusedWithoutRepeatingThem() {
    String short16 = Base64.getEncoder().encodeToString(new byte[16]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Keyring.parse(short16));
    assertEquals("a master key must be 32 bytes in base64, this one has 16", e.getMessage());
    IllegalArgumentException garbage = assertThrows(IllegalArgumentException.class, () -> Keyring.parse("s3cr3t!"));
    assertFalse(garbage.getMessage().contains("s3cr3t"), garbage.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Keyring.parse("# only a comment\n"));
    assertFalse(MasterKey.generate().toString().contains("="), "toString shows the id, never the key");
  }
}
