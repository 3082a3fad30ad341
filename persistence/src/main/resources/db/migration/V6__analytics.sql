-- Experiments (A/B results): conversion events, each user's first exposure to a flag, and the
-- aggregate counts Unleash SDKs report.

-- Analytics identify a user by a 64-bit key of their id: hashing and comparing integers makes the
-- results query several times faster than on the id text at a million users. Two ids of one
-- tenant share a key with a probability of about n^2 / 2^65 (3e-8 at a million users); they would
-- count as one user. Computed by the database only (generated column, and the statements of
-- AnalyticsStore), so every row uses the same function.
CREATE FUNCTION devflow_user_key(user_id TEXT) RETURNS BIGINT
  LANGUAGE SQL IMMUTABLE PARALLEL SAFE STRICT
  AS 'SELECT hashtextextended(user_id, 0)';

-- Every event as sent (POST /api/v1/tenants/{t}/analytics/events), kept for reading back by time.
CREATE TABLE analytics_event (
  tenant      VARCHAR(64)  NOT NULL,
  event       VARCHAR(128) NOT NULL,
  user_id     VARCHAR(255) NOT NULL,
  properties  JSONB,
  occurred_at TIMESTAMPTZ  NOT NULL,
  received_at TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX analytics_event_by_time ON analytics_event (tenant, occurred_at);

-- Per tenant, event name and user: the user's latest event of that name, written in the same
-- statement as the events. "Converted" means a goal event at or after the first exposure, which is
-- exactly "latest goal event >= first exposure", so the results query reads one row per user here
-- instead of every event: its cost follows the number of users, not of events (a goal with
-- millions of events costs what one with a single event per user does).
CREATE TABLE analytics_user_event (
  tenant   VARCHAR(64)  NOT NULL,
  event    VARCHAR(128) NOT NULL,
  user_key BIGINT       NOT NULL,
  last_at  TIMESTAMPTZ  NOT NULL,
  PRIMARY KEY (tenant, event, user_key) INCLUDE (last_at)
);

-- One row per user and flag: the user's first exposure and the variant they got then. Keyed like
-- analytics_user_event, so the results query joins two index-only scans on user_key (the planner picks hash or merge).
CREATE TABLE flag_exposure (
  tenant           VARCHAR(64)  NOT NULL,
  flag             VARCHAR(64)  NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  variant          VARCHAR(255) NOT NULL,
  first_exposed_at TIMESTAMPTZ  NOT NULL,
  user_key         BIGINT       NOT NULL GENERATED ALWAYS AS (devflow_user_key(user_id)) STORED,
  PRIMARY KEY (tenant, flag, user_key) INCLUDE (variant, first_exposed_at)
);

-- Unleash SDK metrics (POST /api/client/metrics): counts per flag and hour, without user ids.
-- Reports of several SDK instances for the same hour add up.
CREATE TABLE flag_metrics (
  tenant         VARCHAR(64) NOT NULL,
  flag           VARCHAR(64) NOT NULL,
  bucket_start   TIMESTAMPTZ NOT NULL,
  yes_count      BIGINT      NOT NULL,
  no_count       BIGINT      NOT NULL,
  variant_counts JSONB       NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant, flag, bucket_start)
);
