-- Secrets (tenant and repository tiers) encrypted with the cluster's master key, and the audit log.

-- The master keys the cluster has used: ids only (a hash of the key), never a key. Exactly one is
-- active: new values are encrypted with it, and a node that does not hold it refuses to start.
CREATE TABLE secret_master_key (
  id         VARCHAR(32) PRIMARY KEY,
  active     BOOLEAN     NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX secret_master_key_one_active ON secret_master_key (active) WHERE active;

-- AES-256-GCM: a random 96-bit nonce per value; tenant, repo and name are the associated data, so
-- a ciphertext copied to another row does not decrypt.
CREATE TABLE secret (
  tenant     VARCHAR(64)  NOT NULL,
  -- '' for the tenant tier, else the repository (project tier).
  repo       VARCHAR(64)  NOT NULL,
  name       VARCHAR(64)  NOT NULL,
  key_id     VARCHAR(32)  NOT NULL REFERENCES secret_master_key (id),
  nonce      BYTEA        NOT NULL,
  ciphertext BYTEA        NOT NULL,
  updated_at TIMESTAMPTZ  NOT NULL,
  updated_by VARCHAR(200) NOT NULL,
  PRIMARY KEY (tenant, repo, name)
);
CREATE INDEX secret_by_key ON secret (key_id);

-- Append-only: nothing in DevFlow updates or deletes a row.
CREATE TABLE audit_log (
  id         BIGSERIAL    PRIMARY KEY,
  -- null for cluster-level actions (creating a tenant, runner administration).
  tenant     VARCHAR(64),
  at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  actor_id   VARCHAR(64)  NOT NULL,
  actor_name VARCHAR(200) NOT NULL,
  action     VARCHAR(64)  NOT NULL,
  resource   VARCHAR(512) NOT NULL,
  remote     VARCHAR(64),
  -- ok (2xx), denied (401/403/404/429), failed (any other status)
  result     VARCHAR(16)  NOT NULL,
  status     INTEGER
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant, id DESC);
