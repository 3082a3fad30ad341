-- The release artifacts (blob hashes) each app still needs: its newest builds and whatever is live
-- or on its way live. The app's entity writes its whole set after every change; a blob that no
-- app lists is deleted by the artifact sweeper once it is old enough (docs/operations.md).
CREATE TABLE app_artifact (
  tenant VARCHAR(64) NOT NULL,
  app    VARCHAR(64) NOT NULL,
  hash   CHAR(64)    NOT NULL,
  PRIMARY KEY (tenant, app, hash)
);
