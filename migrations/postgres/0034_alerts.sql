-- Emergency alerts (Circular 39's "khẩn cấp": aired at once). Each is an OASIS CAP 1.2 message,
-- kept verbatim as issued; an update or a cancellation is a message of its own that references the
-- first one (`first_id`). `area_units` is the JSON list of the unit ids it covers (communes or
-- villages); devices and public pages of those units carry it until it expires or is cancelled.
CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    identifier   TEXT NOT NULL UNIQUE,
    unit_id      TEXT NOT NULL REFERENCES units(id),
    first_id     TEXT,
    msg_type     TEXT NOT NULL,
    status       TEXT NOT NULL,
    hazard       TEXT NOT NULL,
    urgency      TEXT NOT NULL,
    severity     TEXT NOT NULL,
    certainty    TEXT NOT NULL,
    risk_level   INTEGER,
    headline     TEXT NOT NULL,
    description  TEXT NOT NULL,
    instruction  TEXT NOT NULL DEFAULT '',
    area_desc    TEXT NOT NULL,
    area_units   TEXT NOT NULL,
    repeats      INTEGER NOT NULL,
    sent_at      TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    sent_by      TEXT NOT NULL,
    cap_xml      TEXT NOT NULL,
    -- The speech made of it for loudspeakers (file store key, type, length), when ready.
    audio_key    TEXT,
    audio_type   TEXT,
    audio_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_sent ON alerts(sent_at);
CREATE INDEX alerts_first ON alerts(first_id);

-- Which device of the area received an alert (over its event stream) and played it.
CREATE TABLE alert_deliveries (
    alert_id     TEXT NOT NULL REFERENCES alerts(id),
    asset_id     TEXT NOT NULL REFERENCES ict_assets(id),
    received_at  TEXT,
    played_at    TEXT,
    PRIMARY KEY (alert_id, asset_id)
);
