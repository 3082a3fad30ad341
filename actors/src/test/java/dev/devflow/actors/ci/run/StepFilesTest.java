package dev.devflow.actors.ci.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GitHub's file commands: name=value, heredocs, paths, and the errors of a malformed file. */
class StepFilesTest {

  @TempDir Path dir;

  static Path file(StepFiles files, String variable) {
    return Path.of(files.env().get(variable));
  }

  @Test
  void theFourFilesExistEmptyAndAreUniquePerStep() throws IOException {
    StepFiles one = StepFiles.create(dir);
    StepFiles two = StepFiles.create(dir);
    assertEquals(4, one.env().size());
    for (String variable : List.of("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")) {
      assertEquals(0, Files.size(file(one, variable)), variable);
      assertNotEquals(file(one, variable), file(two, variable));
    }
    assertEquals(Map.of(), one.outputs());
    assertEquals(Map.of(), one.envAdditions());
    assertEquals(List.of(), one.pathAdditions());
    assertEquals(file(one, "GITHUB_STEP_SUMMARY"), one.summary());
  }

  @Test
  void outputsWithHeredocs() throws IOException {
    StepFiles files = StepFiles.create(dir);
    Files.writeString(file(files, "GITHUB_OUTPUT"), String.join("\n",
        "a=1",
        "multi<<EOF",
        "line one",
        "x=not a new output",
        "",
        "EOF",
        "",
        "b=x=y",
        "c=d<<e",
        "empty<<END",
        "END",
        "a=2",
        ""));
    Map<String, String> outputs = files.outputs();
    assertEquals(Map.of("a", "2", "multi", "line one\nx=not a new output\n", "b", "x=y", "c", "d<<e", "empty", ""), outputs);
    assertEquals(List.of("a", "multi", "b", "c", "empty"), List.copyOf(outputs.keySet()), "first-set order");
  }

  @Test
  void envAndPathWithWindowsLineEnds() throws IOException {
    StepFiles files = StepFiles.create(dir);
    Files.writeString(file(files, "GITHUB_ENV"), "NAME=value\r\nBLOCK<<X\r\none\r\ntwo\r\nX\r\n");
    Files.writeString(file(files, "GITHUB_PATH"), "/opt/tool/bin\r\n\n   \n  /opt/other bin  \n/last");
    assertEquals(Map.of("NAME", "value", "BLOCK", "one\ntwo"), files.envAdditions());
    assertEquals(List.of("/opt/tool/bin", "/opt/other bin", "/last"), files.pathAdditions());
  }

  @Test
  void aHeredocWithoutItsDelimiterNamesTheFileAndLine() throws IOException {
    StepFiles files = StepFiles.create(dir);
    Path output = file(files, "GITHUB_OUTPUT");
    Files.writeString(output, "ok=1\nnotes<<EOF\nsome text\neof\n");
    IOException e = assertThrows(IOException.class, files::outputs);
    assertTrue(e.getMessage().contains("GITHUB_OUTPUT file " + output + ", line 2"), e.getMessage());
    assertTrue(e.getMessage().contains("no line 'EOF' ends the value of notes"), e.getMessage());
  }

  @Test
  void otherMalformedLines() throws IOException {
    StepFiles files = StepFiles.create(dir);
    Path env = file(files, "GITHUB_ENV");
    Map<String, String> cases = Map.of(
        "A=1\njust words\n", "line 2: expected name=value or name<<DELIMITER",
        "=value\n", "line 1: a name is missing before '='",
        "<<EOF\nx\nEOF\n", "line 1: a name is missing before '<<'",
        "\n\nNAME<<\n", "line 3: a delimiter is missing after '<<'");
    for (var c : cases.entrySet()) {
      Files.writeString(env, c.getKey());
      IOException e = assertThrows(IOException.class, files::envAdditions, c.getKey());
      assertTrue(e.getMessage().startsWith("GITHUB_ENV file " + env + ", "), e.getMessage());
      assertTrue(e.getMessage().endsWith(c.getValue()), e.getMessage());
    }
  }

  @Test
  void anOversizedFileIsRefusedUnread() throws IOException {
    StepFiles files = StepFiles.create(dir);
    try (RandomAccessFile f = new RandomAccessFile(file(files, "GITHUB_OUTPUT").toFile(), "rw")) {
      f.setLength(StepFiles.MAX_FILE_BYTES + 1); // sparse: costs no disk
    }
    IOException e = assertThrows(IOException.class, files::outputs);
    assertTrue(e.getMessage().contains("more than the limit"), e.getMessage());
  }

  @Test
  void aRealStepWritesThem() throws Exception {
    StepFiles files = StepFiles.create(dir);
    Map<String, String> env = new HashMap<>(StepProcessTest.BASE_ENV);
    env.putAll(files.env());
    String script = String.join("\n",
        "echo \"sha=abc123\" >> \"$GITHUB_OUTPUT\"",
        "{ echo 'report<<DONE'; printf 'line 1\\nline 2\\n'; echo DONE; } >> \"$GITHUB_OUTPUT\"",
        "echo \"MODE=release\" >> \"$GITHUB_ENV\"",
        "echo \"$HOME/.local/bin\" >> \"$GITHUB_PATH\"",
        "echo '### Done' >> \"$GITHUB_STEP_SUMMARY\"");
    StepOutcome outcome = StepProcess.start(new StepCommand(script, null, dir, env, null, dir), (stderr, text) -> { })
        .outcome().get(60, TimeUnit.SECONDS);
    assertEquals(0, outcome.exitCode());
    assertEquals(Map.of("sha", "abc123", "report", "line 1\nline 2"), files.outputs());
    assertEquals(Map.of("MODE", "release"), files.envAdditions());
    assertEquals(List.of(System.getProperty("user.home") + "/.local/bin"), files.pathAdditions());
    assertEquals("### Done\n", Files.readString(files.summary()));
  }
}
