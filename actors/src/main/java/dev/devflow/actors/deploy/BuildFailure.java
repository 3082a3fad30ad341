package dev.devflow.actors.deploy;

/** Why a release cannot be built; the message is shown as the release's reason. */
final class BuildFailure extends RuntimeException {
  BuildFailure(String reason) {
    super(reason, null, false, false);
  }
}
