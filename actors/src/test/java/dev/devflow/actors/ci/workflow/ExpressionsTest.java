package dev.devflow.actors.ci.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Operators, coercions, property access and the object filter, as GitHub's "Expressions" page documents them. */
class ExpressionsTest {

  private static final List<Object> FRUITS = List.of(
      Map.of("name", "apple", "quantity", 1.0),
      Map.of("name", "orange", "quantity", 2.0),
      Map.of("name", "pear", "quantity", 1.0));

  static ExpressionContext ctx() {
    Map<String, Object> vegetables = new LinkedHashMap<>();
    vegetables.put("scallions", Map.of("colors", List.of("green", "white", "red"),
        "ediblePortions", List.of("roots", "stalks")));
    vegetables.put("beets", Map.of("colors", List.of("purple", "red", "gold", "white", "pink"),
        "ediblePortions", List.of("roots", "stems", "leaves")));
    vegetables.put("artichokes", Map.of("colors", List.of("green", "purple", "red", "black"),
        "ediblePortions", List.of("hearts", "stems", "leaves")));
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("issue", Map.of("labels", List.of(Map.of("name", "bug"), Map.of("name", "help wanted"))));
    event.put("fruits", FRUITS);
    event.put("vegetables", vegetables);
    Map<String, Object> github = new LinkedHashMap<>();
    github.put("ref", "refs/heads/main");
    github.put("event_name", "push");
    github.put("actor", "mona");
    github.put("run_number", 42.0);
    github.put("event", event);
    Map<String, Object> contexts = new LinkedHashMap<>();
    contexts.put("github", github);
    contexts.put("env", Map.of("EMPTY", "", "ONE", "1"));
    contexts.put("matrix", Map.of("os", "ubuntu-latest", "node", 16.0));
    return ExpressionContext.of(contexts);
  }

