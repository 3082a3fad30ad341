package dev.devflow.actors.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FeedTypesTest {

  @Test
  void noFilterAcceptsEverything() {
    assertTrue(FeedTypes.parse(null).accepts().test("repo.pushed"));
    assertTrue(FeedTypes.parse(" ").accepts().test("flag.changed"));
  }

  @Test
  void exactTypesAndPrefixes() {
    FeedTypes.Filter f = FeedTypes.parse("repo.pushed, pipeline.*");
    assertEquals(Optional.empty(), f.unknown());
    assertTrue(f.accepts().test("repo.pushed"));
    assertTrue(f.accepts().test("pipeline.finished"));
    assertFalse(f.accepts().test("repo.created"));
    assertFalse(f.accepts().test("job.started"));
    assertTrue(f.accepts().test(FeedTypes.RESYNC), "resync always reaches the client");
  }

  @Test
  void appOutputOnlyWhenNamed() {
    assertFalse(FeedTypes.parse(null).accepts().test(FeedTypes.OUTPUT));
    assertFalse(FeedTypes.parse("*").accepts().test(FeedTypes.OUTPUT));
    assertFalse(FeedTypes.parse("instance.*").accepts().test(FeedTypes.OUTPUT));
    assertTrue(FeedTypes.parse("instance.*").accepts().test("instance.failed"));
    assertTrue(FeedTypes.parse("release.live,instance.output").accepts().test(FeedTypes.OUTPUT));
  }

  @Test
  void unknownTypesAreNamed() {
    assertEquals(Optional.of("repo.pulled"), FeedTypes.parse("repo.pushed,repo.pulled").unknown());
    assertEquals(Optional.of("nothing.*"), FeedTypes.parse("nothing.*").unknown());
    assertEquals(Optional.empty(), FeedTypes.parse("*").unknown());
  }
}
