-- Agricultural plots of a commune: their shape (GeoJSON, longitude first), geodesic area, land
-- use and irrigation, and who holds them (private: never on public pages). The bounding box
-- columns let a map view read only the plots it shows.
CREATE TABLE agri_plots (
    id            TEXT PRIMARY KEY,
    unit_id       TEXT NOT NULL REFERENCES units(id),
    village_id    TEXT REFERENCES units(id),
    name          TEXT NOT NULL,
    land_use      TEXT NOT NULL,
    irrigation    TEXT,
    tenure        TEXT,
    holder        TEXT NOT NULL DEFAULT '',
    holder_phone  TEXT NOT NULL DEFAULT '',
    geometry      TEXT NOT NULL,
    area_m2       REAL NOT NULL,
    min_lat       REAL NOT NULL,
    min_lng       REAL NOT NULL,
    max_lat       REAL NOT NULL,
    max_lng       REAL NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX agri_plots_box ON agri_plots(unit_id, min_lat, max_lat, min_lng, max_lng);
