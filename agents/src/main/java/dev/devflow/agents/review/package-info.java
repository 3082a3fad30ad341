/**
 * The pure parts of the AI code reviewer: {@link dev.devflow.agents.review.PushDiff} reads a push's
 * diff into model-sized chunks, {@link dev.devflow.agents.review.ReviewPrompt} builds the messages
 * for one chunk, and {@link dev.devflow.agents.review.ReviewParser} validates the model's answer
 * against that chunk. No actors and no network calls: the reviewer entity and the LLM client use
 * these.
 */
package dev.devflow.agents.review;
