-- Nearest-place queries read id and position straight from the index (an index-only scan once
-- the table is vacuumed): the cell index becomes a covering one.
DROP INDEX places_cell;
CREATE INDEX places_cell ON places(cell) INCLUDE (status, kind, latitude, longitude, id);
