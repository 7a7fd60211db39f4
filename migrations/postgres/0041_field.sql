-- Offline field work: one receipt per record a phone recorded offline, written in the same
-- transaction as the record, so that a record sent twice (a lost answer, two syncs at once) is
-- stored once. The key is the phone's own UUIDv7 for the record.
CREATE TABLE field_receipts (
    key          TEXT PRIMARY KEY,
    user_id      TEXT,
    username     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX field_receipts_user ON field_receipts(user_id, received_at);

-- The time a change was recorded on the phone, when it came from an offline form (the entry's
-- own time is when the server received it).
ALTER TABLE audit_log ADD COLUMN recorded_at TEXT;
