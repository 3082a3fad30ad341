package dev.devflow.actors.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppManifestTest {

  @Test
  void absentOrEmptyIsTheDefault() throws Exception {
    assertSame(AppManifest.DEFAULT, AppManifest.parse(null));
    assertSame(AppManifest.DEFAULT, AppManifest.parse("  \n"));
    assertSame(AppManifest.DEFAULT, AppManifest.parse("# only a comment\n"));
    assertEquals(new AppManifest(List.of(), "/", 30, Map.of()), AppManifest.DEFAULT);
  }

  @Test
  void everyKey() throws Exception {
    AppManifest m = AppManifest.parse("""
        build:
          - pip install -r requirements.txt
          - python3 manage.py collectstatic
        health:
          path: /healthz?full=1
          timeoutSeconds: 90
        env:
          LOG_LEVEL: debug
          WORKERS: 4
          DEBUG: false
        """);
    assertEquals(List.of("pip install -r requirements.txt", "python3 manage.py collectstatic"), m.build());
    assertEquals("/healthz?full=1", m.healthPath());
    assertEquals(90, m.healthTimeoutSeconds());
    assertEquals(Map.of("LOG_LEVEL", "debug", "WORKERS", "4", "DEBUG", "false"), m.env());
  }

  @Test
  void buildMayBeOneStringAndOmittedKeysKeepDefaults() throws Exception {
    AppManifest m = AppManifest.parse("build: make all\nhealth:\n  timeoutSeconds: 5\n");
    assertEquals(List.of("make all"), m.build());
    assertEquals("/", m.healthPath());
    assertEquals(5, m.healthTimeoutSeconds());
    assertEquals(Map.of(), m.env());
  }

  @Test
  void badInputNamesTheLineAndWhatIsWrong() {
    assertEquals("devflow.yml:2: unknown key 'helth' (known: build, health, env)", fail("build: make\nhelth: {}\n"));
    assertEquals("devflow.yml:2: unknown key 'health.port' (known: path, timeoutSeconds)",
        fail("health:\n  port: 80\n"));
    assertEquals("devflow.yml:2: health.timeoutSeconds must be a whole number of seconds from 1 to 3600, not 'soon'",
        fail("health:\n  timeoutSeconds: soon\n"));
    assertEquals("devflow.yml:1: health.timeoutSeconds must be a whole number of seconds from 1 to 3600, not '0'",
        fail("health: {timeoutSeconds: 0}"));
    assertEquals("devflow.yml:1: health.path must start with '/' and contain no blanks, not 'healthz'",
        fail("health: {path: healthz}"));
    assertEquals("devflow.yml:3: each item of build must be a command (a string), not a mapping",
        fail("build:\n  - make\n  - run: x\n"));
    assertEquals("devflow.yml:1: build must be a list of commands or one command, not a mapping", fail("build: {a: b}"));
    assertEquals("devflow.yml:2: env may not set PORT: the runtime sets it to the port the app must listen on",
        fail("env:\n  PORT: 80\n"));
    assertEquals("devflow.yml:2: env name 'MY-VAR' must match [A-Za-z_][A-Za-z0-9_]*", fail("env:\n  MY-VAR: 1\n"));
    assertEquals("devflow.yml:2: env.A must be a single value, not a list", fail("env:\n  A: [1, 2]\n"));
    assertEquals("devflow.yml:2: duplicate key 'build' in the file", fail("build: a\nbuild: b\n"));
    assertEquals("devflow.yml:1: the file must be a mapping, not a list", fail("- build\n"));
    String yaml = fail("build: [make\nenv: {}\n");
    assertEquals(true, yaml.startsWith("devflow.yml:") && yaml.contains("invalid YAML"), yaml);
  }

  private static String fail(String text) {
    return assertThrows(ManifestException.class, () -> AppManifest.parse(text)).getMessage();
  }
}
