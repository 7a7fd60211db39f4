-- Nearest-place queries read id and position straight from the index (no table lookups):
-- the cell index becomes a covering one.
DROP INDEX places_cell;
CREATE INDEX places_cell ON places(cell, status, kind, latitude, longitude, id);
