package dev.devflow.agents.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading devflow.llm: defaults, per-tenant overrides, prices keyed by dotted model names. */
class LlmSettingsTest {

  @Test
  void missingKeysTakeTheDefaults() {
    LlmSettings s = LlmSettings.unconfigured();
    assertFalse(s.endpoint("any").configured());
    assertEquals("gpt-4o-mini", s.endpoint("any").model());
    assertEquals(Duration.ofSeconds(120), s.timeout());
    assertEquals(3, s.maxAttempts());
    assertEquals(Duration.ofMillis(500), s.backoffMin());
    assertEquals(Duration.ofSeconds(30), s.backoffMax());
    assertTrue(s.cacheEnabled());
    assertEquals(Duration.ofHours(24), s.cacheTtl());
    assertEquals(4, s.concurrencyPerTenant());
    assertEquals(0, s.endpoint("any").monthlyBudgetUsd());
  }

  @Test
  void tenantBlocksOverrideOnlyWhatTheyName() {
    LlmSettings s = LlmSettings.fromConfig(ConfigFactory.parseString("""
        base-url = "https://api.openai.com/v1"
        api-key = "sk-default-secret"
        model = "gpt-4o-mini"
        fallback-models = ["gpt-4.1-mini"]
        monthly-budget-usd = 50
        tenants {
          acme { model = "llama3.1", base-url = "http://ollama:11434/v1", api-key = "" }
          "big.corp" { monthly-budget-usd = 500 }
        }
        prices { "gpt-4.1-mini" { input-per-million = 0.4, output-per-million = 1.6 } }
        """));
    LlmSettings.Endpoint acme = s.endpoint("acme");
    assertEquals("http://ollama:11434/v1", acme.baseUrl());
    assertEquals("llama3.1", acme.model());
    assertEquals("", acme.apiKey());
    assertEquals(List.of("gpt-4.1-mini"), acme.fallbackModels());
    assertEquals(50, acme.monthlyBudgetUsd());
    LlmSettings.Endpoint big = s.endpoint("big.corp");
    assertEquals("https://api.openai.com/v1", big.baseUrl());
    assertEquals(500, big.monthlyBudgetUsd());
    assertEquals(s.defaults(), s.endpoint("someone-else"));
    assertEquals(0.4 * 2 + 1.6, s.cost("gpt-4.1-mini", 2_000_000, 1_000_000), 1e-9);
    assertEquals(0, s.cost("unknown", 2_000_000, 1_000_000));
    assertFalse(s.toString().contains("sk-default-secret"), "the key never appears in a settings dump");
  }
}
