-- Citizen feedback (phản ánh, kiến nghị): the categories a case is filed under (Open311
-- "services"), the cases themselves, their photos and history, and the keys Open311 clients
-- post with. The reporter's name and contacts live only on the case row and are read only by
-- the staff handling it.
CREATE TABLE feedback_categories (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name_vi         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    grp             TEXT NOT NULL DEFAULT '',
    keywords        TEXT NOT NULL DEFAULT '',
    handler         TEXT NOT NULL DEFAULT '',
    deadline_value  INTEGER NOT NULL,
    deadline_unit   TEXT NOT NULL,
    criteria        TEXT NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1,
    position        INTEGER NOT NULL DEFAULT 0,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE feedback_cases (
    id              TEXT PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    token           TEXT NOT NULL UNIQUE,
    category_id     TEXT NOT NULL REFERENCES feedback_categories(id),
    commune_id      TEXT NOT NULL REFERENCES units(id),
    village_id      TEXT REFERENCES units(id),
    place_id        TEXT REFERENCES places(id),
    latitude        REAL,
    longitude       REAL,
    address         TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_note     TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL,
    reporter_name   TEXT NOT NULL DEFAULT '',
    reporter_phone  TEXT NOT NULL DEFAULT '',
    reporter_email  TEXT NOT NULL DEFAULT '',
    reporter_zalo   TEXT NOT NULL DEFAULT '',
    handler         TEXT NOT NULL DEFAULT '',
    assignee        TEXT NOT NULL DEFAULT '',
    due_at          TEXT NOT NULL,
    overdue_noticed INTEGER NOT NULL DEFAULT 0,
    merged_into     TEXT REFERENCES feedback_cases(id),
    split_from      TEXT REFERENCES feedback_cases(id),
    rating          INTEGER,
    rating_comment  TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    resolved_at     TEXT
);
-- Lists are newest first, narrowed by commune, status and category; counts and figures read
-- the (commune, status, category) triple without touching the rows.
CREATE INDEX feedback_cases_commune ON feedback_cases(commune_id, created_at);
CREATE INDEX feedback_cases_commune_status ON feedback_cases(commune_id, status, category_id);
CREATE INDEX feedback_cases_category ON feedback_cases(category_id, created_at);
CREATE INDEX feedback_cases_status ON feedback_cases(status, due_at);
CREATE INDEX feedback_cases_created ON feedback_cases(created_at);
CREATE INDEX feedback_cases_position ON feedback_cases(latitude, longitude);

CREATE TABLE feedback_photos (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES feedback_cases(id),
    object_key  TEXT NOT NULL,
    thumb_key   TEXT,
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL,
    -- Hidden by staff (a face, a private paper in the picture): then only staff see it.
    hidden      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX feedback_photos_case ON feedback_photos(case_id);

-- Every step of a case: status changes, notes, reassignment, merges, ratings. public_note is
-- shown on the tracking page; internal_note only to staff.
CREATE TABLE feedback_events (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES feedback_cases(id),
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    from_status    TEXT NOT NULL DEFAULT '',
    to_status      TEXT NOT NULL DEFAULT '',
    public_note    TEXT NOT NULL DEFAULT '',
    internal_note  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_events_case ON feedback_events(case_id, at);

CREATE TABLE open311_keys (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Running numbers handed out inside write transactions (case numbers people read out on the
-- phone). UPDATE … RETURNING takes the row lock on PostgreSQL, so two cases never share one.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('feedback_case', 0);
