-- The newest feed entry per subject (a flag, a tenant), written in the feed projection's
-- transaction: what a node loads at start to rebuild state the feed then keeps current.
CREATE TABLE feed_latest (
  tenant  VARCHAR(64)  NOT NULL,
  type    VARCHAR(64)  NOT NULL,
  subject VARCHAR(128) NOT NULL,
  id      BIGINT       NOT NULL,
  data    TEXT         NOT NULL,
  PRIMARY KEY (tenant, type, subject)
);

-- Unleash SDK instances that registered (POST /api/client/register) or sent metrics.
CREATE TABLE unleash_instance (
  tenant        VARCHAR(64)  NOT NULL,
  app_name      VARCHAR(255) NOT NULL,
  instance_id   VARCHAR(255) NOT NULL,
  sdk_version   VARCHAR(255),
  strategies    TEXT,
  started_at    TIMESTAMPTZ,
  interval_ms   BIGINT,
  connection_id VARCHAR(255),
  first_seen    TIMESTAMPTZ  NOT NULL,
  last_seen     TIMESTAMPTZ  NOT NULL,
  PRIMARY KEY (tenant, app_name, instance_id)
);
