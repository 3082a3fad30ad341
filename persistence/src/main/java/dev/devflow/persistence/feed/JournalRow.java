package dev.devflow.persistence.feed;

/**
 * One row of the event journal as the feed projection reads it. {@code payload} is null for rows
 * the reader was told to skip (another entity type), so those cost no bytes on the wire.
 */
public record JournalRow(
    long ordering, String persistenceId, long sequenceNr, boolean deleted,
    int serializerId, String manifest, byte[] payload, long writeTimestamp) {}
