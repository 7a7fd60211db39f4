-- Evidence files (minh chứng) for indicator values; the bytes live in the file store.
CREATE TABLE evidence_files (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    year            INTEGER NOT NULL,
    set_key         TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    object_key      TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL
);
CREATE INDEX evidence_files_unit_year ON evidence_files(unit_id, year);
