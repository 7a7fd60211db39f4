-- Loudspeakers and public e-bulletin boards (Circular 39/2020/TT-BTTTT): bulletins with their
-- priority, programmes of daily slots per device group, and what each device reports it played.
-- Devices are assets of the ICT register (kinds speaker_cluster and e_board) and speak with their
-- ICT device token.

-- A bulletin: recorded audio (kept in the file store, its length read on upload), a text (shown
-- on boards, spoken on speakers) or a slide (a picture for boards). It airs only when approved
-- and within its validity. A priority bulletin plays on every device of `target_unit_id` (the
-- commune, or one of its villages) at the front of each slot; `clash_order` orders clashes.
CREATE TABLE bulletins (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    target_unit_id  TEXT NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    priority        TEXT NOT NULL,
    source          TEXT NOT NULL,
    clash_order     INTEGER NOT NULL DEFAULT 0,
    show_ms         INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    media_key       TEXT,
    media_type      TEXT,
    media_bytes     INTEGER,
    media_sha256    TEXT,
    valid_from      TEXT,
    valid_to        TEXT,
    status          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    approved_by     TEXT,
    approved_at     TEXT
);
CREATE INDEX bulletins_unit ON bulletins(unit_id, created_at);
CREATE INDEX bulletins_target ON bulletins(target_unit_id, status, priority);

-- A programme: which devices (every speaker or board of a commune or village, or one device),
-- on which weekdays (bits, Monday = 1) and dates, in which slots ("05:30-06:00,17:00-17:30",
-- Vietnam's time), and its normal bulletins in order.
CREATE TABLE broadcast_programmes (
    id               TEXT PRIMARY KEY,
    unit_id          TEXT NOT NULL REFERENCES units(id),
    name             TEXT NOT NULL,
    medium           TEXT NOT NULL,
    target_unit_id   TEXT REFERENCES units(id),
    target_asset_id  TEXT REFERENCES ict_assets(id),
    weekdays         INTEGER NOT NULL,
    valid_from       TEXT,
    valid_to         TEXT,
    slots            TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX broadcast_programmes_unit ON broadcast_programmes(unit_id);
CREATE INDEX broadcast_programmes_target ON broadcast_programmes(target_unit_id);
CREATE INDEX broadcast_programmes_asset ON broadcast_programmes(target_asset_id);

CREATE TABLE broadcast_items (
    programme_id  TEXT NOT NULL REFERENCES broadcast_programmes(id),
    bulletin_id   TEXT NOT NULL REFERENCES bulletins(id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (programme_id, bulletin_id)
);
CREATE INDEX broadcast_items_bulletin ON broadcast_items(bulletin_id);

-- What a device reports it played: the bulletin (or an emergency alert), when it started, for
-- how long, and how it went (played, interrupted, failed, skipped).
CREATE TABLE broadcast_plays (
    id           TEXT PRIMARY KEY,
    asset_id     TEXT NOT NULL REFERENCES ict_assets(id),
    bulletin_id  TEXT,
    alert_id     TEXT,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    result       TEXT NOT NULL,
    reported_at  TEXT NOT NULL
);
CREATE INDEX broadcast_plays_asset ON broadcast_plays(asset_id, started_at);
CREATE INDEX broadcast_plays_bulletin ON broadcast_plays(bulletin_id);
