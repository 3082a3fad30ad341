package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.internal.ExpressionLexer.Kind;
import dev.devflow.actors.ci.workflow.internal.ExpressionLexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses an expression into an {@link Expr} with GitHub's precedence, tightest first: grouping,
 * index and property ({@code [] .}), {@code !}, {@code < <= > >=}, {@code == !=}, {@code &&},
 * {@code ||}. Rejects at parse time what GitHub rejects before running: unknown named values,
 * unknown functions, wrong argument counts, nesting deeper than 50. Not thread-safe per instance;
 * use {@link #parse}.
 */
public final class ExpressionParser {

  /** The named values (contexts) an expression may start from. */
  public static final Set<String> CONTEXTS = Set.of("github", "env", "vars", "job", "jobs", "steps", "runner",
      "secrets", "strategy", "matrix", "needs", "inputs");

  private static final int MAX_DEPTH = 50;
  private static final Set<Kind> RELATIONAL = Set.of(Kind.LT, Kind.LE, Kind.GT, Kind.GE);

  private final String expr;
  private final List<Token> tokens;
  private int next;
  private int depth;

  private ExpressionParser(String expr, List<Token> tokens) {
    this.expr = expr;
    this.tokens = tokens;
  }

  public static Expr parse(String expr) throws ExpressionException {
    ExpressionParser p = new ExpressionParser(expr, ExpressionLexer.tokenize(expr));
    if (p.peek().kind() == Kind.END) {
      throw new ExpressionException(expr, 0, "An expression was expected");
    }
    Expr result = p.or();
    if (p.peek().kind() != Kind.END) {
      throw p.unexpected(p.peek());
    }
    return result;
  }

  private Expr or() throws ExpressionException {
    Expr left = and();
    while (accept(Kind.OR)) {
      left = new Expr.Or(left, and());
    }
    return left;
  }

  private Expr and() throws ExpressionException {
    Expr left = equality();
    while (accept(Kind.AND)) {
      left = new Expr.And(left, equality());
    }
    return left;
  }

  private Expr equality() throws ExpressionException {
    Expr left = relational();
    while (peek().kind() == Kind.EQ || peek().kind() == Kind.NE) {
      Kind op = tokens.get(next++).kind();
      left = new Expr.Compare(op, left, relational());
    }
    return left;
  }

  private Expr relational() throws ExpressionException {
    Expr left = unary();
    while (RELATIONAL.contains(peek().kind())) {
      Kind op = tokens.get(next++).kind();
      left = new Expr.Compare(op, left, unary());
    }
    return left;
  }

  private Expr unary() throws ExpressionException {
    if (peek().kind() == Kind.NOT) {
      Token not = tokens.get(next++);
      enter(not);
      Expr operand = unary();
      depth--;
      return new Expr.Not(operand);
    }
    return postfix(primary());
  }

  private Expr postfix(Expr target) throws ExpressionException {
    while (true) {
      if (accept(Kind.DOT)) {
        Token t = tokens.get(next++);
        if (t.kind() == Kind.STAR) {
          target = new Expr.Wildcard(target);
        } else if (t.kind() == Kind.IDENT || (t.kind() == Kind.LITERAL && Character.isLetter(t.text().charAt(0)))) {
          target = new Expr.Property(target, t.text());
        } else {
          throw unexpected(t);
        }
      } else if (peek().kind() == Kind.LBRACKET) {
        Token open = tokens.get(next++);
        enter(open);
        if (accept(Kind.STAR)) {
          target = new Expr.Wildcard(target);
        } else {
          target = new Expr.Index(target, or());
        }
        expect(Kind.RBRACKET);
        depth--;
      } else {
        return target;
      }
    }
  }

  private Expr primary() throws ExpressionException {
    Token t = tokens.get(next++);
    switch (t.kind()) {
      case LITERAL:
        return new Expr.Literal(t.value());
      case LPAREN: {
        enter(t);
        Expr inner = or();
        expect(Kind.RPAREN);
        depth--;
        return inner;
      }
      case IDENT:
        if (peek().kind() == Kind.LPAREN) {
          return call(t);
        }
        String name = t.text().toLowerCase(Locale.ROOT);
        if (!CONTEXTS.contains(name)) {
          throw new ExpressionException(expr, t.position(), "Unrecognized named-value: '" + t.text() + "'");
        }
        return new Expr.Named(name);
      default:
        throw unexpected(t);
    }
  }

  private Expr call(Token nameToken) throws ExpressionException {
    String name = ExpressionFunctions.canonicalName(nameToken.text());
    if (name == null) {
      throw new ExpressionException(expr, nameToken.position(), "Unrecognized function: '" + nameToken.text() + "'");
    }
    Token open = tokens.get(next++);
    enter(open);
    List<Expr> args = new ArrayList<>();
    if (!accept(Kind.RPAREN)) {
      do {
        args.add(or());
      } while (accept(Kind.COMMA));
      expect(Kind.RPAREN);
    }
    depth--;
    int[] arity = ExpressionFunctions.arity(name);
    if (args.size() < arity[0]) {
      throw new ExpressionException(expr, nameToken.position(), "Too few parameters supplied: '" + nameToken.text() + "'");
    }
    if (args.size() > arity[1]) {
      throw new ExpressionException(expr, nameToken.position(), "Too many parameters supplied: '" + nameToken.text() + "'");
    }
    return new Expr.Call(name, List.copyOf(args), nameToken.position());
  }

  private void enter(Token t) throws ExpressionException {
    if (++depth > MAX_DEPTH) {
      throw new ExpressionException(expr, t.position(), "Exceeded max expression depth " + MAX_DEPTH);
    }
  }

  private Token peek() {
    return tokens.get(next);
  }

  private boolean accept(Kind kind) {
    if (peek().kind() == kind) {
      next++;
      return true;
    }
    return false;
  }

  private void expect(Kind kind) throws ExpressionException {
    if (!accept(kind)) {
      throw unexpected(peek());
    }
  }

  private ExpressionException unexpected(Token t) {
    if (t.kind() == Kind.END) {
      return new ExpressionException(expr, t.position(), "Unexpected end of expression");
    }
    return new ExpressionException(expr, t.position(), "Unexpected symbol: '" + t.text() + "'");
  }
}
