package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem document. {@code field} (an extension member) names the request field that
 * is wrong, when there is one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String field) {

  public static final String TYPE_BASE = "https://devflow.dev/problems/";
}
