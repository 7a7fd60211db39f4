-- Work done in the background with retries (notifications to reporters, webhooks …). A job
-- waits until run_at, is claimed by one worker at a time, and after a failure waits longer
-- before its next attempt, until its attempts run out. It is written in the same transaction
-- as the change that calls for it, so neither exists without the other.
CREATE TABLE queued_jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TEXT NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    claimed_at   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX queued_jobs_due ON queued_jobs(status, run_at);
