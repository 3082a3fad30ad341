-- Leases for Pekko's use-lease (shards and singletons): one writer per shard or singleton even
-- when a node is cut off rather than dead. A lease is held by an owner (one node incarnation)
-- while that owner's heartbeat row is not expired; an expired or missing owner's leases may be
-- taken by anyone.
CREATE TABLE lease_owner (
  owner       VARCHAR(300) PRIMARY KEY,
  expires_at  TIMESTAMPTZ  NOT NULL
);

CREATE TABLE cluster_lease (
  name         VARCHAR(500) PRIMARY KEY,
  owner        VARCHAR(300) NOT NULL,
  acquired_at  TIMESTAMPTZ  NOT NULL
);

CREATE INDEX cluster_lease_by_owner ON cluster_lease (owner);
