package dev.devflow.actors.runtime;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Content-addressed artifacts (build outputs, app slugs) under a root directory, which in a
 * cluster is a volume every {@code runtime} node mounts: a blob's name is the hex SHA-256 of its
 * bytes, stored at {@code <root>/sha256/<first two hex digits>/<hash>}.
 *
 * <p>Writers place a file in {@link #incoming()} (same file system, so the move into place is an
 * atomic rename) and {@link #put} it; a blob therefore appears whole or not at all. Blobs are never
 * modified once stored; putting the same bytes twice is harmless.
 *
 * <p>{@link #unpack} extracts a {@code .tar.gz} with commons-compress (on the class path through the
 * embedded PostgreSQL) rather than the {@code tar} CLI, so that every entry can be checked before
 * anything is written: absolute names, {@code ..}, links pointing outside the target directory and
 * writes through a link are refused; devices and FIFOs are skipped.
 *
 * <p>Thread-safe (every operation is a file system operation that is atomic or idempotent);
 * every method blocks on disk I/O.
 */
public final class BlobStore {

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  private final Path root;

  public BlobStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * Stores the file under the SHA-256 of its bytes and returns that hash (64 lower-case hex
   * digits). The file is consumed: moved into place, or deleted when the blob already exists.
   */
  public String put(Path file) throws IOException {
    String hash = sha256(file);
    Path target = path(hash);
    if (Files.exists(target)) {
      // Stored again now: the artifact sweeper keeps blobs younger than its minimum age, and the
      // build putting these bytes has not recorded them as needed yet.
      Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.from(Instant.now()));
      Files.delete(file);
      return hash;
    }
    Files.createDirectories(target.getParent());
    try {
      // rename(2): replaces a blob a concurrent put just stored, which has the same bytes
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Path tmp = Files.createTempFile(target.getParent(), ".put-", ".tmp");
      try {
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      Files.delete(file);
    }
    return hash;
  }

  public boolean has(String hash) {
    return HASH.matcher(hash).matches() && Files.isRegularFile(path(hash));
  }

  /** Where the blob is (or would be) stored. @throws IllegalArgumentException for a malformed hash */
  public Path path(String hash) {
    if (hash == null || !HASH.matcher(hash).matches()) {
      throw new IllegalArgumentException("not a sha256 hex digest: " + hash);
    }
    return root.resolve("sha256").resolve(hash.substring(0, 2)).resolve(hash);
  }

  /** A stored blob: its hash, size in bytes, and when it was stored. */
  public record StoredBlob(String hash, long bytes, Instant stored) {}

  /** Every stored blob (a walk of the store: call it from a sweeper, not per request). */
  public List<StoredBlob> list() throws IOException {
    Path dir = root.resolve("sha256");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<StoredBlob> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir, 2)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (HASH.matcher(name).matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          try {
            out.add(new StoredBlob(name, Files.size(f), Files.getLastModifiedTime(f).toInstant()));
          } catch (NoSuchFileException gone) {
            // deleted meanwhile
          }
        }
      }
    }
    return out;
  }

  /**
   * Deletes a blob if it was stored (or stored again) before {@code before}; false when it was
   * not, or there was none.
   */
  public boolean deleteIfStoredBefore(String hash, Instant before) throws IOException {
    Path p = path(hash);
    try {
      if (!Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
        return false;
      }
    } catch (NoSuchFileException e) {
      return false;
    }
    return Files.deleteIfExists(p);
  }

  /**
   * Files left in {@link #incoming()} (a writer that died before its put) last modified before
   * {@code before}; they are deleted.
   */
  public int deleteIncomingBefore(Instant before) throws IOException {
    Path dir = root.resolve("incoming");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int deleted = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try {
          if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
              && Files.getLastModifiedTime(f).toInstant().isBefore(before) && Files.deleteIfExists(f)) {
            deleted++;
          }
        } catch (NoSuchFileException gone) {
          // its writer put or removed it meanwhile
        }
      }
    }
    return deleted;
  }

  /** A directory on the blobs' file system where writers prepare files for {@link #put}. */
  public Path incoming() {
    Path dir = root.resolve("incoming");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot create " + dir, e);
    }
    return dir;
  }

  /**
   * Extracts the blob, a gzip-compressed tar, into {@code dir} (created if missing). Regular files,
   * directories and links staying inside {@code dir} are extracted, with the owner's execute bit
   * kept; the first entry that would escape {@code dir} aborts with an IOException naming it.
   *
   * @throws NoSuchFileException when there is no such blob
   */
  public void unpack(String hash, Path dir) throws IOException {
    Path blob = path(hash);
    if (!Files.isRegularFile(blob)) {
      throw new NoSuchFileException(blob.toString(), null, "no blob " + hash);
    }
    Files.createDirectories(dir);
    Path base = dir.toRealPath();
    try (InputStream file = Files.newInputStream(blob);
        TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new BufferedInputStream(file)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        extract(tar, entry, base);
      }
    }
  }

  private static void extract(TarArchiveInputStream tar, TarArchiveEntry entry, Path base) throws IOException {
    String name = entry.getName();
    Path target = inside(base, base, name, name);
    if (target.equals(base)) {
      return; // "./"
    }
    if (entry.isDirectory()) {
      Files.createDirectories(target);
      requireInside(base, target.toRealPath(), name);
      return;
    }
    if (!entry.isFile() && !entry.isSymbolicLink() && !entry.isLink()) {
      return; // devices, FIFOs: nothing an app needs
    }
    Files.createDirectories(target.getParent());
    requireInside(base, target.getParent().toRealPath(), name); // no writing through a link
    Files.deleteIfExists(target);
    if (entry.isSymbolicLink()) {
      Path link = Path.of(entry.getLinkName());
      inside(base, target.getParent(), entry.getLinkName(), name);
      Files.createSymbolicLink(target, link);
    } else if (entry.isLink()) {
      Path existing = inside(base, base, entry.getLinkName(), name);
      requireInside(base, existing.toRealPath(), name);
      Files.createLink(target, existing);
    } else {
      try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS)) {
        tar.transferTo(out);
      }
      if ((entry.getMode() & 0100) != 0) {
        Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(target));
        perms.add(PosixFilePermission.OWNER_EXECUTE);
        if ((entry.getMode() & 0010) != 0) {
          perms.add(PosixFilePermission.GROUP_EXECUTE);
        }
        if ((entry.getMode() & 0001) != 0) {
          perms.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        Files.setPosixFilePermissions(target, perms);
      }
    }
  }

  /** {@code name} resolved against {@code from}, lexically; refused unless it stays in base. */
  private static Path inside(Path base, Path from, String name, String entry) throws IOException {
    if (name.startsWith("/") || name.contains("\0")) {
      throw new IOException("refusing tar entry '" + entry + "': absolute path " + name);
    }
    Path resolved = from.resolve(name).normalize();
    requireInside(base, resolved, entry);
    return resolved;
  }

  private static void requireInside(Path base, Path path, String entry) throws IOException {
    if (!path.startsWith(base)) {
      throw new IOException("refusing tar entry '" + entry + "': it points outside the directory it is unpacked into");
    }
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
