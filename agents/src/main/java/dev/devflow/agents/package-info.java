/**
 * AI agents as sharded entities and the LLM gateway client they use. Empty until the agents issue
 * lands; the module exists so the reactor's dependency direction (http → agents → actors) is fixed
 * from the start.
 */
package dev.devflow.agents;
