package dev.devflow.actors.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.actors.runtime.BlobStore;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.apps.AppStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which artifacts an app keeps, and the sweep that deletes the others: a real PostgreSQL for the
 * needed sets, a real blob store on disk whose files are aged by setting their times.
 */
class ArtifactSweeperTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static AppStore store;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home.resolve("pg"));
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    store = new AppStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  static Release release(long n, String artifact, String status) {
    return new Release(n, "c" + n, status, null, null, artifact, Map.of(), null, 0, Map.of(), Map.of(), 0,
        Instant.EPOCH, null);
  }

  @Test
  void anAppKeepsItsNewestDistinctBuildsAndWhatIsLiveOrDeploying() {
    List<Release> releases = List.of(
        release(1, "a1", Release.SUPERSEDED),
        release(2, "a2", Release.LIVE),        // rolled back to later: live stays kept however old
        release(3, "a3", Release.SUPERSEDED),
        release(4, "a3", Release.SUPERSEDED),  // a config change: the same build again
        release(5, "a4", Release.FAILED),
        release(6, null, Release.FAILED),      // never built
        release(7, "a5", Release.DEPLOYING));
    assertEquals(Set.of("a5", "a4", "a2"), AppArtifacts.needed(releases, 2, 7, 2));
    assertEquals(Set.of("a5", "a4", "a3", "a2"), AppArtifacts.needed(releases, 2, 7, 3));
    assertEquals(Set.of("a5", "a4", "a3", "a2", "a1"), AppArtifacts.needed(releases, 2, 0, 10));
    assertEquals(Set.of("a5"), AppArtifacts.needed(releases, 0, 0, 1));
  }

  @Test
  void theSweepDeletesOldArtifactsNoAppNeedsAndAbandonedUploads() throws Exception {
    BlobStore blobs = new BlobStore(home.resolve("blobs"));
    String needed = put(blobs, "needed by site");
    String old = put(blobs, "dropped long ago");
    String fresh = put(blobs, "built a moment ago, not recorded yet");
    String storedAgain = put(blobs, "dropped, then built again");
    Instant now = Instant.now();
    age(blobs.path(needed), now.minus(Duration.ofDays(30)));
    age(blobs.path(old), now.minus(Duration.ofDays(2)));
    age(blobs.path(storedAgain), now.minus(Duration.ofDays(2)));
    Path abandoned = Files.writeString(blobs.incoming().resolve("upload-1"), "half an upload");
    age(abandoned, now.minus(Duration.ofDays(2)));
    Path uploading = Files.writeString(blobs.incoming().resolve("upload-2"), "an upload under way");
    store.keepArtifacts("acme", "site", Set.of(needed));
    // The same bytes built again: put refreshes the blob's time, so the sweep leaves it.
    assertEquals(storedAgain, put(blobs, "dropped, then built again"));

    ArtifactSweeper.Sweep sweep = ArtifactSweeper.sweep(store, blobs, Duration.ofDays(1), now.plusSeconds(1));

    assertEquals(1, sweep.deleted(), sweep.toString());
    assertEquals("dropped long ago".length(), sweep.bytes());
    assertEquals(3, sweep.kept());
    assertEquals(1, sweep.incoming());
    assertFalse(blobs.has(old));
    assertTrue(blobs.has(needed));
    assertTrue(blobs.has(fresh));
    assertTrue(blobs.has(storedAgain));
    assertFalse(Files.exists(abandoned));
    assertTrue(Files.exists(uploading));
  }

  static String put(BlobStore blobs, String content) throws Exception {
    return blobs.put(Files.writeString(Files.createTempFile(blobs.incoming(), "put-", ".tmp"), content));
  }

  static void age(Path file, Instant to) throws Exception {
    Files.setLastModifiedTime(file, FileTime.from(to));
  }
}
