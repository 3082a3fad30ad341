-- The LLM gateway: a cache of model answers and token/cost accounting per tenant, agent and month.

-- Answers keyed by the SHA-256 (hex) of the normalised request: tenant, model asked, messages and
-- schema. The tenant is part of the key so tenants never see each other's answers. Expired rows
-- are never returned and are purged a few at a time on write.
CREATE TABLE llm_cache (
  key        CHAR(64)     PRIMARY KEY,
  -- The model that answered (may be a fallback of the one asked).
  model      VARCHAR(200) NOT NULL,
  response   TEXT         NOT NULL,
  created_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ  NOT NULL
);
CREATE INDEX llm_cache_by_expiry ON llm_cache (expires_at);

-- One row per tenant, agent, calendar month (UTC) and model, upserted after each answered call.
CREATE TABLE llm_usage (
  tenant            VARCHAR(64)    NOT NULL,
  -- '' when the caller is not an agent (e.g. indexing for the knowledge hub).
  agent             VARCHAR(128)   NOT NULL,
  -- First day of the month.
  month             DATE           NOT NULL,
  model             VARCHAR(200)   NOT NULL,
  -- Answered model calls; cache hits are counted apart and cost nothing.
  calls             BIGINT         NOT NULL DEFAULT 0,
  cache_hits        BIGINT         NOT NULL DEFAULT 0,
  prompt_tokens     BIGINT         NOT NULL DEFAULT 0,
  completion_tokens BIGINT         NOT NULL DEFAULT 0,
  cost_usd          NUMERIC(18, 8) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, agent, month, model)
);
