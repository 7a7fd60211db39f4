-- Search and ordering for the portal at scale. Each post gets a stable number (`seq`, from a
-- counter: SQLite may renumber rowids on VACUUM) that keys its row in an FTS5 index of its
-- folded text, kept by triggers; `shown_at` (when readers see it as published) orders lists
-- through an index instead of a sort.
ALTER TABLE portal_posts ADD COLUMN seq INTEGER;
ALTER TABLE portal_posts ADD COLUMN shown_at TEXT;
UPDATE portal_posts SET seq = rowid, shown_at = COALESCE(publish_at, published_at);
INSERT INTO counters (name, value) SELECT 'portal_post', COALESCE(MAX(seq), 0) FROM portal_posts;
CREATE UNIQUE INDEX portal_posts_seq ON portal_posts(seq);
-- Everything a list or a search decides on, reachable from the post number without the row.
CREATE INDEX portal_posts_seq_cover ON portal_posts(seq, unit_id, status, kind, publish_at, expire_at, pinned, shown_at);
CREATE INDEX portal_posts_order ON portal_posts(unit_id, pinned, shown_at, seq);
CREATE INDEX portal_posts_live_unit ON portal_posts(unit_id, status, publish_at, expire_at);

CREATE VIRTUAL TABLE portal_search USING fts5(search_key, tokenize = 'unicode61');
INSERT INTO portal_search(rowid, search_key) SELECT seq, search_key FROM portal_posts;
CREATE TRIGGER portal_search_insert AFTER INSERT ON portal_posts BEGIN
    INSERT INTO portal_search(rowid, search_key) VALUES (new.seq, new.search_key);
END;
CREATE TRIGGER portal_search_update AFTER UPDATE OF search_key ON portal_posts BEGIN
    DELETE FROM portal_search WHERE rowid = old.seq;
    INSERT INTO portal_search(rowid, search_key) VALUES (new.seq, new.search_key);
END;
CREATE TRIGGER portal_search_delete AFTER DELETE ON portal_posts BEGIN
    DELETE FROM portal_search WHERE rowid = old.seq;
END;
