-- An alert's drawn area (CAP polygon text, `lat,lon …`), empty when the officer chose units only.
ALTER TABLE alerts ADD COLUMN polygon TEXT NOT NULL DEFAULT '';
