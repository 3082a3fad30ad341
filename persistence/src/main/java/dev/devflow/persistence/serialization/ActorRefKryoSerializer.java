package dev.devflow.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Writes a typed {@link ActorRef} as its path with address, resolved again on the reading node. */
final class ActorRefKryoSerializer extends Serializer<ActorRef<?>> {

  private final Supplier<ActorRefResolver> resolver;

  ActorRefKryoSerializer(Supplier<ActorRefResolver> resolver) {
    this.resolver = resolver;
  }

  @Override
  public void write(Kryo kryo, Output out, ActorRef<?> ref) {
    out.writeString(resolver.get().toSerializationFormat(ref));
  }

  @Override
  public ActorRef<?> read(Kryo kryo, Input in, Class<? extends ActorRef<?>> type) {
    return resolver.get().resolveActorRef(in.readString());
  }
}
