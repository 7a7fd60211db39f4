-- EPCIS 2.0 traceability events. Each event is kept as the JSON it was captured in (with
-- eventID and recordTime filled in), plus the columns queries filter on. An event may touch
-- several batches (a transformation takes inputs from one and makes another).
CREATE TABLE epcis_events (
    id              TEXT PRIMARY KEY,
    capture_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    event_time      TEXT NOT NULL,
    biz_step        TEXT NOT NULL DEFAULT '',
    read_point      TEXT NOT NULL DEFAULT '',
    place_id        TEXT REFERENCES places(id),
    context         TEXT NOT NULL,
    body            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE INDEX epcis_events_time ON epcis_events(event_time);
CREATE INDEX epcis_events_capture ON epcis_events(capture_id);

CREATE TABLE epcis_event_batches (
    event_id  TEXT NOT NULL REFERENCES epcis_events(id),
    batch_id  TEXT NOT NULL REFERENCES batches(id),
    PRIMARY KEY (event_id, batch_id)
);
CREATE INDEX epcis_event_batches_batch ON epcis_event_batches(batch_id);

-- Where a stamp was scanned, when the buyer chose to share it: rounded to about a kilometre,
-- with nothing about who scanned. Two scans far apart within hours mean a copied stamp.
CREATE TABLE stamp_scan_places (
    code        TEXT NOT NULL REFERENCES stamps(code),
    scanned_at  TEXT NOT NULL,
    latitude    REAL NOT NULL,
    longitude   REAL NOT NULL
);
CREATE INDEX stamp_scan_places_code ON stamp_scan_places(code, scanned_at);
