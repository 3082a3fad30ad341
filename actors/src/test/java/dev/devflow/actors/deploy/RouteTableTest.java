package dev.devflow.actors.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  final RouteTable table = new RouteTable();
  final Endpoint a = new Endpoint("10.0.0.1", 8001);
  final Endpoint b = new Endpoint("10.0.0.2", 8002);

  @Test
  void roundRobinOverTheHealthyEndpoints() {
    table.update("acme", "web", new AppEndpoints(List.of(a, b), false, 1));
    assertEquals(List.of(a, b, a, b),
        List.of(next("acme", "web"), next("acme", "web"), next("acme", "web"), next("acme", "web")));
    assertEquals(Optional.empty(), table.next("acme", "api"), "unknown app");
    table.update("acme", "web", new AppEndpoints(List.of(), false, 2));
    assertEquals(Optional.empty(), table.next("acme", "web"), "no healthy instance");
    assertTrue(table.get("acme", "web").isPresent(), "but the app is known");
  }

  @Test
  void olderVersionsAreIgnored() {
    table.update("acme", "web", new AppEndpoints(List.of(a), false, 5));
    table.update("acme", "web", new AppEndpoints(List.of(b), true, 4));
    assertEquals(new AppEndpoints(List.of(a), false, 5), table.get("acme", "web").orElseThrow());
    table.update("acme", "web", new AppEndpoints(List.of(b), true, 6));
    assertEquals(new AppEndpoints(List.of(b), true, 6), table.get("acme", "web").orElseThrow());
    table.remove("acme", "web");
    assertEquals(Optional.empty(), table.get("acme", "web"));
    table.update("acme", "web", new AppEndpoints(List.of(a), false, 1));
    assertEquals(Optional.of(a), table.next("acme", "web"), "a removed app starts again from any version");
  }

  @Test
  void tenantsAndAppsDoNotCollide() {
    table.update("acme", "web", new AppEndpoints(List.of(a), false, 1));
    assertEquals(Optional.empty(), table.get("acme-web", ""));
    assertEquals(Optional.empty(), table.get("other", "web"));
  }

  @Test
  void loadAsksTheLoaderOnceOnAMissAndStoresTheAnswer() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<Optional<AppEndpoints>> answer = new CompletableFuture<>();
    table.setLoader((t, app) -> {
      calls.incrementAndGet();
      return app.equals("web") ? answer : CompletableFuture.completedFuture(Optional.empty());
    });
    CompletionStage<Optional<AppEndpoints>> first = table.load("acme", "web");
    CompletionStage<Optional<AppEndpoints>> second = table.load("acme", "web");
    assertEquals(1, calls.get(), "concurrent loads share one call");
    AppEndpoints loaded = new AppEndpoints(List.of(a), true, 3);
    answer.complete(Optional.of(loaded));
    assertEquals(Optional.of(loaded), first.toCompletableFuture().get());
    assertEquals(Optional.of(loaded), second.toCompletableFuture().get());
    assertEquals(Optional.of(loaded), table.get("acme", "web"), "stored");
    assertEquals(Optional.of(loaded), table.load("acme", "web").toCompletableFuture().get());
    assertEquals(1, calls.get(), "a hit does not ask");
    assertEquals(Optional.empty(), table.load("acme", "nope").toCompletableFuture().get());
    assertEquals(Optional.empty(), table.load("acme", "nope").toCompletableFuture().get());
    assertEquals(3, calls.get(), "a miss is not remembered");
  }

  @Test
  void withoutALoaderAMissIsEmpty() throws Exception {
    assertEquals(Optional.empty(), table.load("acme", "web").toCompletableFuture().get());
  }

  @Test
  void aNewerUpdateDuringALoadWins() throws Exception {
    CompletableFuture<Optional<AppEndpoints>> answer = new CompletableFuture<>();
    table.setLoader((t, app) -> answer);
    CompletionStage<Optional<AppEndpoints>> load = table.load("acme", "web");
    AppEndpoints newer = new AppEndpoints(List.of(b), false, 9);
    table.update("acme", "web", newer);
    answer.complete(Optional.of(new AppEndpoints(List.of(a), false, 8)));
    assertEquals(Optional.of(newer), load.toCompletableFuture().get());
    assertEquals(Optional.of(newer), table.get("acme", "web"));
  }

  private Endpoint next(String t, String app) {
    return table.next(t, app).orElseThrow();
  }
}
