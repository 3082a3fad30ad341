package dev.devflow.persistence.ci;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The logs of CI jobs ({@code job_log}): per job and attempt, a sequence of chunks numbered by
 * their writer from 1. A job is an opaque key such as {@code acme/web/42/build-2}.
 *
 * <p>A chunk is written once: appending a seq that exists fails (the primary key), so a writer that
 * retries after an unclear failure learns that its chunk is already there instead of doubling it.
 * Readers page with {@code afterSeq}; chunks of one attempt become visible in the order their
 * writer appended them.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class JobLogStore {

  private final DataSource ds;

  /** For modules above persistence/, which may not name JDBC types (see ArchitectureTest). */
  public JobLogStore(Database db) {
    this(db.dataSource());
  }

  public JobLogStore(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Stores one chunk as {@code seq} of the attempt.
   *
   * @param seq the chunk's number; the writer numbers chunks from 1
   * @return {@code seq}
   * @throws StoreException also when that chunk already exists
   */
  public int append(String job, int attempt, int seq, String body) {
    if (seq < 1) {
      throw new IllegalArgumentException("chunks are numbered from 1, got " + seq);
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO job_log (job, attempt, seq, body, bytes) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, job);
      ps.setInt(2, attempt);
      ps.setInt(3, seq);
      ps.setString(4, body);
      ps.setInt(5, body.getBytes(StandardCharsets.UTF_8).length);
      ps.executeUpdate();
      return seq;
    } catch (SQLException e) {
      throw new StoreException("cannot append chunk " + seq + " to the log of " + job + " attempt " + attempt, e);
    }
  }

  /** Up to {@code limit} chunks of the attempt with {@code seq > afterSeq}, ascending. */
  public List<LogChunk> read(String job, int attempt, int afterSeq, int limit) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT seq, body, at FROM job_log WHERE job = ? AND attempt = ? AND seq > ? ORDER BY seq LIMIT ?")) {
      ps.setString(1, job);
      ps.setInt(2, attempt);
      ps.setInt(3, afterSeq);
      ps.setInt(4, limit);
      List<LogChunk> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new LogChunk(rs.getInt(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the log of " + job + " attempt " + attempt, e);
    }
  }

  /** The highest attempt of the job that has a chunk, 0 when none has. */
  public int latestAttempt(String job) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(attempt), 0) FROM job_log WHERE job = ?")) {
      ps.setString(1, job);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the attempts of " + job, e);
    }
  }

  /** Deletes the log of every attempt of the job. */
  public void delete(String job) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM job_log WHERE job = ?")) {
      ps.setString(1, job);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot delete the log of " + job, e);
    }
  }
}
