-- Places with their position, Plus Code and grid cell (for nearest-place queries without a
-- spatial extension), unit boundaries, and the QR codes the platform prints.
CREATE TABLE places (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    address_key    TEXT NOT NULL DEFAULT '',
    commune_id     TEXT NOT NULL REFERENCES units(id),
    village_id     TEXT REFERENCES units(id),
    latitude       REAL NOT NULL,
    longitude      REAL NOT NULL,
    cell           INTEGER NOT NULL,
    plus_code      TEXT NOT NULL,
    vpostcode      TEXT,
    contact_name   TEXT,
    contact_phone  TEXT,
    public_name    INTEGER NOT NULL DEFAULT 0,
    approximate    INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'active',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX places_cell ON places(cell);
CREATE INDEX places_commune ON places(commune_id, kind);
CREATE INDEX places_plus_code ON places(plus_code);

CREATE TABLE unit_boundaries (
    unit_id     TEXT PRIMARY KEY REFERENCES units(id),
    geometry    TEXT NOT NULL,
    centre_lat  REAL NOT NULL,
    centre_lng  REAL NOT NULL,
    source      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
