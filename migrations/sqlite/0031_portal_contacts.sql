-- A unit's contact directory on its portal (Decree 42/2022/NĐ-CP asks government pages for
-- one): leaders and offices with their role, official phone and e-mail, and opening hours.
-- These are official contacts, published on purpose.
CREATE TABLE portal_contacts (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    hours       TEXT NOT NULL DEFAULT '',
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX portal_contacts_unit ON portal_contacts(unit_id, position);
