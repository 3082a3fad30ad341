package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering of CONVENTIONS.md, checked on the compiled classes of every module: dependencies
 * point one way (cluster → http → agents → actors → persistence), only persistence/ talks JDBC,
 * and actors/ never touches Pekko HTTP. A class "uses" a type when its constant pool names it.
 */
class ArchitectureTest {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  /** Module → packages it must never reference. */
  private static final Map<String, List<String>> FORBIDDEN =
      Map.of(
          "persistence", List.of("dev/devflow/actors/", "dev/devflow/agents/", "dev/devflow/http/", "dev/devflow/cluster/"),
          "actors", List.of("dev/devflow/agents/", "dev/devflow/http/", "dev/devflow/cluster/", "org/apache/pekko/http/"),
          "agents", List.of("dev/devflow/http/", "dev/devflow/cluster/"),
          "http", List.of("dev/devflow/cluster/"));

  private static final List<String> JDBC =
      List.of("java/sql/", "javax/sql/", "org/postgresql/", "com/zaxxer/hikari/", "org/flywaydb/", "slick/jdbc/");

  @Test
  void dependenciesPointOneWay() throws IOException {
    List<String> violations = new ArrayList<>();
    for (var rule : FORBIDDEN.entrySet()) {
      for (Path cls : classes(rule.getKey())) {
        String pool = constantPool(cls);
        for (String forbidden : rule.getValue()) {
          if (pool.contains(forbidden)) {
            violations.add(rule.getKey() + ": " + ROOT.relativize(cls) + " uses " + forbidden);
          }
        }
      }
    }
    assertEquals(List.of(), violations);
  }

  @Test
  void onlyPersistenceTalksJdbc() throws IOException {
    List<String> violations = new ArrayList<>();
    for (String module : List.of("actors", "agents", "http", "cluster")) {
      for (Path cls : classes(module)) {
        String pool = constantPool(cls);
        for (String jdbc : JDBC) {
          if (pool.contains(jdbc)) {
            violations.add(ROOT.relativize(cls) + " uses " + jdbc);
          }
        }
      }
    }
    assertEquals(List.of(), violations);
  }

  @Test
  void theCheckSeesJdbcWhereItIs() throws IOException {
    // Guards the test itself: if class files were not found or not read, the rules above would
    // pass vacuously.
    boolean found = false;
    for (Path cls : classes("persistence")) {
      found |= constantPool(cls).contains("java/sql/");
    }
    assertTrue(found, "persistence/ classes reference java.sql");
    assertTrue(classes("http").size() > 5);
  }

  private static List<Path> classes(String module) throws IOException {
    Path dir = ROOT.resolve(module).resolve("target/classes");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".class")).toList();
    }
  }

  private static String constantPool(Path cls) throws IOException {
    return new String(Files.readAllBytes(cls), StandardCharsets.ISO_8859_1);
  }
}
