-- Documents a producer registers with (business registration, food-safety certificate of the
-- establishment, land-use or lease papers …): private to the producer's account and the
-- commune that decides on it, never public.
CREATE TABLE producer_documents (
    id           TEXT PRIMARY KEY,
    producer_id  TEXT NOT NULL REFERENCES producers(id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    object_key   TEXT NOT NULL,
    file_name    TEXT NOT NULL DEFAULT '',
    file_type    TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX producer_documents_producer ON producer_documents(producer_id, uploaded_at);
