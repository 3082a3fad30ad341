package dev.devflow.actors.deploy;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * What App entities use on the node they run on. {@code publish} sends route changes to every
 * node's route table; {@code drain} is how long old instances keep serving after a switch;
 * {@code artifacts} records which build artifacts each app still needs.
 */
public record AppServices(ReleaseBuilder builder, AppEnvironment environment, Consumer<RouteUpdate> publish,
    Duration drain, AppArtifacts artifacts) {}
