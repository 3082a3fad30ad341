package dev.devflow.agents.llm.internal;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.devflow.agents.llm.LlmSettings.Endpoint;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One SDK client per endpoint (base URL and key), made on first use and kept: each holds a
 * connection pool. Retries are off in the SDK because the gateway retries itself (fallback models,
 * accounting, per-tenant limits). Thread-safe.
 */
public final class Clients implements AutoCloseable {

  private final Duration timeout;
  private final ConcurrentHashMap<String, OpenAIClient> clients = new ConcurrentHashMap<>();

  public Clients(Duration timeout) {
    this.timeout = timeout;
  }

  public OpenAIClient of(Endpoint endpoint) {
    return clients.computeIfAbsent(endpoint.baseUrl() + '\n' + endpoint.apiKey(), k -> OpenAIOkHttpClient.builder()
        .baseUrl(endpoint.baseUrl())
        // The SDK insists on a key; keyless endpoints (Ollama, vLLM) ignore the header.
        .apiKey(endpoint.apiKey().isBlank() ? "none" : endpoint.apiKey())
        .maxRetries(0)
        .timeout(timeout)
        .build());
  }

  @Override
  public void close() {
    clients.values().forEach(OpenAIClient::close);
    clients.clear();
  }
}
