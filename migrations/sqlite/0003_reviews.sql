-- Approval of a commune's year of indicator data: submitted by the commune, approved (locked) or
-- returned by the area officer, reopened with a reason. The history is in the audit log.
CREATE TABLE year_reviews (
    unit_id     TEXT NOT NULL REFERENCES units(id),
    year        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    comment     TEXT,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (unit_id, year)
);
