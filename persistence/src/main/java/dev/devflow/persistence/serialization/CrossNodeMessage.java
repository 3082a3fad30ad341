package dev.devflow.persistence.serialization;

/**
 * Marker for messages that may cross nodes (entity commands, replies): serialized by {@link
 * KryoSerializer}. Every implementing class must be listed, with a fixed id, under {@code
 * devflow.serialization.kryo-classes}; an unlisted class fails to serialize instead of being sent
 * with its name.
 */
public interface CrossNodeMessage {}
