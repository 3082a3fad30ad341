package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;

/** Where one instance of an app listens: the runtime node's host and the instance's port. */
public record Endpoint(String host, int port) implements CrossNodeMessage {

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
