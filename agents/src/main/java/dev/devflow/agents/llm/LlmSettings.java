package dev.devflow.agents.llm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code devflow.llm} block: the default endpoint, per-tenant overrides, retry, timeout, cache,
 * concurrency and the price table. Keys missing from the block take the defaults documented in
 * devflow.conf, so a test or a partial block is enough.
 *
 * @param defaults             the endpoint of tenants without an override
 * @param tenants              tenant → its endpoint, every key already merged with the defaults
 * @param timeout              one HTTP call, connect to last byte
 * @param maxAttempts          HTTP calls per model before falling back to the next one
 * @param backoffMin           first back-off; doubles per attempt, with jitter
 * @param backoffMax           longest back-off, also the cap on a server's Retry-After
 * @param cacheEnabled         the answer cache, for requests that allow it
 * @param cacheTtl             how long a cached answer is served
 * @param concurrencyPerTenant model calls in flight per tenant on one node; more wait
 * @param prices               model → price; models without one cost 0 (their tokens still count)
 */
public record LlmSettings(Endpoint defaults, Map<String, Endpoint> tenants, Duration timeout, int maxAttempts,
    Duration backoffMin, Duration backoffMax, boolean cacheEnabled, Duration cacheTtl, int concurrencyPerTenant,
    Map<String, Price> prices) {

  /** Defaults of the keys, as in devflow.conf. */
  private static final Config DEFAULTS = ConfigFactory.parseString("""
      base-url = ""
      api-key = ""
      model = "gpt-4o-mini"
      fallback-models = []
      embedding-model = "text-embedding-3-small"
      monthly-budget-usd = 0
      timeout = 120s
      max-attempts = 3
      backoff-min = 500ms
      backoff-max = 30s
      cache { enabled = on, ttl = 24h }
      concurrency-per-tenant = 4
      prices {}
      tenants {}
      """);

  public LlmSettings {
    tenants = Map.copyOf(tenants);
    prices = Map.copyOf(prices);
    if (maxAttempts < 1 || concurrencyPerTenant < 1) {
      throw new IllegalArgumentException("max-attempts and concurrency-per-tenant must be at least 1");
    }
  }

  /**
   * Where a tenant's model calls go and what they may spend.
   *
   * @param baseUrl          an OpenAI-compatible API root, e.g. https://api.openai.com/v1; "" = none
   * @param apiKey           "" for endpoints without authentication (Ollama); never logged
   * @param model            asked when a request names none
   * @param fallbackModels   tried in order when the asked model keeps failing
   * @param embeddingModel   for embeddings (never falls back: vectors of two models do not mix)
   * @param monthlyBudgetUsd 0 = unlimited
   */
  public record Endpoint(String baseUrl, String apiKey, String model, List<String> fallbackModels,
      String embeddingModel, double monthlyBudgetUsd) {

    public Endpoint {
      fallbackModels = List.copyOf(fallbackModels);
    }

    public boolean configured() {
      return baseUrl != null && !baseUrl.isBlank();
    }

    /** Keeps the key out of logs and exception messages. */
    @Override
    public String toString() {
      return "Endpoint[baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null || apiKey.isEmpty() ? "" : "***")
          + ", model=" + model + ", fallbackModels=" + fallbackModels + ", embeddingModel=" + embeddingModel
          + ", monthlyBudgetUsd=" + monthlyBudgetUsd + "]";
    }
  }

  /** US dollars per million tokens. */
  public record Price(double inputPerMillion, double outputPerMillion) {

    public double cost(long promptTokens, long completionTokens) {
      return (promptTokens * inputPerMillion + completionTokens * outputPerMillion) / 1_000_000d;
    }
  }

  /** Reads a {@code devflow.llm} block; missing keys take their defaults. */
  public static LlmSettings fromConfig(Config llmBlock) {
    Config c = llmBlock.withFallback(DEFAULTS).resolve();
    Endpoint defaults = endpoint(c);
    Map<String, Endpoint> tenants = new LinkedHashMap<>();
    // Entries of the root, not paths: tenant ids and model names may contain dots.
    for (Map.Entry<String, ConfigValue> t : c.getObject("tenants").entrySet()) {
      Config own = object(t.getValue(), "tenants." + t.getKey()).toConfig();
      // A tenant's block overrides the endpoint keys it names; the others are the defaults.
      tenants.put(t.getKey(), endpoint(own.withFallback(c)));
    }
    Map<String, Price> prices = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> p : c.getObject("prices").entrySet()) {
      Config price = object(p.getValue(), "prices." + p.getKey()).toConfig()
          .withFallback(ConfigFactory.parseString("input-per-million = 0, output-per-million = 0"));
      prices.put(p.getKey(), new Price(price.getDouble("input-per-million"), price.getDouble("output-per-million")));
    }
    return new LlmSettings(defaults, tenants, c.getDuration("timeout"), c.getInt("max-attempts"),
        c.getDuration("backoff-min"), c.getDuration("backoff-max"), c.getBoolean("cache.enabled"),
        c.getDuration("cache.ttl"), c.getInt("concurrency-per-tenant"), prices);
  }

  /** Every default, no endpoint: every call fails with {@link LlmUnconfiguredException}. */
  public static LlmSettings unconfigured() {
    return fromConfig(ConfigFactory.empty());
  }

  /** The tenant's endpoint: its override merged with the defaults. */
  public Endpoint endpoint(String tenant) {
    return tenants.getOrDefault(tenant, defaults);
  }

  /** Cost of a call; 0 for a model without a price. */
  public double cost(String model, long promptTokens, long completionTokens) {
    Price p = prices.get(model);
    return p == null ? 0 : p.cost(promptTokens, completionTokens);
  }

  private static Endpoint endpoint(Config c) {
    return new Endpoint(c.getString("base-url").trim(), c.getString("api-key"), c.getString("model"),
        c.getStringList("fallback-models"), c.getString("embedding-model"), c.getDouble("monthly-budget-usd"));
  }

  private static ConfigObject object(ConfigValue v, String where) {
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw new IllegalArgumentException("devflow.llm." + where + " must be a block { ... }");
    }
    return (ConfigObject) v;
  }
}
