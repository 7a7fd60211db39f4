-- The QR backbone: every printed QR code is a permanent short URL /q/{token} that resolves to
-- its target's landing page; scans are counted per code and day (no personal data).
CREATE TABLE qr_codes (
    token           TEXT PRIMARY KEY,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    unit_id         TEXT REFERENCES units(id),
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    retired_at      TEXT,
    retired_reason  TEXT
);
CREATE INDEX qr_codes_target ON qr_codes(target_type, target_id);

CREATE TABLE qr_scans (
    token  TEXT NOT NULL REFERENCES qr_codes(token),
    day    TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (token, day)
);
