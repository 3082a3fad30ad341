-- CI job logs, as the runner writes them: each attempt of a job is a sequence of chunks (lines
-- joined with \n, each ending in \n, about 64 KiB each). Chunks rather than lines: a step printing
-- millions of lines costs thousands of rows, not millions, and a reader pages by seq.
CREATE TABLE job_log (
  -- Opaque to the database, e.g. acme/web/42/build-2.
  job     TEXT        NOT NULL,
  attempt INTEGER     NOT NULL,
  -- Numbered by the writer from 1; the key makes a repeated chunk fail instead of doubling it.
  seq     INTEGER     NOT NULL,
  body    TEXT        NOT NULL,
  -- UTF-8 length of body, so the size of a log is a sum without reading the text.
  bytes   INTEGER     NOT NULL,
  at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (job, attempt, seq)
);
