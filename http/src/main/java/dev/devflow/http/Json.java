package dev.devflow.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.RequestEntity;

/**
 * The one JSON mapper of the HTTP API: camelCase, RFC 3339 times, unknown request fields refused
 * (a misspelt field is a 400 naming it, not a silently ignored setting).
 */
public final class Json {

  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  static {
    // {"name": 5} is a wrong type, not the name "5".
    for (CoercionInputShape shape :
        new CoercionInputShape[] {CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean}) {
      MAPPER.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
    }
  }

  private Json() {}

  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Jackson.marshaller(MAPPER);
  }

  /**
   * Parses a request body into {@code type}.
   *
   * @throws ProblemException 400 naming the position (malformed JSON) or the field (wrong type,
   *     unknown field)
   */
  public static <T> T parse(String body, Class<T> type) {
    if (body == null || body.isBlank()) {
      throw new ProblemException(400, "invalid-json", "Invalid JSON", "request body is empty", null);
    }
    try {
      T value = MAPPER.readValue(body, type);
      if (value == null) {
        throw new ProblemException(400, "invalid-json", "Invalid JSON", "body is null", null);
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw ProblemException.invalid(e.getPropertyName(), "unknown field '" + e.getPropertyName() + "'");
    } catch (JsonMappingException e) {
      String field = path(e);
      if (field.isEmpty()) {
        throw new ProblemException(
            400, "invalid-json", "Invalid JSON", "expected a JSON object" + at(e.getLocation()), null);
      }
      throw ProblemException.invalid(field, "field '" + field + "' has the wrong type" + at(e.getLocation()));
    } catch (JsonProcessingException e) {
      throw new ProblemException(
          400, "invalid-json", "Invalid JSON", e.getOriginalMessage() + at(e.getLocation()), null);
    } catch (IOException e) {
      throw new ProblemException(400, "invalid-json", "Invalid JSON", e.getMessage(), null);
    }
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass(), e);
    }
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  private static String at(JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 0) {
      return "";
    }
    return " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }
}
