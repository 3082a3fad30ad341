package dev.devflow.persistence.apps;

/** An app as the registry knows it: enough to route a push to the apps it deploys. */
public record AppEntry(String tenant, String app, String repo, String branch) {}
