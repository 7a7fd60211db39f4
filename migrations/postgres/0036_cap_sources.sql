-- Upstream CAP feeds a unit follows (a province's or a national agency's), what was read from
-- them, and the drafts they make for each covered commune: a commune officer relays a draft
-- with one action (or it is relayed at once, for Extreme and Immediate messages, when the
-- source says so).
CREATE TABLE cap_sources (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    auto_relay  INTEGER NOT NULL DEFAULT 0,
    etag        TEXT,
    checked_at  TEXT,
    problem     TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX cap_sources_unit ON cap_sources(unit_id);

-- The messages (by address) already read from a source.
CREATE TABLE cap_seen (
    source_id   TEXT NOT NULL REFERENCES cap_sources(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);

CREATE TABLE cap_drafts (
    id           TEXT PRIMARY KEY,
    source_id    TEXT NOT NULL REFERENCES cap_sources(id) ON DELETE CASCADE,
    unit_id      TEXT NOT NULL,
    identifier   TEXT NOT NULL,
    sender       TEXT NOT NULL,
    sent         TEXT NOT NULL,
    msg_type     TEXT NOT NULL,
    refs         TEXT NOT NULL,
    hazard       TEXT NOT NULL,
    urgency      TEXT NOT NULL,
    severity     TEXT NOT NULL,
    certainty    TEXT NOT NULL,
    headline     TEXT NOT NULL,
    description  TEXT NOT NULL,
    instruction  TEXT NOT NULL,
    area_desc    TEXT NOT NULL,
    expires_at   TEXT,
    cap_xml      TEXT NOT NULL,
    status       TEXT NOT NULL,
    alert_id     TEXT,
    received_at  TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   TEXT,
    UNIQUE (source_id, identifier, unit_id)
);
CREATE INDEX cap_drafts_unit ON cap_drafts(unit_id, status);
