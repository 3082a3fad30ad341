package dev.devflow.http;

import dev.devflow.actors.Rejection;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure answers with {@code application/problem+json}, never a stack trace: route
 * rejections (unknown path, wrong method), {@link ProblemException}s, entity rejections, ask
 * timeouts and anything unexpected (logged, answered as a 500 without details).
 */
public final class Problems {

  private static final Logger log = LoggerFactory.getLogger(Problems.class);

  public static final ContentType.WithFixedCharset PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8).toContentType();

  private static final AllDirectives DIRECTIVES = new AllDirectives() {};

  private Problems() {}

  public static HttpResponse response(Problem p) {
    return HttpResponse.create()
        .withStatus(p.status())
        .withEntity(HttpEntities.create(PROBLEM_JSON, Json.write(p)));
  }

  public static HttpResponse response(int status, String slug, String title, String detail) {
    return response(new Problem(Problem.TYPE_BASE + slug, title, status, detail, null));
  }

  /** The problem for a failure from an entity ask, a route, or the platform. */
  public static Problem of(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof ProblemException pe) {
      return pe.problem();
    }
    if (e instanceof StatusReply.ErrorMessage) {
      Rejection r = Rejection.of(e);
      String detail = Rejection.detail(e);
      if (r == Rejection.NOT_FOUND) {
        return ProblemException.notFound(detail).problem();
      }
      if (r == Rejection.CONFLICT) {
        return ProblemException.conflict(detail).problem();
      }
      if (r == Rejection.INVALID) {
        return ProblemException.invalid(null, detail).problem();
      }
    }
    if (e instanceof EntityStreamSizeException size) {
      return tooLarge("request body is larger than " + size.limit() + " bytes");
    }
    if (e instanceof EntityStreamException ese && ese.info().summary().startsWith("Request too large")) {
      // toStrict refuses a declared Content-Length above the limit before reading any of it.
      return tooLarge(ese.info().detail());
    }
    if (e instanceof TimeoutException) {
      return new Problem(
          Problem.TYPE_BASE + "unavailable",
          "Service unavailable",
          503,
          "the cluster did not answer in time; retry",
          null);
    }
    log.error("unexpected failure answering a request", e);
    return new Problem(
        Problem.TYPE_BASE + "internal", "Internal error", 500, "unexpected error; see the node log", null);
  }

  private static Problem tooLarge(String detail) {
    return new Problem(Problem.TYPE_BASE + "payload-too-large", "Payload too large", 413, detail, null);
  }

  public static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(t -> complete(of(t))).build();
  }

  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(
            MethodRejection.class,
            rejections -> {
              List<HttpMethod> allowed = rejections.stream().map(MethodRejection::supported).toList();
              String names = allowed.stream().map(HttpMethod::name).collect(Collectors.joining(", "));
              return completeWith(
                  response(405, "method-not-allowed", "Method not allowed", "allowed: " + names)
                      .addHeader(Allow.create(allowed.toArray(new HttpMethod[0]))));
            })
        .handleNotFound(
            completeWith(
                response(404, "not-found", "Not found", "no such resource")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(
            r -> {
              // Pekko's own rejections (bad query parameter, unsupported media type, ...) answer in
              // text/plain; rewrite them as problems with the same status and message.
              if (r.entity().getContentType().equals(ContentTypes.TEXT_PLAIN_UTF8)) {
                String text = r.entity() instanceof HttpEntity.Strict s ? s.getData().utf8String() : r.status().reason();
                return response(r.status().intValue(), "invalid-request", r.status().reason(), text)
                    .withHeaders(r.getHeaders());
              }
              return r;
            });
  }

  private static Route complete(Problem p) {
    return completeWith(response(p));
  }

  private static Route completeWith(HttpResponse response) {
    return DIRECTIVES.complete(response);
  }
}
