package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.ExpressionException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an expression (the text between {@code ${{} and {@code }}}) into tokens: punctuation and
 * operators, numbers (decimal, exponent, {@code 0x} hex, {@code 0o} octal, NaN, Infinity), single-
 * quoted strings with {@code ''} as the escaped quote, the keywords {@code true false null}, and
 * identifiers ({@code [A-Za-z_][A-Za-z0-9_-]*}). Positions are 1-based. Stateless.
 */
public final class ExpressionLexer {

  public enum Kind {
    LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, DOT, STAR, NOT,
    EQ, NE, LT, LE, GT, GE, AND, OR,
    LITERAL, IDENT, END
  }

  /** A token; {@code value} is the literal's value for {@link Kind#LITERAL}. */
  public record Token(Kind kind, String text, Object value, int position) {}

  private ExpressionLexer() {}

  public static List<Token> tokenize(String expr) throws ExpressionException {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      int pos = i + 1;
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      Kind single = switch (c) {
        case '(' -> Kind.LPAREN;
        case ')' -> Kind.RPAREN;
        case '[' -> Kind.LBRACKET;
        case ']' -> Kind.RBRACKET;
        case ',' -> Kind.COMMA;
        case '.' -> Kind.DOT;
        case '*' -> Kind.STAR;
        default -> null;
      };
      if (single != null) {
        tokens.add(new Token(single, String.valueOf(c), null, pos));
        i++;
        continue;
      }
      String two = i + 1 < n ? expr.substring(i, i + 2) : "";
      Kind pair = switch (two) {
        case "==" -> Kind.EQ;
        case "!=" -> Kind.NE;
        case "<=" -> Kind.LE;
        case ">=" -> Kind.GE;
        case "&&" -> Kind.AND;
        case "||" -> Kind.OR;
        default -> null;
      };
      if (pair != null) {
        tokens.add(new Token(pair, two, null, pos));
        i += 2;
        continue;
      }
      if (c == '!' || c == '<' || c == '>') {
        tokens.add(new Token(c == '!' ? Kind.NOT : c == '<' ? Kind.LT : Kind.GT, String.valueOf(c), null, pos));
        i++;
      } else if (c == '\'') {
        i = string(expr, i, tokens);
      } else if (Character.isDigit(c) || (c == '-' && i + 1 < n && (Character.isDigit(expr.charAt(i + 1))
          || expr.startsWith("Infinity", i + 1)))) {
        i = number(expr, i, tokens);
      } else if (Character.isLetter(c) || c == '_') {
        int end = i + 1;
        while (end < n && (Character.isLetterOrDigit(expr.charAt(end)) || expr.charAt(end) == '_'
            || expr.charAt(end) == '-')) {
          end++;
        }
        String word = expr.substring(i, end);
        tokens.add(keyword(word, pos));
        i = end;
      } else {
        throw new ExpressionException(expr, pos, "Unexpected symbol: '" + c + "'");
      }
    }
    tokens.add(new Token(Kind.END, "", null, n + 1));
    return tokens;
  }

  private static Token keyword(String word, int pos) {
    return switch (word) {
      case "true" -> new Token(Kind.LITERAL, word, Boolean.TRUE, pos);
      case "false" -> new Token(Kind.LITERAL, word, Boolean.FALSE, pos);
      case "null" -> new Token(Kind.LITERAL, word, null, pos);
      case "NaN" -> new Token(Kind.LITERAL, word, Double.NaN, pos);
      case "Infinity" -> new Token(Kind.LITERAL, word, Double.POSITIVE_INFINITY, pos);
      default -> new Token(Kind.IDENT, word, null, pos);
    };
  }

  private static int string(String expr, int start, List<Token> tokens) throws ExpressionException {
    StringBuilder value = new StringBuilder();
    int i = start + 1;
    while (i < expr.length()) {
      char c = expr.charAt(i);
      if (c == '\'') {
        if (i + 1 < expr.length() && expr.charAt(i + 1) == '\'') {
          value.append('\'');
          i += 2;
          continue;
        }
        tokens.add(new Token(Kind.LITERAL, expr.substring(start, i + 1), value.toString(), start + 1));
        return i + 1;
      }
      value.append(c);
      i++;
    }
    throw new ExpressionException(expr, start + 1, "Unexpected symbol: '" + expr.substring(start)
        + "' (unterminated string)");
  }

  private static int number(String expr, int start, List<Token> tokens) throws ExpressionException {
    int i = start + 1;
    boolean hex = expr.startsWith("0x", start) || expr.startsWith("-0x", start);
    while (i < expr.length()) {
      char c = expr.charAt(i);
      boolean exponentSign = (c == '+' || c == '-') && !hex && (expr.charAt(i - 1) == 'e' || expr.charAt(i - 1) == 'E');
      if (!(Character.isLetterOrDigit(c) || c == '.' || c == '_' || exponentSign)) {
        break;
      }
      i++;
    }
    String text = expr.substring(start, i);
    double value = Values.parseNumber(text);
    if (Double.isNaN(value)) {
      throw new ExpressionException(expr, start + 1, "Unexpected symbol: '" + text + "'");
    }
    tokens.add(new Token(Kind.LITERAL, text, value, start + 1));
    return i;
  }
}
