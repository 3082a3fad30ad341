package dev.devflow.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.util.Pool;
import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Kryo serializer for {@link CrossNodeMessage}s, in registration-required mode: only the classes
 * registered here (JDK basics) or listed in {@code devflow.serialization.kryo-classes} (with ids
 * that every node shares) can be read, so bytes arriving on the cluster port can never name an
 * arbitrary class to instantiate.
 *
 * <p>Thread-safe: Kryo instances are pooled, one per concurrent call.
 */
public final class KryoSerializer extends JSerializer {

  /** Ids below this are reserved for the JDK types registered in {@link #registerBasics}. */
  public static final int FIRST_APPLICATION_ID = 100;

  private final ExtendedActorSystem system;
  private final Map<String, Integer> applicationClasses;
  private volatile ActorRefResolver resolver;

  private final Pool<Kryo> pool =
      new Pool<>(true, false, 64) {
        @Override
        protected Kryo create() {
          return newKryo();
        }
      };

  public KryoSerializer(ExtendedActorSystem system) {
    this.system = system;
    this.applicationClasses = readRegistrations(system.settings().config());
  }

  @Override
  public int identifier() {
    return 7301;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool.obtain();
    try (Output out = new Output(256, -1)) {
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool.obtain();
    try (Input in = new Input(bytes)) {
      return kryo.readClassAndObject(in);
    } finally {
      pool.free(kryo);
    }
  }

  static Map<String, Integer> readRegistrations(Config config) {
    Map<String, Integer> classes = new TreeMap<>();
    Config section = config.getConfig("devflow.serialization.kryo-classes");
    Map<Integer, String> byId = new HashMap<>();
    for (var entry : section.root().entrySet()) {
      String className = entry.getKey();
      int id = section.getInt("\"" + className + "\"");
      if (id < FIRST_APPLICATION_ID) {
        throw new IllegalArgumentException(
            "kryo id " + id + " of " + className + " is below " + FIRST_APPLICATION_ID);
      }
      String previous = byId.put(id, className);
      if (previous != null) {
        throw new IllegalArgumentException(
            "kryo id " + id + " is given to both " + previous + " and " + className);
      }
      classes.put(className, id);
    }
    return classes;
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    registerBasics(kryo);
    ClassLoader loader = system.dynamicAccess().classLoader();
    for (var entry : applicationClasses.entrySet()) {
      try {
        kryo.register(Class.forName(entry.getKey(), false, loader), entry.getValue());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("kryo-classes names a missing class " + entry.getKey(), e);
      }
    }
    return kryo;
  }

  private void registerBasics(Kryo kryo) {
    int id = 20;
    kryo.register(String.class, id++);
    kryo.register(Integer.class, id++);
    kryo.register(Long.class, id++);
    kryo.register(Boolean.class, id++);
    kryo.register(Double.class, id++);
    kryo.register(byte[].class, id++);
    kryo.register(Instant.class, id++);
    kryo.register(Duration.class, id++);
    kryo.register(UUID.class, new DefaultSerializers.UUIDSerializer(), id++);
    kryo.register(Optional.class, id++);
    kryo.register(ArrayList.class, id++);
    kryo.register(HashMap.class, id++);
    kryo.register(HashSet.class, id++);
    kryo.register(TreeMap.class, id++);
    ImmutableCollectionSerializers.register(kryo, id);
    // What Jackson builds for a Map or Set when state or events are read back from the journal,
    // and what entities build to keep an order: a reply holding one (a repository's refs) was
    // dropped by Artery on the sending node, so every ask from another node timed out. Fixed ids
    // after the immutable collections' range: the ids above must never move.
    kryo.register(LinkedHashMap.class, 60);
    kryo.register(LinkedHashSet.class, 61);
    // Typed refs travel as their serialization format and resolve on the receiving node.
    kryo.addDefaultSerializer(ActorRef.class, new ActorRefKryoSerializer(this::resolver));
    kryo.register(actorRefAdapterClass(), FIRST_APPLICATION_ID - 1);
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private static Class<?> actorRefAdapterClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
