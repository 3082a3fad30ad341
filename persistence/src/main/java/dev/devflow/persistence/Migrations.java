package dev.devflow.persistence;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Creates and evolves every table DevFlow uses (journal, tags, snapshots, durable state, read
 * models) from {@code db/migration}. Idempotent; safe when several nodes start at once because
 * Flyway serialises migrations on a PostgreSQL advisory lock.
 */
public final class Migrations {

  private Migrations() {}

  /** Applies pending migrations and returns how many ran. */
  public static int migrate(Database db) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(db.dataSource())
            .locations("classpath:db/migration")
            .table("devflow_schema_history")
            .baselineOnMigrate(false)
            .load();
    MigrateResult result = flyway.migrate();
    return result.migrationsExecuted;
  }
}