  static Object eval(String expression) throws ExpressionException {
    return Expressions.evaluate(expression, ctx());
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource(delimiter = '|', value = {
      "'1' == 1 | true",
      "null == 0 | true",
      "'' == 0 | true",
      "'' == null | true",
      "true == 1 | true",
      "false == 0 | true",
      "'true' == true | false",
      "'abc' == 0 | false",
      "'Hello' == 'hELLo' | true",
      "'0x10' == 16 | true",
      "0x10 == 16 | true",
      "-2.99e-2 == -0.0299 | true",
      "1.0 == 1 | true",
      "NaN == NaN | false",
      "NaN != NaN | true",
      "1 != 2 | true",
      "' 2 ' == 2 | true",
      "'a' < 'B' | true",
      "'B' > 'a' | true",
      "1 < '2' | true",
      "null < 1 | true",
      "null <= null | true",
      "true > false | true",
      "'abc' < 1 | false",
      "'abc' >= 1 | false",
      "NaN < 1 | false",
      "2 >= 2 | true",
      "!0 | true",
      "!'' | true",
      "!'a' | false",
      "!null | true",
      "!!github | true",
      "github.event.fruits == github.event.fruits | true",
      "fromJSON('[1]') == fromJSON('[1]') | false",
      "fromJSON('{}') == 0 | false",
      "1 < 2 == true | true",
      "!(1 == 2) && 3 > 2 | true",
  })
  void comparisonsAndCoercions(String expression, boolean expected) throws ExpressionException {
    assertEquals(expected, eval(expression));
  }

  @Test
  void andOrReturnOperandsAndShortCircuit() throws ExpressionException {
    assertEquals("b", eval("'a' && 'b'"));
    assertEquals("", eval("'' && 'b'"));
    assertEquals("x", eval("'' || 'x'"));
    assertEquals("a", eval("'a' || 'x'"));
    assertNull(eval("null && 1"));
    assertEquals(false, eval("0 || false"));
    assertEquals(0.0, eval("0 && hashFiles('x')"), "the right side is not evaluated");
    assertEquals("ubuntu-latest", eval("matrix.os == 'windows' && 'win' || matrix.os"));
  }

  @Test
  void literals() throws ExpressionException {
    assertNull(eval("null"));
    assertEquals(711.0, eval("711"));
    assertEquals(-9.2, eval("-9.2"));
    assertEquals(255.0, eval("0xff"));
    assertEquals(-0.0299, eval("-2.99e-2"));
    assertEquals("It's open source!", eval("'It''s open source!'"));
    assertEquals(Double.POSITIVE_INFINITY, eval("Infinity"));
    assertEquals(true, eval("true"));
  }

  @Test
  void propertiesAreCaseInsensitiveAndMissingOnesAreNull() throws ExpressionException {
    assertEquals("refs/heads/main", eval("github.ref"));
    assertEquals("refs/heads/main", eval("GitHub.REF"));
    assertEquals("refs/heads/main", eval("github['ref']"));
    assertEquals("refs/heads/main", eval("github['REF']"));
    assertNull(eval("github.nope"));
    assertNull(eval("github.nope.deeper['x']"));
    assertNull(eval("secrets.TOKEN"), "a context that was not supplied is null");
    assertEquals("orange", eval("github.event.fruits[1].name"));
    assertNull(eval("github.event.fruits[7]"));
    assertNull(eval("github.event.fruits[0.5]"));
    assertEquals("orange", eval("github.event.fruits['1'].name"), "an index string is converted to a number");
    assertEquals("", eval("env.EMPTY"));
  }

  @Test
  void objectFilter() throws ExpressionException {
    assertEquals(List.of("apple", "orange", "pear"), eval("github.event.fruits.*.name"));
    assertEquals(List.of("apple", "orange", "pear"), eval("github.event.fruits[*].name"));
    assertEquals(List.of(List.of("roots", "stalks"), List.of("roots", "stems", "leaves"),
        List.of("hearts", "stems", "leaves")), eval("github.event.vegetables.*.ediblePortions"));
    assertEquals(true, eval("contains(github.event.vegetables.*.ediblePortions.*, 'hearts')"));
    assertEquals(List.of(), eval("github.event.fruits.*.colour"));
    assertNull(eval("github.ref.*"));
  }

  @Test
  void functions() throws ExpressionException {
    assertEquals(true, eval("contains('Hello world', 'llo')"));
    assertEquals(true, eval("contains('Hello world', 'LLO')"));
    assertEquals(true, eval("contains(github.event.issue.labels.*.name, 'bug')"));
    assertEquals(true, eval("contains(fromJSON('[\"push\", \"pull_request\"]'), github.event_name)"));
    assertEquals(true, eval("contains(fromJSON('[1, 2]'), '2')"), "array items compare loosely");
    assertEquals(false, eval("contains(github.event.issue.labels.*.name, 'feature')"));
    assertEquals(true, eval("startsWith('Hello world', 'he')"));
    assertEquals(true, eval("endsWith('Hello world', 'LD')"));
    assertEquals(true, eval("startsWith(github.ref, 'refs/heads/')"));
    assertEquals("Hello Mona the Octocat", eval("format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')"));
    assertEquals("{Hello Mona the Octocat!}", eval("format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')"));
    assertEquals("run 42 by mona", eval("format('run {0} by {1}', github.run_number, github.actor)"));
    assertEquals("bug, help wanted", eval("join(github.event.issue.labels.*.name, ', ')"));
    assertEquals("apple,orange,pear", eval("join(github.event.fruits.*.name)"));
    assertEquals("abc", eval("join('abc', '-')"));
    assertEquals("{\n  \"os\": \"ubuntu-latest\"\n}", eval("toJSON(fromJSON('{\"os\":\"ubuntu-latest\"}'))"));
    assertEquals("[\n  1,\n  \"a\",\n  true,\n  null,\n  {}\n]", eval("toJSON(fromJSON('[1,\"a\",true,null,{}]'))"));
    assertEquals("\"x\"", eval("tojson('x')"), "function names are case-insensitive");
    assertEquals(1.0, eval("fromJson('{\"a\": {\"b\": 1}}').a.B"));
    assertEquals(true, eval("fromJSON('true')"));
    assertEquals(2.5, eval("fromJSON(' 2.5 ')"));
  }

  @Test
  void statusFunctions() throws ExpressionException {
    ExpressionContext failed = new ExpressionContext(Map.of(), JobStatus.FAILURE);
    ExpressionContext cancelled = new ExpressionContext(Map.of(), JobStatus.CANCELLED);
    assertEquals(true, Expressions.evaluate("success()", ctx()));
    assertEquals(false, Expressions.evaluate("success()", failed));
    assertEquals(true, Expressions.evaluate("failure()", failed));
    assertEquals(true, Expressions.evaluate("cancelled()", cancelled));
    assertEquals(true, Expressions.evaluate("always()", cancelled));
  }

  @Test
  void stringForms() {
    assertEquals("", Expressions.toString(null));
    assertEquals("true", Expressions.toString(true));
    assertEquals("1", Expressions.toString(1.0));
    assertEquals("16", Expressions.toString(16));
    assertEquals("1.5", Expressions.toString(1.5));
    assertEquals("1.1", Expressions.toString(1.10));
    assertEquals("0.3", Expressions.toString(0.1 + 0.2), "15 significant digits");
    assertEquals("-0.0299", Expressions.toString(-0.0299));
    assertEquals("1E+21", Expressions.toString(1e21));
    assertEquals("123456789012345", Expressions.toString(123456789012345.0));
    assertEquals("[\n  \"a\"\n]", Expressions.toString(List.of("a")));
    assertEquals("{\n  \"k\": 2\n}", Expressions.toString(Map.of("k", 2.0)));
  }

  @Test
  void truthiness() {
    assertFalse(Expressions.truthy(null));
    assertFalse(Expressions.truthy(false));
    assertFalse(Expressions.truthy(0.0));
    assertFalse(Expressions.truthy(-0.0));
    assertFalse(Expressions.truthy(Double.NaN));
    assertFalse(Expressions.truthy(""));
    assertTrue(Expressions.truthy("false"), "a non-empty string is true");
    assertTrue(Expressions.truthy(List.of()));
    assertTrue(Expressions.truthy(Map.of()));
    assertTrue(Expressions.truthy(-1));
  }

  @Test
  void interpolate() throws ExpressionException {
    assertEquals("Hello mona!", Expressions.interpolate("Hello ${{ github.actor }}!", ctx()));
    assertEquals("ubuntu-latest/16/", Expressions.interpolate("${{matrix.os}}/${{ matrix.node }}/${{ matrix.x }}", ctx()));
    assertEquals("{0} and }}", Expressions.interpolate("${{ format('{{0}}') }} and ${{ '}}' }}", ctx()),
        "a '}}' inside a string does not close the expression");
    assertEquals("no expressions", Expressions.interpolate("no expressions", ctx()));
    assertEquals("true", Expressions.interpolate("${{ 1 == 1 }}", ctx()));
  }

  @Test
  void conditionsImplySuccess() throws ExpressionException {
    ExpressionContext ok = ctx();
    ExpressionContext failed = new ExpressionContext(ok.contexts(), JobStatus.FAILURE);
    ExpressionContext cancelled = new ExpressionContext(ok.contexts(), JobStatus.CANCELLED);
    assertTrue(Expressions.condition(null, ok));
    assertTrue(Expressions.condition("  ", ok));
    assertFalse(Expressions.condition("", failed));
    assertTrue(Expressions.condition("github.ref == 'refs/heads/main'", ok));
    assertTrue(Expressions.condition("${{ github.ref == 'refs/heads/main' }}", ok));
    assertFalse(Expressions.condition("github.ref == 'refs/heads/main'", failed), "implicit success() &&");
    assertFalse(Expressions.condition("true", cancelled));
    assertTrue(Expressions.condition("failure()", failed));
    assertTrue(Expressions.condition("${{ failure() && github.event_name == 'push' }}", failed));
    assertFalse(Expressions.condition("failure() && github.event_name == 'pull_request'", failed));
    assertTrue(Expressions.condition("always()", cancelled));
    assertTrue(Expressions.condition("cancelled() || success()", cancelled));
    assertFalse(Expressions.condition("github.nope", ok));
    assertTrue(Expressions.condition("matrix.node", ok), "any truthy value passes");
    assertFalse(Expressions.condition("${{ false }}", ok));
    assertTrue(Expressions.condition("${{ false }} && true", ok), "text around ${{ }} makes a non-empty string");
  }

  @Test
  void syntaxErrorsNameThePosition() {
    ExpressionException e = assertThrows(ExpressionException.class, () -> Expressions.check("github.ref = 'x'"));
    assertEquals(12, e.position());
    assertEquals("Unexpected symbol: '='", e.reason());
    assertEquals("Unexpected symbol: '='. Located at position 12 within expression: github.ref = 'x'",
        e.getMessage());
    assertEquals(1, assertThrows(ExpressionException.class, () -> Expressions.check("foo.bar")).position());
    assertEquals("Unrecognized named-value: 'foo'",
        assertThrows(ExpressionException.class, () -> Expressions.check("foo.bar")).reason());
    assertEquals("Unrecognized function: 'nope'",
        assertThrows(ExpressionException.class, () -> Expressions.check("nope(1)")).reason());
    assertEquals("Too few parameters supplied: 'contains'",
        assertThrows(ExpressionException.class, () -> Expressions.check("contains('a')")).reason());
    assertEquals("Too many parameters supplied: 'success'",
        assertThrows(ExpressionException.class, () -> Expressions.check("success(1)")).reason());
    assertEquals("Unexpected end of expression",
        assertThrows(ExpressionException.class, () -> Expressions.check("github.ref ==")).reason());
    assertEquals(11, assertThrows(ExpressionException.class, () -> Expressions.check("github == 'x")).position());
    assertEquals(4, assertThrows(ExpressionException.class, () -> Expressions.check("(1))")).position());
    assertEquals("An expression was expected",
        assertThrows(ExpressionException.class, () -> Expressions.check("  ")).reason());
    assertThrows(ExpressionException.class, () -> Expressions.check("github.ref && || 1"));
    assertThrows(ExpressionException.class, () -> Expressions.check("1 +"));
    assertThrows(ExpressionException.class, () -> Expressions.check("github.'ref'"));
    assertThrows(ExpressionException.class, () -> Expressions.check("(".repeat(60) + "1" + ")".repeat(60)));
  }

  @Test
  void evaluationErrors() throws ExpressionException {
    Expressions.check("hashFiles('**/package-lock.json')");
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> eval("format('{0}', hashFiles('**/package-lock.json'))"));
    assertEquals("hashFiles is not supported", e.reason());
    assertEquals(15, e.position());
    assertTrue(assertThrows(ExpressionException.class, () -> eval("format('{1}', 'a')")).reason()
        .startsWith("The following format string references more arguments than were supplied"));
    assertTrue(assertThrows(ExpressionException.class, () -> eval("format('{0', 'a')")).reason()
        .startsWith("The following format string is invalid"));
    assertTrue(assertThrows(ExpressionException.class, () -> eval("fromJSON('{nope}')")).reason()
        .startsWith("fromJSON: invalid JSON"));
  }

  @Test
  void templateErrorsPointIntoTheTemplate() {
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> Expressions.interpolate("echo ${{ github.ref = 1 }}", ctx()));
    assertEquals(21, e.position());
    assertEquals("echo ${{ github.ref = 1 }}", e.expression());
    ExpressionException open = assertThrows(ExpressionException.class, () -> Expressions.checkTemplate("a ${{ b"));
    assertEquals(3, open.position());
    ExpressionException cond = assertThrows(ExpressionException.class,
        () -> Expressions.checkCondition("${{ github.ref = 1 }}"));
    assertEquals(16, cond.position());
    assertEquals(14, assertThrows(ExpressionException.class,
        () -> Expressions.checkCondition("  github.ref = 1")).position());
  }
}
