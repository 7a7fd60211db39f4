-- Failed sign-ins and other limited uses (anonymous reports, sign-ups) counted per key in a
-- window, in the database so that every server instance counts the same tries.
CREATE TABLE throttle_counts (
    key          TEXT PRIMARY KEY,
    count        BIGINT NOT NULL,
    window_start TEXT NOT NULL
);
