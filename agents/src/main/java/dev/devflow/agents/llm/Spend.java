package dev.devflow.agents.llm;

/** What a tenant or agent used in a month: cost, tokens and answered model calls (not cache hits). */
public record Spend(double costUsd, long promptTokens, long completionTokens, long calls) {}
