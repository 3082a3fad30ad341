package dev.devflow.actors.ci.workflow.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for {@code toJSON} and {@code fromJSON}: writes pretty-printed JSON with two-space indents as
 * GitHub does, and reads JSON into {@link LinkedHashMap}, {@link ArrayList}, {@link String},
 * {@link Double}, {@link Boolean} and null. Stateless.
 */
public final class Json {

  private Json() {}

  /** Thrown by {@link #read} with the 0-based offset of the problem. */
  public static final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;
    final int offset;

    JsonException(String message, int offset) {
      super(message + " at offset " + offset);
      this.offset = offset;
    }
  }

  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out, "");
    return out.toString();
  }

  private static void write(Object v, StringBuilder out, String indent) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Boolean b) {
      out.append(b);
    } else if (v instanceof Number n) {
      out.append(Values.formatNumber(n.doubleValue()));
    } else if (v instanceof String s) {
      quote(s, out);
    } else if (v instanceof List<?> list) {
      if (list.isEmpty()) {
        out.append("[]");
        return;
      }
      out.append("[\n");
      String inner = indent + "  ";
      for (int i = 0; i < list.size(); i++) {
        out.append(inner);
        write(list.get(i), out, inner);
        out.append(i + 1 < list.size() ? ",\n" : "\n");
      }
      out.append(indent).append(']');
    } else if (v instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        out.append("{}");
        return;
      }
      out.append("{\n");
      String inner = indent + "  ";
      int i = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.append(inner);
        quote(String.valueOf(e.getKey()), out);
        out.append(": ");
        write(e.getValue(), out, inner);
        out.append(++i < map.size() ? ",\n" : "\n");
      }
      out.append(indent).append('}');
    } else {
      quote(v.toString(), out);
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  public static Object read(String text) throws JsonException {
    Reader r = new Reader(text);
    r.space();
    Object v = r.value();
    r.space();
    if (r.pos < text.length()) {
      throw new JsonException("unexpected '" + text.charAt(r.pos) + "'", r.pos);
    }
    return v;
  }

  private static final class Reader {
    private final String s;
    private int pos;

    Reader(String s) {
      this.s = s;
    }

    void space() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    Object value() throws JsonException {
      if (pos >= s.length()) {
        throw new JsonException("unexpected end", pos);
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        default:
          break;
      }
      if (s.startsWith("true", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      if (s.startsWith("null", pos)) {
        pos += 4;
        return null;
      }
      int start = pos;
      while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
        pos++;
      }
      String number = s.substring(start, pos);
      if (!number.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
        throw new JsonException("unexpected '" + (number.isEmpty() ? String.valueOf(c) : number) + "'", start);
      }
      return Double.parseDouble(number);
    }

    private Map<String, Object> object() throws JsonException {
      Map<String, Object> map = new LinkedHashMap<>();
      pos++;
      space();
      if (peek('}')) {
        return map;
      }
      do {
        space();
        if (pos >= s.length() || s.charAt(pos) != '"') {
          throw new JsonException("expected a property name", pos);
        }
        String key = string();
        space();
        expect(':');
        space();
        map.put(key, value());
        space();
      } while (peek(','));
      expect('}');
      return map;
    }

    private List<Object> array() throws JsonException {
      List<Object> list = new ArrayList<>();
      pos++;
      space();
      if (peek(']')) {
        return list;
      }
      do {
        space();
        list.add(value());
        space();
      } while (peek(','));
      expect(']');
      return list;
    }

    private String string() throws JsonException {
      StringBuilder out = new StringBuilder();
      int start = pos++;
      while (pos < s.length()) {
        char c = s.charAt(pos++);
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (pos >= s.length()) {
          break;
        }
        char e = s.charAt(pos++);
        switch (e) {
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw new JsonException("bad \\u escape", pos);
            }
            try {
              out.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw new JsonException("bad \\u escape", pos);
            }
            pos += 4;
          }
          default -> out.append(e);
        }
      }
      throw new JsonException("unterminated string", start);
    }

    private boolean peek(char c) {
      if (pos < s.length() && s.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    private void expect(char c) throws JsonException {
      if (!peek(c)) {
        throw new JsonException("expected '" + c + "'", pos);
      }
    }
  }
}
