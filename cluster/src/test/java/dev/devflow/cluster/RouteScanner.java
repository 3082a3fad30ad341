package dev.devflow.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The route table of the http module, read from its Java sources: each {@code label("<template>",
 * ...)} call and the HTTP method directives of its block. {@link RouteIsolationTest} attacks every
 * route found here.
 *
 * <p>Why sources: a route built with Pekko HTTP's Java DSL is an opaque function of the request;
 * the tree of directives behind it cannot be enumerated at run time. Every route is wrapped in
 * {@code ApiDirectives.label(template, ...)} so that the request metrics name it by its template,
 * so those labels are the route table, and a route added later is found without anyone listing it.
 *
 * <p>Rules. Comments and the insides of literals are blanked first (offsets kept; the template
 * is then read from the source as written), so nothing in a comment or a string counts. A
 * label's block is its argument list, up to the matching parenthesis. A method directive is {@code
 * get|post|put|patch|delete|head|options} called with a lambda {@code () ->} or a method reference
 * {@code this::x}, not preceded by a dot or a word character, so {@code store.get(t)}, {@code
 * Map.get("k")} and a helper such as {@code put(t, name)} are not; {@code method(HttpMethods.X,
 * ...)} counts too. Routes often delegate ({@code label(..., () -> collection(t))}), so the block
 * also takes in the bodies of the {@code Route}-returning methods of the same file that it calls,
 * transitively, unless such a method holds labels of its own (then it is another route's code).
 *
 * <p>What it cannot place is reported in {@link Scan#problems()} rather than skipped: a label
 * without a method directive, or a path variable the caller has no value for. Stateless; a
 * {@link Scan} is filled by one thread.
 */
final class RouteScanner {

  private RouteScanner() {}

  /** One discovered route: the HTTP method, the template as the label spells it, the source file. */
  record Route(String method, String template, String source) {
    String key() {
      return method + " " + template;
    }

    List<String> variables() {
      List<String> vars = new ArrayList<>();
      Matcher m = VARIABLE.matcher(template);
      while (m.find()) {
        vars.add(m.group(1));
      }
      return vars;
    }
  }

  /** The routes found (first occurrence of each key, in file order) and what could not be placed. */
  record Scan(List<Route> routes, List<String> problems) {}

  private static final Pattern LABEL = Pattern.compile("(?<![\\w.$])label\\s*\\(\\s*\"");
  private static final Pattern DIRECTIVE = Pattern.compile(
      "(?<![\\w.$])(get|post|put|patch|delete|head|options)\\s*\\(\\s*(?:\\(\\s*\\)\\s*->|(?:this|[A-Z]\\w*)\\s*::)");
  private static final Pattern METHOD_DIRECTIVE = Pattern.compile("(?<![\\w.$])method\\s*\\(\\s*HttpMethods\\.(\\w+)");
  private static final Pattern ROUTE_METHOD = Pattern.compile(
      "(?m)^[ \\t]*(?:(?:public|protected|private|static|final|synchronized)\\s+)*(?:<[^>]*>\\s*)?Route\\s+(\\w+)\\s*\\(");
  private static final Pattern CALL = Pattern.compile("(?:(?<=this\\.)|(?<![\\w.$]))(\\w+)\\s*\\(|this::(\\w+)");
  private static final Pattern VARIABLE = Pattern.compile("\\{(\\w+)\\}");

  /**
   * Scans every {@code .java} file under {@code root}, in path order. {@code knownVariables} are
   * the path variables the caller has values for; a template using any other is a problem.
   */
  static Scan scan(Path root, Set<String> knownVariables) {
    Scan scan = new Scan(new ArrayList<>(), new ArrayList<>());
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        scanSource(root.relativize(f).toString(), Files.readString(f), knownVariables, scan);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + root, e);
    }
    if (scan.routes().isEmpty()) {
      scan.problems().add("no label(\"...\") calls found under " + root + ": has the route labelling changed?");
    }
    return scan;
  }

  /** Adds the routes of one source to {@code into} (a route already there is not added twice). */
  static void scanSource(String file, String source, Set<String> knownVariables, Scan into) {
    // Patterns run on "code" (comments and the insides of literals blanked, offsets kept), so
    // that nothing in a comment or a string counts; templates are read from the source.
    String code = mask(source);
    Map<String, List<String>> routeMethods = routeMethods(code);
    Set<String> seen = new LinkedHashSet<>(into.routes().stream().map(Route::key).toList());
    Matcher label = LABEL.matcher(code);
    while (label.find()) {
      String template = source.substring(label.end(), literalEnd(source, label.end() - 1));
      int open = code.indexOf('(', label.start());
      String block = code.substring(open, closing(code, open) + 1);
      Set<String> methods = new LinkedHashSet<>();
      directives(block, methods);
      follow(block, routeMethods, new LinkedHashSet<>(), methods);
      if (methods.isEmpty()) {
        into.problems().add(file + ": label(\"" + template + "\") has no HTTP method directive (get/post/put/"
            + "patch/delete with () -> or this::) in its block or in the Route methods it calls; put the method "
            + "directive inside the label, or teach RouteScanner the new form");
        continue;
      }
      for (String method : methods) {
        Route route = new Route(method, template, file);
        for (String var : route.variables()) {
          if (!knownVariables.contains(var)) {
            into.problems().add(file + ": " + route.key() + " uses {" + var + "}: create an acme resource for it in "
                + "RouteIsolationTest.start(), put its name in FIXTURES and a name of nothing in GHOSTS");
          }
        }
        if (seen.add(route.key())) {
          into.routes().add(route);
        }
      }
    }
  }

  private static void directives(String block, Set<String> into) {
    Matcher d = DIRECTIVE.matcher(block);
    while (d.find()) {
      into.add(d.group(1).toUpperCase());
    }
    Matcher m = METHOD_DIRECTIVE.matcher(block);
    while (m.find()) {
      into.add(m.group(1).toUpperCase());
    }
  }

  private static void follow(String block, Map<String, List<String>> routeMethods, Set<String> followed,
      Set<String> methods) {
    Matcher call = CALL.matcher(block);
    while (call.find()) {
      String name = call.group(1) != null ? call.group(1) : call.group(2);
      if (routeMethods.containsKey(name) && followed.add(name)) {
        for (String body : routeMethods.get(name)) {
          if (!LABEL.matcher(body).find()) { // another route's code
            directives(body, methods);
            follow(body, routeMethods, followed, methods);
          }
        }
      }
    }
  }

  /** Name → bodies (overloads) of the methods returning Route declared in this source. */
  private static Map<String, List<String>> routeMethods(String code) {
    Map<String, List<String>> methods = new LinkedHashMap<>();
    Matcher m = ROUTE_METHOD.matcher(code);
    while (m.find()) {
      int paramsOpen = code.indexOf('(', m.start(1));
      int brace = code.indexOf('{', closing(code, paramsOpen));
      int semicolon = code.indexOf(';', closing(code, paramsOpen));
      if (brace < 0 || (semicolon >= 0 && semicolon < brace)) {
        continue; // abstract or interface method
      }
      methods.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(code.substring(brace, closingBrace(code, brace) + 1));
    }
    return methods;
  }

  private static int closing(String code, int open) {
    return matching(code, open, '(', ')');
  }

  private static int closingBrace(String code, int open) {
    return matching(code, open, '{', '}');
  }

  /** The index of the bracket closing the one at {@code open} (in masked code: no literals to mind). */
  private static int matching(String code, int open, char in, char out) {
    int depth = 0;
    for (int i = open; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c == in) {
        depth++;
      } else if (c == out && --depth == 0) {
        return i;
      }
    }
    throw new IllegalStateException("unbalanced " + in + " at offset " + open);
  }

  /** The index of the last character of the string, text block or char literal starting at i. */
  private static int literalEnd(String code, int i) {
    if (code.startsWith("\"\"\"", i)) {
      int end = code.indexOf("\"\"\"", i + 3);
      while (end > 0 && code.charAt(end - 1) == '\\') {
        end = code.indexOf("\"\"\"", end + 1);
      }
      return end + 2;
    }
    char quote = code.charAt(i);
    for (int j = i + 1; j < code.length(); j++) {
      char c = code.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == quote || c == '\n') {
        return j;
      }
    }
    return code.length() - 1;
  }

  /**
   * The source with comments and the contents of string, text block and char literals replaced
   * by spaces (newlines and quotes kept), so every offset still points at the same source text.
   */
  static String mask(String src) {
    StringBuilder out = new StringBuilder(src);
    for (int i = 0; i < src.length(); i++) {
      char c = src.charAt(i);
      if (c == '"' || c == '\'') {
        int end = literalEnd(src, i);
        int quotes = src.startsWith("\"\"\"", i) ? 3 : 1;
        blank(out, i + quotes, Math.max(i + quotes, end + 1 - quotes));
        i = end;
      } else if (src.startsWith("//", i)) {
        int end = src.indexOf('\n', i);
        end = end < 0 ? src.length() : end;
        blank(out, i, end);
        i = end;
      } else if (src.startsWith("/*", i)) {
        int end = src.indexOf("*/", i + 2);
        end = end < 0 ? src.length() : end + 2;
        blank(out, i, end);
        i = end - 1;
      }
    }
    return out.toString();
  }

  private static void blank(StringBuilder out, int from, int to) {
    for (int i = from; i < to; i++) {
      if (out.charAt(i) != '\n') {
        out.setCharAt(i, ' ');
      }
    }
  }
}
