package dev.devflow.persistence.analytics;

/**
 * One variant of an experiment: users whose first exposure gave them this variant, and how many of
 * them had the goal event at or after that first exposure.
 */
public record VariantCounts(String variant, long exposedUsers, long convertedUsers) {}
