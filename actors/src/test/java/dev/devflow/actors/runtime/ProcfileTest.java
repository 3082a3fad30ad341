package dev.devflow.actors.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcfileTest {

  @Test
  void typesInOrderWithCommentsBlankLinesAndCrlf() throws Exception {
    var types = Procfile.parse("# the app\r\nweb: python3 -m http.server $PORT\r\n\r\n  worker:python3 worker.py --queue=a:b  \n"
        + "release_phase-2 : ./migrate.sh\n");
    assertEquals(List.of("web", "worker", "release_phase-2"), List.copyOf(types.keySet()));
    assertEquals("python3 -m http.server $PORT", types.get("web"));
    assertEquals("python3 worker.py --queue=a:b", types.get("worker"));
    assertEquals("./migrate.sh", types.get("release_phase-2"));
  }

  @Test
  void badLinesNameTheLineAndTheProblem() {
    assertEquals("Procfile:2: expected 'type: command', got 'python3 app.py'",
        fail("web: a\npython3 app.py\n"));
    assertEquals("Procfile:1: process type 'web worker' may only contain letters, digits, '_' and '-'",
        fail("web worker: a"));
    assertEquals("Procfile:3: process type 'web' is declared twice (first at line 1)", fail("web: a\n\nweb: b"));
    assertEquals("Procfile:1: process type 'web' has no command", fail("web:   "));
    assertEquals("Procfile:1: a process type is missing before ':'", fail(": run"));
    assertEquals("Procfile: declares no process type (expected lines like 'web: python3 app.py')",
        fail("# nothing\n\n"));
    assertEquals("Procfile: declares no process type (expected lines like 'web: python3 app.py')", fail(null));
  }

  private static String fail(String text) {
    return assertThrows(ManifestException.class, () -> Procfile.parse(text)).getMessage();
  }
}
