-- A commune's own Zalo Official Account, connected by one of its officers through Zalo's OAuth
-- v4 consent (with PKCE). The access token lives about a day and is renewed with the refresh
-- token, which Zalo accepts once: every renewal replaces both, and a renewal only lands if the
-- refresh token it used is still the stored one (two servers never both spend it).
-- The tokens are credentials: never shown on a page, in the audit log or in logs.
CREATE TABLE zalo_oa_links (
    unit_id       TEXT PRIMARY KEY REFERENCES units(id),
    oa_id         TEXT NOT NULL DEFAULT '',
    access_token  TEXT NOT NULL,
    refresh_token TEXT NOT NULL DEFAULT '',
    expires_at    TEXT NOT NULL,
    connected_by  TEXT NOT NULL,
    connected_at  TEXT NOT NULL,
    refreshed_at  TEXT,
    -- Why the last renewal failed (empty when it did not): the page asks to connect again.
    problem       TEXT NOT NULL DEFAULT ''
);

-- A consent under way: the state sent to Zalo, the PKCE verifier kept for the exchange, who
-- asked and for which unit. Used once, and only for 15 minutes.
CREATE TABLE zalo_oa_grants (
    state       TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    verifier    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
