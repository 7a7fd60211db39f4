-- Farming on a commune's plots: growing areas (vùng trồng) with the code the plant-protection
-- authority issued, the commune's seasons, plantings (a crop on a plot for a season), field logs
-- (inputs, observations, harvests), and the link from a product batch to the planting it came
-- from. A plot may belong to a producer (a farm that sells through the platform).
CREATE TABLE agri_growing_areas (
    id            TEXT PRIMARY KEY,
    unit_id       TEXT NOT NULL REFERENCES units(id),
    -- As issued; its format is the issuer's (kept as text, never generated here).
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    crop          TEXT NOT NULL,
    decision      TEXT NOT NULL DEFAULT '',
    issued_by     TEXT NOT NULL DEFAULT '',
    valid_from    TEXT,
    valid_until   TEXT,
    -- A code made up for the demonstration, labelled as such wherever it shows.
    illustrative  INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX agri_growing_areas_code ON agri_growing_areas(unit_id, code);

ALTER TABLE agri_plots ADD COLUMN producer_id TEXT REFERENCES producers(id);
ALTER TABLE agri_plots ADD COLUMN growing_area_id TEXT REFERENCES agri_growing_areas(id);
CREATE INDEX agri_plots_producer ON agri_plots(producer_id);
CREATE INDEX agri_plots_growing_area ON agri_plots(growing_area_id);

-- A season of a commune: a standard one (key `dong-xuan-2026`: its kind and the year it starts)
-- or a custom one; the key is what province statistics add up over.
CREATE TABLE agri_seasons (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX agri_seasons_key ON agri_seasons(unit_id, key);
CREATE INDEX agri_seasons_by_key ON agri_seasons(key);

CREATE TABLE agri_plantings (
    id            TEXT PRIMARY KEY,
    plot_id       TEXT NOT NULL REFERENCES agri_plots(id),
    season_id     TEXT NOT NULL REFERENCES agri_seasons(id),
    crop          TEXT NOT NULL,
    variety       TEXT NOT NULL DEFAULT '',
    sown_area_m2  DOUBLE PRECISION NOT NULL,
    sown_on       TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    -- Kept with the planting for the statistics: its plot's village when planted, and its
    -- harvests so far (how many, and their total in kg), updated with each harvest logged.
    village_id    TEXT REFERENCES units(id),
    harvests      INTEGER NOT NULL DEFAULT 0,
    harvest_kg    DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX agri_plantings_plot ON agri_plantings(plot_id, sown_on);
-- A season's statistics read this index alone.
CREATE INDEX agri_plantings_season ON agri_plantings(season_id, village_id, crop, sown_area_m2,
    harvests, harvest_kg);

-- One entry of a plot's field log. kind: input (fertiliser or pesticide), observation (pest or
-- disease), harvest. A pesticide's pre-harvest interval (thời gian cách ly) is the label's, as
-- entered; a harvest logged inside it carries the warning it was shown.
CREATE TABLE agri_logs (
    id                 TEXT PRIMARY KEY,
    plot_id            TEXT NOT NULL REFERENCES agri_plots(id),
    planting_id        TEXT REFERENCES agri_plantings(id),
    kind               TEXT NOT NULL,
    done_on            TEXT NOT NULL,
    input_type         TEXT,
    product            TEXT NOT NULL DEFAULT '',
    active_ingredient  TEXT NOT NULL DEFAULT '',
    dose               TEXT NOT NULL DEFAULT '',
    phi_days           INTEGER,
    pest               TEXT NOT NULL DEFAULT '',
    severity           TEXT,
    photo_key          TEXT,
    quantity           DOUBLE PRECISION,
    quantity_unit      TEXT,
    quantity_kg        DOUBLE PRECISION,
    note               TEXT NOT NULL DEFAULT '',
    warning            TEXT NOT NULL DEFAULT '',
    recorded_by        TEXT NOT NULL,
    recorded_at        TEXT NOT NULL
);
CREATE INDEX agri_logs_plot ON agri_logs(plot_id, done_on);
CREATE INDEX agri_logs_planting ON agri_logs(planting_id, kind);

ALTER TABLE batches ADD COLUMN planting_id TEXT REFERENCES agri_plantings(id);

-- An extension officer's notice to the farmers of a crop, a growing area, a village or the whole
-- commune: kept with the SMS-ready text made from it and what became of its portal post.
CREATE TABLE agri_advisories (
    id               TEXT PRIMARY KEY,
    unit_id          TEXT NOT NULL REFERENCES units(id),
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    audience         TEXT NOT NULL,
    crop             TEXT,
    growing_area_id  TEXT REFERENCES agri_growing_areas(id),
    village_id       TEXT REFERENCES units(id),
    sms_text         TEXT NOT NULL,
    plots            INTEGER NOT NULL DEFAULT 0,
    portal_post_id   TEXT,
    relay_status     TEXT NOT NULL DEFAULT 'queued',
    relay_detail     TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX agri_advisories_unit ON agri_advisories(unit_id, created_at);

-- A livestock survey: head of each species per village on a survey date.
CREATE TABLE agri_livestock (
    id           TEXT PRIMARY KEY,
    unit_id      TEXT NOT NULL REFERENCES units(id),
    village_id   TEXT NOT NULL REFERENCES units(id),
    surveyed_on  TEXT NOT NULL,
    species      TEXT NOT NULL,
    head         BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX agri_livestock_count ON agri_livestock(village_id, surveyed_on, species);
CREATE INDEX agri_livestock_survey ON agri_livestock(unit_id, surveyed_on);

-- Farm households and organisations: who works the plots (a household, a cooperative, a
-- cooperative group, a company), with their contacts (private to the commune's staff), the
-- registered place they live or work at, and the producer they sell through, if any.
CREATE TABLE agri_farms (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    village_id      TEXT REFERENCES units(id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    representative  TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    place_id        TEXT REFERENCES places(id),
    producer_id     TEXT REFERENCES producers(id),
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX agri_farms_unit ON agri_farms(unit_id, name);
ALTER TABLE agri_plots ADD COLUMN farm_id TEXT REFERENCES agri_farms(id);
CREATE INDEX agri_plots_farm ON agri_plots(farm_id);
