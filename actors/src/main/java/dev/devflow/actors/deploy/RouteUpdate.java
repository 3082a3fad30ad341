package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;

/** An app's endpoints changed: published by its entity to every node's route table. */
public record RouteUpdate(String tenant, String app, AppEndpoints endpoints) implements CrossNodeMessage {}
