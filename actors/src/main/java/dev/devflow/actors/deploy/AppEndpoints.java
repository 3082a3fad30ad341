package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.util.List;

/**
 * What the router needs about one app: its healthy instances of the live release, and whether it
 * is private (then only tokens of its tenant may reach it).
 *
 * @param version grows with every change the app's owner publishes; {@link RouteTable} ignores an
 *     update older than the one it holds, so updates may arrive out of order
 */
public record AppEndpoints(List<Endpoint> healthy, boolean privateApp, long version) implements CrossNodeMessage {

  public AppEndpoints {
    healthy = List.copyOf(healthy);
  }
}
