-- An asset's fault and maintenance log: a fault reported, a repair, a part replaced, a check,
-- with the day, what was done, the cost and who wrote it.
CREATE TABLE ict_logs (
    id          TEXT PRIMARY KEY,
    asset_id    TEXT NOT NULL REFERENCES ict_assets(id),
    kind        TEXT NOT NULL,
    on_day      TEXT NOT NULL,
    text        TEXT NOT NULL,
    cost_vnd    BIGINT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ict_logs_asset ON ict_logs(asset_id, on_day);

-- A citizen's report about a device (sent from its label's page): the case and the asset.
CREATE TABLE ict_asset_cases (
    asset_id   TEXT NOT NULL REFERENCES ict_assets(id),
    case_id    TEXT NOT NULL REFERENCES feedback_cases(id),
    linked_at  TEXT NOT NULL,
    PRIMARY KEY (asset_id, case_id)
);
CREATE INDEX ict_asset_cases_case ON ict_asset_cases(case_id);
