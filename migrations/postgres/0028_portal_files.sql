-- A post's picture (resized, with a thumbnail; shown on the page and in shared links) and its
-- attached file (a document's PDF).
ALTER TABLE portal_posts ADD COLUMN image_key TEXT;
ALTER TABLE portal_posts ADD COLUMN thumb_key TEXT;
ALTER TABLE portal_posts ADD COLUMN image_alt TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_posts ADD COLUMN file_key TEXT;
ALTER TABLE portal_posts ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_posts ADD COLUMN file_size BIGINT;
