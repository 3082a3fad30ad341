package dev.devflow.persistence.agents;

/** An agent as the registry knows it: enough to route a push to the agents watching its repository. */
public record AgentEntry(String tenant, String name, String kind, String repo) {}
