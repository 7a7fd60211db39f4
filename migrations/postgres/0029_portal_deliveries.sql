-- Where a post went besides the portal (the commune's Zalo Official Account …): each attempt's
-- outcome as the receiving service answered.
CREATE TABLE portal_deliveries (
    id        TEXT PRIMARY KEY,
    post_id   TEXT NOT NULL REFERENCES portal_posts(id),
    channel   TEXT NOT NULL,
    status    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '',
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX portal_deliveries_post ON portal_deliveries(post_id, at);
