-- Batches (lô) of a product: lot code, dates, quantity, where it came from, and whether it is
-- released to the market or recalled.
CREATE TABLE batches (
    id               TEXT PRIMARY KEY,
    product_id       TEXT NOT NULL REFERENCES products(id),
    lot              TEXT NOT NULL,
    produced_on      TEXT NOT NULL,
    quantity         DOUBLE PRECISION,
    quantity_unit    TEXT NOT NULL DEFAULT '',
    expires_on       TEXT,
    origin_place_id  TEXT REFERENCES places(id),
    note             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    recall_reason    TEXT NOT NULL DEFAULT '',
    released_at      TEXT,
    recalled_at      TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- A lot code names one batch of a product (GS1: GTIN + lot).
CREATE UNIQUE INDEX batches_lot ON batches(product_id, lot);
