-- The per-tenant event feed (a projection of the journal) and outgoing webhooks.

-- Feed entries: id is monotonic per tenant and assigned by the projection under the row lock of
-- feed_counter, so ids become visible in commit order and a reader of "id > n" never skips one.
CREATE TABLE feed_counter (
  tenant  VARCHAR(64) PRIMARY KEY,
  last_id BIGINT NOT NULL
);

CREATE TABLE feed_entry (
  tenant     VARCHAR(64)  NOT NULL,
  id         BIGINT       NOT NULL,
  type       VARCHAR(64)  NOT NULL,
  data       TEXT         NOT NULL,
  at         TIMESTAMPTZ  NOT NULL,
  -- The journal row it came from: a unique key, so a replayed batch can never add an entry twice.
  source_ordering BIGINT  NOT NULL,
  source_index    INTEGER NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (source_ordering, source_index)
);

-- Projection offsets, written in the same transaction as the rows they produced (exactly once).
CREATE TABLE projection_offset (
  name          VARCHAR(64) PRIMARY KEY,
  last_ordering BIGINT      NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL
);

-- Wakes the feed projection when journal rows commit (NOTIFY is delivered at commit), so live
-- events never wait for a poll interval. One notification per statement, not per row.
CREATE FUNCTION devflow_journal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('devflow_journal', '');
  RETURN NULL;
END $$;

CREATE TRIGGER event_journal_notify AFTER INSERT ON event_journal
  FOR EACH STATEMENT EXECUTE FUNCTION devflow_journal_notify();

CREATE TABLE webhook (
  tenant     VARCHAR(64)   NOT NULL,
  name       VARCHAR(64)   NOT NULL,
  url        VARCHAR(2048) NOT NULL,
  types      TEXT          NOT NULL,
  secret     VARCHAR(256)  NOT NULL,
  -- Deliveries start after this feed id; advanced in the same statement that logs a delivery.
  cursor_id  BIGINT        NOT NULL,
  created_at TIMESTAMPTZ   NOT NULL,
  updated_at TIMESTAMPTZ   NOT NULL,
  PRIMARY KEY (tenant, name)
);

CREATE TABLE webhook_delivery (
  id            BIGSERIAL PRIMARY KEY,
  tenant        VARCHAR(64)  NOT NULL,
  webhook       VARCHAR(64)  NOT NULL,
  delivery_id   VARCHAR(64)  NOT NULL,
  feed_id       BIGINT       NOT NULL,
  type          VARCHAR(64)  NOT NULL,
  attempt       INTEGER      NOT NULL,
  outcome       VARCHAR(16)  NOT NULL,
  status_code   INTEGER,
  error         VARCHAR(512),
  duration_ms   INTEGER      NOT NULL,
  at            TIMESTAMPTZ  NOT NULL
);

CREATE INDEX webhook_delivery_by_hook ON webhook_delivery (tenant, webhook, id DESC);
