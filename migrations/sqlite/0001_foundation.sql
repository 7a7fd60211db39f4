-- Foundation: administrative units with history, accounts, sessions, API tokens, audit log.
-- Ids are UUIDv7 text; dates are ISO yyyy-mm-dd text; times are fixed-width UTC text.

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    unit_type   TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_id   TEXT REFERENCES units(id),
    valid_from  TEXT,
    valid_to    TEXT,
    search_key  TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX units_code ON units(code);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_level ON units(level);

CREATE TABLE unit_links (
    id           TEXT PRIMARY KEY,
    old_id       TEXT NOT NULL REFERENCES units(id),
    new_id       TEXT NOT NULL REFERENCES units(id),
    portion      TEXT NOT NULL,
    effective    TEXT NOT NULL,
    legal_basis  TEXT,
    UNIQUE (old_id, new_id)
);
CREATE INDEX unit_links_new ON unit_links(new_id);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL
);

CREATE TABLE role_assignments (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    unit_id     TEXT REFERENCES units(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX role_assignments_user ON role_assignments(user_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      TEXT,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    unit_id      TEXT,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_unit ON audit_log(unit_id);
CREATE INDEX audit_log_user ON audit_log(user_id);
CREATE INDEX audit_log_record ON audit_log(record_type, record_id);

-- The audit log is append-only, whatever code runs against the database.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
