package dev.devflow.http;

/**
 * Thrown (or returned in a failed future) by route code to answer with a problem document. The
 * exception handler in {@link Problems} turns it into the response.
 */
public final class ProblemException extends RuntimeException {

  private final int status;
  private final String slug;
  private final String title;
  private final String field;

  public ProblemException(int status, String slug, String title, String detail, String field) {
    super(detail, null, false, false);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.field = field;
  }

  public static ProblemException invalid(String field, String detail) {
    return new ProblemException(400, "invalid-request", "Invalid request", detail, field);
  }

  public static ProblemException notFound(String detail) {
    return new ProblemException(404, "not-found", "Not found", detail, null);
  }

  public static ProblemException forbidden(String detail) {
    return new ProblemException(403, "forbidden", "Forbidden", detail, null);
  }

  public static ProblemException conflict(String detail) {
    return new ProblemException(409, "conflict", "Conflict", detail, null);
  }

  public Problem problem() {
    return new Problem(Problem.TYPE_BASE + slug, title, status, getMessage(), field);
  }
}
