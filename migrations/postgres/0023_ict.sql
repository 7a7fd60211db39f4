-- The ICT register: the commune's devices as assets. Kinds are data (a province adds its own);
-- network details (IP, MAC, VLAN, admin URL) are for staff only; a public Wi-Fi point's network
-- name, hours and how to connect are public. Every asset has a tag of its commune
-- (27937-TB-0001, numbered per commune by the counters table).
CREATE TABLE ict_kinds (
    key                TEXT PRIMARY KEY,
    name_vi            TEXT NOT NULL,
    name_en            TEXT NOT NULL DEFAULT '',
    offline_after_min  BIGINT,
    public_wifi        BIGINT NOT NULL DEFAULT 0,
    position           BIGINT NOT NULL DEFAULT 100,
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
INSERT INTO ict_kinds (key, name_vi, name_en, offline_after_min, public_wifi, position, updated_by, updated_at) VALUES
    ('computer', 'Máy tính để bàn', 'Desktop computer', NULL, 0, 1, 'migration', '2026-12-03T00:00:00Z'),
    ('laptop', 'Máy tính xách tay', 'Laptop', NULL, 0, 2, 'migration', '2026-12-03T00:00:00Z'),
    ('printer', 'Máy in', 'Printer', NULL, 0, 3, 'migration', '2026-12-03T00:00:00Z'),
    ('scanner', 'Máy quét', 'Scanner', NULL, 0, 4, 'migration', '2026-12-03T00:00:00Z'),
    ('router', 'Bộ định tuyến (router)', 'Router', 10, 0, 5, 'migration', '2026-12-03T00:00:00Z'),
    ('switch', 'Bộ chuyển mạch (switch)', 'Switch', NULL, 0, 6, 'migration', '2026-12-03T00:00:00Z'),
    ('wifi_ap', 'Điểm phát Wi-Fi công cộng', 'Public Wi-Fi access point', 15, 1, 7, 'migration', '2026-12-03T00:00:00Z'),
    ('camera', 'Camera', 'Camera', 10, 0, 8, 'migration', '2026-12-03T00:00:00Z'),
    ('ups', 'Bộ lưu điện (UPS)', 'UPS', NULL, 0, 9, 'migration', '2026-12-03T00:00:00Z'),
    ('server', 'Máy chủ', 'Server', 10, 0, 10, 'migration', '2026-12-03T00:00:00Z'),
    ('kiosk', 'Ki-ốt tra cứu', 'Kiosk', 30, 0, 11, 'migration', '2026-12-03T00:00:00Z'),
    ('speaker_cluster', 'Cụm loa truyền thanh', 'Loudspeaker cluster', 30, 0, 12, 'migration', '2026-12-03T00:00:00Z'),
    ('e_board', 'Bảng tin điện tử', 'E-bulletin board', 30, 0, 13, 'migration', '2026-12-03T00:00:00Z');

CREATE TABLE ict_assets (
    id              TEXT PRIMARY KEY,
    unit_id         TEXT NOT NULL REFERENCES units(id),
    tag             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL REFERENCES ict_kinds(key),
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    place_id        TEXT REFERENCES places(id),
    location        TEXT NOT NULL DEFAULT '',
    custodian       TEXT NOT NULL DEFAULT '',
    serial          TEXT NOT NULL DEFAULT '',
    model           TEXT NOT NULL DEFAULT '',
    purchased_on    TEXT,
    funding         TEXT,
    value_vnd       BIGINT,
    warranty_until  TEXT,
    status          TEXT NOT NULL,
    ip              TEXT,
    mac             TEXT,
    vlan            BIGINT,
    admin_url       TEXT,
    wifi_ssid       TEXT NOT NULL DEFAULT '',
    wifi_hours      TEXT NOT NULL DEFAULT '',
    wifi_howto      TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX ict_assets_unit ON ict_assets(unit_id, kind);
CREATE INDEX ict_assets_place ON ict_assets(place_id);
CREATE INDEX ict_assets_serial ON ict_assets(serial);
