-- NTM criteria: versioned sets, commune profiles per year, indicator values per year.

CREATE TABLE criteria_set_versions (
    id          TEXT PRIMARY KEY,
    set_key     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    change_note TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (set_key, version)
);

CREATE TABLE commune_profiles (
    id             TEXT PRIMARY KEY,
    unit_id        TEXT NOT NULL REFERENCES units(id),
    year           BIGINT NOT NULL,
    threshold_key  TEXT NOT NULL,
    target_level   TEXT,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (unit_id, year)
);

CREATE TABLE indicator_values (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    year            BIGINT NOT NULL,
    set_key         TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    value           TEXT NOT NULL,
    note            TEXT,
    entered_by      TEXT NOT NULL,
    entered_at      TEXT NOT NULL,
    UNIQUE (unit_id, year, set_key, indicator_code)
);
CREATE INDEX indicator_values_year ON indicator_values(year, set_key);
