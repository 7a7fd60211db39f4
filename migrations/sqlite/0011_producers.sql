-- Producers (households, establishments, cooperatives, companies) and their products. Nothing of
-- a producer is public until the commune approves it.
CREATE TABLE producers (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    commune_id       TEXT NOT NULL REFERENCES units(id),
    place_id         TEXT REFERENCES places(id),
    address          TEXT NOT NULL DEFAULT '',
    representative   TEXT NOT NULL DEFAULT '',
    phone            TEXT,
    registration_no  TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    status_reason    TEXT NOT NULL DEFAULT '',
    owner            TEXT,
    decided_by       TEXT,
    decided_at       TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX producers_commune ON producers(commune_id, status);
CREATE INDEX producers_owner ON producers(owner);

CREATE TABLE products (
    id                TEXT PRIMARY KEY,
    producer_id       TEXT NOT NULL REFERENCES producers(id),
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    category          TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    sale_unit         TEXT NOT NULL DEFAULT '',
    gtin              TEXT,
    ocop_stars        INTEGER,
    ocop_certificate  TEXT NOT NULL DEFAULT '',
    ocop_decided_on   TEXT,
    status            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX products_producer ON products(producer_id);
-- A GTIN names one product on the whole installation (GS1 Digital Link resolves by it).
CREATE UNIQUE INDEX products_gtin ON products(gtin) WHERE gtin IS NOT NULL;
