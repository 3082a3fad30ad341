package dev.devflow.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the API, as a script would use it. */
final class Api {

  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  Api(String base) {
    this.base = base;
  }

  record Response(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String contentType() {
      return raw.headers().firstValue("content-type").orElse("");
    }
  }

  Response call(String method, String path, String token, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body(), r);
  }

  Response get(String path, String token) throws IOException, InterruptedException {
    return call("GET", path, token, null);
  }

  Response post(String path, String token, String body) throws IOException, InterruptedException {
    return call("POST", path, token, body);
  }

  /** Creates a tenant with the admin token and returns a new token of the given role in it. */
  String tenantWithToken(String admin, String tenant, String role) throws IOException, InterruptedException {
    Response created = post("/api/v1/tenants", admin, "{\"name\":\"" + tenant + "\"}");
    if (created.status() != 201 && created.status() != 409) {
      throw new AssertionError("create tenant: " + created.status() + " " + created.body());
    }
    return token(admin, tenant, role);
  }

  String token(String admin, String tenant, String role) throws IOException, InterruptedException {
    Response token = post("/api/v1/tenants/" + tenant + "/tokens", admin, "{\"name\":\"t\",\"role\":\"" + role + "\"}");
    if (token.status() != 201) {
      throw new AssertionError("create token: " + token.status() + " " + token.body());
    }
    return token.json().get("token").asText();
  }
}
