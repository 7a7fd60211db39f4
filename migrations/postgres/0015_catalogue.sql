-- What a product shows beyond its facts: photos, certifications (VietGAP, organic …) with their
-- documents, and its listings on marketplaces (one record per product and marketplace).
CREATE TABLE product_photos (
    id           TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES products(id),
    object_key   TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX product_photos_product ON product_photos(product_id, position);

CREATE TABLE certifications (
    id           TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES products(id),
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    expires_on   TEXT,
    object_key   TEXT,
    file_name    TEXT NOT NULL DEFAULT '',
    file_type    TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX certifications_product ON certifications(product_id);

CREATE TABLE listings (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES products(id),
    marketplace   TEXT NOT NULL,
    status        TEXT NOT NULL,
    url           TEXT NOT NULL DEFAULT '',
    price_vnd     BIGINT,
    weight_g      INTEGER,
    ingredients   TEXT NOT NULL DEFAULT '',
    storage       TEXT NOT NULL DEFAULT '',
    shelf_life    TEXT NOT NULL DEFAULT '',
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX listings_product_market ON listings(product_id, marketplace);
