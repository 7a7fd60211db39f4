-- An asset's photos and papers (invoice or handover record, warranty card, manual): staff only.
-- Photos are kept resized (and a thumbnail); papers as uploaded (PDF, JPEG or PNG).
CREATE TABLE ict_files (
    id           TEXT PRIMARY KEY,
    asset_id     TEXT NOT NULL REFERENCES ict_assets(id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    object_key   TEXT NOT NULL,
    thumb_key    TEXT,
    file_name    TEXT NOT NULL DEFAULT '',
    file_type    TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX ict_files_asset ON ict_files(asset_id, uploaded_at);
