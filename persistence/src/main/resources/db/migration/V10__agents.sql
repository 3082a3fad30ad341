-- AI agents: which agent watches which repository (so a push finds its reviewers without asking
-- every entity), and the reviews they posted (the read side of the Agent entities' ReviewPosted).

CREATE TABLE agent_registry (
  tenant     VARCHAR(64) NOT NULL,
  name       VARCHAR(64) NOT NULL,
  kind       VARCHAR(32) NOT NULL,
  repo       VARCHAR(64) NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, name)
);
CREATE INDEX agent_registry_by_repo ON agent_registry (tenant, repo);

-- One row per review task: written again by a task that ran twice (a worker or node died after
-- the review was ready), never twice.
CREATE TABLE agent_review (
  id          BIGSERIAL    NOT NULL UNIQUE,
  tenant      VARCHAR(64)  NOT NULL,
  agent       VARCHAR(64)  NOT NULL,
  task_id     VARCHAR(100) NOT NULL,
  repo        VARCHAR(64)  NOT NULL,
  ref         TEXT         NOT NULL,
  before_sha  VARCHAR(64)  NOT NULL,
  after_sha   VARCHAR(64)  NOT NULL,
  review      JSONB        NOT NULL,
  model       VARCHAR(200),
  cost_usd    NUMERIC(14, 6) NOT NULL DEFAULT 0,
  created_at  TIMESTAMPTZ  NOT NULL,
  PRIMARY KEY (tenant, agent, task_id)
);
CREATE INDEX agent_review_by_repo ON agent_review (tenant, repo, id DESC);
