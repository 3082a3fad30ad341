-- Deployed apps: which app follows which repository and branch, so a push finds the apps it
-- deploys without asking every App entity.
CREATE TABLE app_registry (
  tenant     VARCHAR(64) NOT NULL,
  app        VARCHAR(64) NOT NULL,
  repo       VARCHAR(64) NOT NULL,
  branch     TEXT        NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, app)
);
CREATE INDEX app_registry_by_repo ON app_registry (tenant, repo);
