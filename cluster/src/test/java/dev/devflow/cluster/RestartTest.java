package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node stopped and started again on the same home keeps its tenants, tokens and admin token. */
class RestartTest {

  @TempDir Path home;

  @Test
  void tenantsAndTokensSurviveARestart() throws Exception {
    String admin;
    String token;
    try (RunningNode first = TestNodes.start(TestNodes.options(home))) {
      admin = first.createdAdminToken().orElseThrow();
      Api api = new Api(first.baseUrl());
      token = api.tenantWithToken(admin, "acme", "write");
      assertEquals(200, api.get("/api/v1/tenants/acme", token).status());
    }
    try (RunningNode second = TestNodes.start(TestNodes.options(home))) {
      assertTrue(second.createdAdminToken().isEmpty(), "the admin token is created only once");
      Api api = new Api(second.baseUrl());
      Api.Response tenant = api.get("/api/v1/tenants/acme", token);
      assertEquals(200, tenant.status(), tenant.body());
      assertEquals("acme", tenant.json().get("name").asText());
      assertEquals(200, api.get("/api/v1/tenants/acme/tokens", admin).status());
      assertEquals(409, api.post("/api/v1/tenants", admin, "{\"name\":\"acme\"}").status());
    }
  }
}
