package dev.devflow.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kryo cannot build the JDK's immutable collections ({@code List.of}, {@code Stream.toList}, {@code
 * Map.of}, {@code Set.of}) through a no-argument constructor, so they are written as their elements
 * and read back as unmodifiable copies.
 */
final class ImmutableCollectionSerializers {

  private ImmutableCollectionSerializers() {}

  static void register(Kryo kryo, int firstId) {
    int id = firstId;
    ListSerializer lists = new ListSerializer();
    kryo.register(List.of().getClass(), lists, id++);
    kryo.register(List.of(1).getClass(), lists, id++);
    kryo.register(List.of(1, 2, 3).getClass(), lists, id++);
    kryo.register(Collections.unmodifiableList(new ArrayList<>()).getClass(), lists, id++);
    kryo.register(Collections.emptyList().getClass(), lists, id++);
    SetSerializer sets = new SetSerializer();
    kryo.register(Set.of().getClass(), sets, id++);
    kryo.register(Set.of(1).getClass(), sets, id++);
    kryo.register(Set.of(1, 2, 3).getClass(), sets, id++);
    kryo.register(Collections.unmodifiableSet(new LinkedHashSet<>()).getClass(), sets, id++);
    MapSerializer maps = new MapSerializer();
    kryo.register(Map.of().getClass(), maps, id++);
    kryo.register(Map.of(1, 1).getClass(), maps, id++);
    kryo.register(Map.of(1, 1, 2, 2).getClass(), maps, id++);
    kryo.register(Collections.unmodifiableMap(new LinkedHashMap<>()).getClass(), maps, id++);
  }

  private static final class ListSerializer extends Serializer<List<Object>> {
    @Override
    public void write(Kryo kryo, Output out, List<Object> list) {
      out.writeVarInt(list.size(), true);
      for (Object o : list) {
        kryo.writeClassAndObject(out, o);
      }
    }

    @Override
    public List<Object> read(Kryo kryo, Input in, Class<? extends List<Object>> type) {
      int n = in.readVarInt(true);
      List<Object> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(kryo.readClassAndObject(in));
      }
      return Collections.unmodifiableList(list);
    }
  }

  private static final class SetSerializer extends Serializer<Set<Object>> {
    @Override
    public void write(Kryo kryo, Output out, Set<Object> set) {
      out.writeVarInt(set.size(), true);
      for (Object o : set) {
        kryo.writeClassAndObject(out, o);
      }
    }

    @Override
    public Set<Object> read(Kryo kryo, Input in, Class<? extends Set<Object>> type) {
      int n = in.readVarInt(true);
      Set<Object> set = new LinkedHashSet<>();
      for (int i = 0; i < n; i++) {
        set.add(kryo.readClassAndObject(in));
      }
      return Collections.unmodifiableSet(set);
    }
  }

  private static final class MapSerializer extends Serializer<Map<Object, Object>> {
    @Override
    public void write(Kryo kryo, Output out, Map<Object, Object> map) {
      out.writeVarInt(map.size(), true);
      for (var e : map.entrySet()) {
        kryo.writeClassAndObject(out, e.getKey());
        kryo.writeClassAndObject(out, e.getValue());
      }
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input in, Class<? extends Map<Object, Object>> type) {
      int n = in.readVarInt(true);
      Map<Object, Object> map = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        map.put(kryo.readClassAndObject(in), kryo.readClassAndObject(in));
      }
      return Collections.unmodifiableMap(map);
    }
  }
}
