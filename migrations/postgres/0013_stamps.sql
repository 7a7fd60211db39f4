-- Digital stamps: an order of N stamps for a batch, each with an unguessable code; the order's
-- printable sheet is made once, in the background, and kept in the file store.
CREATE TABLE stamp_orders (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES batches(id),
    count        BIGINT NOT NULL,
    label_size   TEXT NOT NULL,
    status       TEXT NOT NULL,
    sheet_key    TEXT,
    error        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX stamp_orders_batch ON stamp_orders(batch_id);

CREATE TABLE stamps (
    code           TEXT PRIMARY KEY,
    batch_id       TEXT NOT NULL REFERENCES batches(id),
    order_id       TEXT NOT NULL REFERENCES stamp_orders(id),
    number         BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active',
    void_reason    TEXT NOT NULL DEFAULT '',
    scans          BIGINT NOT NULL DEFAULT 0,
    first_scan_at  TEXT,
    last_scan_at   TEXT
);
CREATE INDEX stamps_order ON stamps(order_id, number);
