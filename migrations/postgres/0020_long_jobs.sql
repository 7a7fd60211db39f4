-- Long work a person watches (a place import, a stamp sheet) runs on the job queue as well, so
-- its state outlives the process: who started it, how far it got (written every second while it
-- runs: a job whose heartbeat stopped was interrupted), and what came of it (JSON).
ALTER TABLE queued_jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE queued_jobs ADD COLUMN phase TEXT NOT NULL DEFAULT '';
ALTER TABLE queued_jobs ADD COLUMN progress_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queued_jobs ADD COLUMN progress_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queued_jobs ADD COLUMN heartbeat_at TEXT;
ALTER TABLE queued_jobs ADD COLUMN result TEXT;
