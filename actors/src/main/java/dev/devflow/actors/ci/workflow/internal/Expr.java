package dev.devflow.actors.ci.workflow.internal;

import java.util.List;

/** A parsed expression: the syntax tree {@link ExpressionParser} builds and {@link ExpressionEvaluator} walks. */
public sealed interface Expr {

  record Literal(Object value) implements Expr {}

  /** A context name ({@code github}, {@code matrix}, …), lower-cased. */
  record Named(String name) implements Expr {}

  /** {@code target.name}. */
  record Property(Expr target, String name) implements Expr {}

  /** {@code target[index]}. */
  record Index(Expr target, Expr index) implements Expr {}

  /** {@code target.*} or {@code target[*]}: the object filter. */
  record Wildcard(Expr target) implements Expr {}

  record Not(Expr operand) implements Expr {}

  /** {@code == != < <= > >=}. */
  record Compare(ExpressionLexer.Kind op, Expr left, Expr right) implements Expr {}

  record And(Expr left, Expr right) implements Expr {}

  record Or(Expr left, Expr right) implements Expr {}

  /** A function call; {@code name} is the canonical spelling, {@code position} that of the name. */
  record Call(String name, List<Expr> args, int position) implements Expr {}

  /** Whether this tree calls one of {@code success() failure() always() cancelled()}. */
  default boolean callsStatusFunction() {
    if (this instanceof Call call) {
      return ExpressionFunctions.isStatusFunction(call.name())
          || call.args().stream().anyMatch(Expr::callsStatusFunction);
    }
    if (this instanceof Property p) {
      return p.target().callsStatusFunction();
    }
    if (this instanceof Index i) {
      return i.target().callsStatusFunction() || i.index().callsStatusFunction();
    }
    if (this instanceof Wildcard w) {
      return w.target().callsStatusFunction();
    }
    if (this instanceof Not not) {
      return not.operand().callsStatusFunction();
    }
    if (this instanceof Compare c) {
      return c.left().callsStatusFunction() || c.right().callsStatusFunction();
    }
    if (this instanceof And a) {
      return a.left().callsStatusFunction() || a.right().callsStatusFunction();
    }
    if (this instanceof Or o) {
      return o.left().callsStatusFunction() || o.right().callsStatusFunction();
    }
    return false;
  }
}
