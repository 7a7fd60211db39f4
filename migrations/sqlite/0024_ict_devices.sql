-- Devices that report to the platform (access points, speaker cluster heads, board players,
-- office routers): a per-device token (only its hash is kept), the last heartbeat with its
-- figures, and the state the offline check leaves (never, online, offline).
CREATE TABLE ict_devices (
    asset_id       TEXT PRIMARY KEY REFERENCES ict_assets(id),
    token_hash     TEXT,
    token_made_by  TEXT NOT NULL,
    token_made_at  TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'never',
    state_since    TEXT,
    last_seen_at   TEXT,
    clients        INTEGER,
    uptime_s       INTEGER,
    firmware       TEXT NOT NULL DEFAULT '',
    signal_dbm     INTEGER
);
CREATE INDEX ict_devices_state ON ict_devices(state, last_seen_at);

-- Online spans: from the heartbeat that brought a device online to the last one before the
-- offline check found it silent (open while online). Uptime per day is their overlap with it.
CREATE TABLE ict_online_spans (
    id          TEXT PRIMARY KEY,
    asset_id    TEXT NOT NULL REFERENCES ict_assets(id),
    started_at  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX ict_online_spans_asset ON ict_online_spans(asset_id, started_at);
CREATE INDEX ict_online_spans_ended ON ict_online_spans(ended_at);

-- What a commune is told about its devices: one went offline, or came back.
CREATE TABLE ict_device_notices (
    id            TEXT PRIMARY KEY,
    asset_id      TEXT NOT NULL REFERENCES ict_assets(id),
    unit_id       TEXT NOT NULL REFERENCES units(id),
    event         TEXT NOT NULL,
    at            TEXT NOT NULL,
    last_seen_at  TEXT
);
CREATE INDEX ict_device_notices_unit ON ict_device_notices(unit_id, at);
CREATE INDEX ict_device_notices_asset ON ict_device_notices(asset_id, at);

-- Stocktakes: a commune's (or one office's) assets checked by scanning their labels. While a
-- stocktake is open its items are the scans; closing it adds the missing ones and freezes the
-- outcome of each (found, unexpected, missing).
CREATE TABLE ict_stocktakes (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    number      INTEGER NOT NULL,
    place_id    TEXT REFERENCES places(id),
    note        TEXT NOT NULL DEFAULT '',
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    closed_by   TEXT,
    closed_at   TEXT
);
CREATE INDEX ict_stocktakes_unit ON ict_stocktakes(unit_id, started_at);

CREATE TABLE ict_stocktake_items (
    stocktake_id  TEXT NOT NULL REFERENCES ict_stocktakes(id),
    asset_id      TEXT NOT NULL REFERENCES ict_assets(id),
    scanned_by    TEXT,
    scanned_at    TEXT,
    outcome       TEXT,
    PRIMARY KEY (stocktake_id, asset_id)
);
