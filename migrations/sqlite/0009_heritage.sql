-- Photos of places, heritage details of relics (texts per language, rank, audio guides) and
-- tours (ordered lists of relics). Bytes live in the file store; rows hold their keys.
CREATE TABLE place_photos (
    id           TEXT PRIMARY KEY,
    place_id     TEXT NOT NULL REFERENCES places(id),
    object_key   TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    caption      TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX place_photos_place ON place_photos(place_id, position);

CREATE TABLE relics (
    place_id    TEXT PRIMARY KEY REFERENCES places(id),
    rank        TEXT NOT NULL,
    decision    TEXT NOT NULL DEFAULT '',
    texts       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE relic_audio (
    id            TEXT PRIMARY KEY,
    place_id      TEXT NOT NULL REFERENCES places(id),
    lang          TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    object_key    TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX relic_audio_place ON relic_audio(place_id, lang);

CREATE TABLE tours (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    texts       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tours_unit ON tours(unit_id);

CREATE TABLE tour_stops (
    tour_id   TEXT NOT NULL REFERENCES tours(id),
    position  INTEGER NOT NULL,
    place_id  TEXT NOT NULL REFERENCES places(id),
    PRIMARY KEY (tour_id, position)
);
CREATE INDEX tour_stops_place ON tour_stops(place_id);
