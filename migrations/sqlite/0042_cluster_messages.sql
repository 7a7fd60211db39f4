-- A change for the other server instances too long for a PostgreSQL NOTIFY (8,000 bytes; an
-- emergency alert with a long text or a detailed area): kept here, and the notification names
-- it. Rows are dropped after ten minutes (instances read them within a second).
CREATE TABLE cluster_messages (
    id      TEXT PRIMARY KEY,
    body    TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX cluster_messages_sent ON cluster_messages(sent_at);
