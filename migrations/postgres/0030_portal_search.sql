-- Search and ordering for the portal at scale: a GIN index over the folded text (the `simple`
-- configuration: no stemming, the text is already folded), and `shown_at` (when readers see
-- a post as published) to order lists through an index. `seq` numbers posts as on SQLite,
-- where it keys the FTS5 index.
ALTER TABLE portal_posts ADD COLUMN seq BIGINT;
ALTER TABLE portal_posts ADD COLUMN shown_at TEXT;
UPDATE portal_posts SET seq = n.seq, shown_at = COALESCE(publish_at, published_at)
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS seq FROM portal_posts) n
    WHERE n.id = portal_posts.id;
INSERT INTO counters (name, value) SELECT 'portal_post', COALESCE(MAX(seq), 0) FROM portal_posts;
CREATE UNIQUE INDEX portal_posts_seq ON portal_posts(seq);
-- Everything a list or a search decides on, reachable from the post number without the row.
CREATE INDEX portal_posts_seq_cover ON portal_posts(seq, unit_id, status, kind, publish_at, expire_at, pinned, shown_at);
CREATE INDEX portal_posts_order ON portal_posts(unit_id, pinned, shown_at, seq);
CREATE INDEX portal_posts_live_unit ON portal_posts(unit_id, status, publish_at, expire_at);
CREATE INDEX portal_posts_search ON portal_posts USING GIN (to_tsvector('simple', search_key));
