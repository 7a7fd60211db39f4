-- The commune's e-information portal: posts of five kinds (news, announcements, documents,
-- service guides, fixed pages) per unit, their workflow and every revision.
CREATE TABLE portal_posts (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL,
    slug            TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL,
    title_en        TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    summary_en      TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    body_en         TEXT NOT NULL DEFAULT '',
    search_key      TEXT NOT NULL,
    status          TEXT NOT NULL,
    pinned          INTEGER NOT NULL DEFAULT 0,
    publish_at      TEXT,
    expire_at       TEXT,
    published_at    TEXT,
    doc_number      TEXT NOT NULL DEFAULT '',
    doc_date        TEXT,
    doc_issuer      TEXT NOT NULL DEFAULT '',
    doc_type        TEXT NOT NULL DEFAULT '',
    procedure_code  TEXT NOT NULL DEFAULT '',
    where_to_file   TEXT NOT NULL DEFAULT '',
    portal_url      TEXT NOT NULL DEFAULT '',
    revision        INTEGER NOT NULL,
    review_note     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX portal_posts_unit ON portal_posts(unit_id, kind, status, published_at);
CREATE INDEX portal_posts_live ON portal_posts(status, publish_at);
CREATE UNIQUE INDEX portal_pages_slug ON portal_posts(unit_id, slug) WHERE kind = 'page';

-- Every saved version of a post, so changes can be compared.
CREATE TABLE portal_revisions (
    post_id     TEXT NOT NULL REFERENCES portal_posts(id),
    revision    INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,
    saved_by    TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (post_id, revision)
);
