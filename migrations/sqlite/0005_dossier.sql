-- Recognition dossiers (hồ sơ đề nghị xét, công nhận): files uploaded against checklist items.
CREATE TABLE dossier_files (
    id            TEXT PRIMARY KEY,
    unit_id       TEXT NOT NULL REFERENCES units(id),
    year          INTEGER NOT NULL,
    level         TEXT NOT NULL,
    item          TEXT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    object_key    TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX dossier_files_unit_year ON dossier_files(unit_id, year, level);
