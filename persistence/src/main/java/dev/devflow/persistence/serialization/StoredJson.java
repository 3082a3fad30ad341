package dev.devflow.persistence.serialization;

/**
 * Marker for persisted events and snapshots: serialized as JSON by Pekko's Jackson serializer, so
 * an event written today still reads after a field is added (missing fields arrive as null and the
 * record's constructor supplies the default) or renamed (a {@code JacksonMigration}). Old events
 * are kept as golden fixtures in the tests of the module that owns them.
 */
public interface StoredJson {}
