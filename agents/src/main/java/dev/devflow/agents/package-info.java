/**
 * AI agents as sharded entities and the LLM gateway client they use ({@code llm}: every model
 * call goes through {@link dev.devflow.agents.llm.LlmGateway}).
 */
package dev.devflow.agents;
