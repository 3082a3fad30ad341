-- The cluster-wide admin token (API.md "Authentication"). One row; only the SHA-256 hash is kept.
CREATE TABLE devflow_admin_token (
  singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
  token_hash VARCHAR(64) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
