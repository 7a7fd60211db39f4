-- The yearly DT plan. The indicator catalogue is data the province edits: how each actual value
-- is obtained (`measure`: entered, or computed from the programme's records) and how communes'
-- values add up in an area. No national list of team KPIs with definitions was found
-- (shared/reference/dt-programme.md); the entries below are the usual ones it names.
CREATE TABLE dt_indicators (
    key         TEXT PRIMARY KEY,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL,
    measure     TEXT NOT NULL,
    aggregate   TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 100,
    active      INTEGER NOT NULL DEFAULT 1,
    note        TEXT NOT NULL DEFAULT '',
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO dt_indicators (key, name_vi, name_en, unit, measure, aggregate, position, active, note, updated_by, updated_at) VALUES
    ('members_trained', 'Thành viên tổ công nghệ số cộng đồng được tập huấn', 'Community digital team members trained', 'người', 'members_trained', 'sum', 10, 1, 'Tính từ điểm danh các buổi tập huấn trong năm.', 'system', '2026-12-03T00:00:00Z'),
    ('vneid_l2_share', 'Tỷ lệ người trưởng thành có tài khoản định danh điện tử mức 2 (VNeID)', 'Adults with a level-2 electronic identity (VNeID)', '%', 'entered', 'average', 20, 1, 'Nhập theo số liệu của công an xã, kèm minh chứng.', 'system', '2026-12-03T00:00:00Z'),
    ('online_dossier_share', 'Tỷ lệ hồ sơ thủ tục hành chính nộp trực tuyến', 'Administrative dossiers filed online', '%', 'entered', 'average', 30, 1, 'Nhập theo số liệu Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh.', 'system', '2026-12-03T00:00:00Z'),
    ('cashless_households', 'Hộ gia đình có tài khoản thanh toán không dùng tiền mặt', 'Households with a cashless payment account', 'hộ', 'entered', 'sum', 40, 1, 'Nhập theo số liệu ngân hàng, bưu điện hoặc điều tra của xã.', 'system', '2026-12-03T00:00:00Z'),
    ('ecommerce_sellers', 'Hộ, cơ sở bán hàng trên sàn thương mại điện tử', 'Households and businesses selling on e-commerce platforms', 'cơ sở', 'ecommerce_sellers', 'sum', 50, 1, 'Tính từ cơ sở sản xuất đã duyệt có sản phẩm trên sàn (Postmart, Voso …).', 'system', '2026-12-03T00:00:00Z'),
    ('zalo_households', 'Hộ tham gia nhóm Zalo của ấp', 'Households in their village''s Zalo group', 'hộ', 'entered', 'sum', 60, 1, 'Nhập theo báo cáo của tổ công nghệ số cộng đồng.', 'system', '2026-12-03T00:00:00Z'),
    ('wifi_points', 'Điểm Wi-Fi công cộng miễn phí', 'Free public Wi-Fi points', 'điểm', 'wifi_points', 'sum', 70, 1, 'Tính từ địa điểm loại Wi-Fi công cộng trong sổ địa điểm.', 'system', '2026-12-03T00:00:00Z'),
    ('people_helped', 'Lượt người dân được tổ công nghệ số hỗ trợ', 'People helped by the digital teams', 'lượt', 'support', 'sum', 80, 1, 'Tính từ sổ hỗ trợ người dân của các tổ.', 'system', '2026-12-03T00:00:00Z'),
    ('vneid_helped', 'Lượt hỗ trợ kích hoạt VNeID', 'People helped to activate VNeID', 'lượt', 'support:vneid', 'sum', 90, 1, 'Tính từ sổ hỗ trợ người dân của các tổ.', 'system', '2026-12-03T00:00:00Z');

-- Targets per unit (a commune, or one of its villages) and year.
CREATE TABLE dt_targets (
    unit_id        TEXT NOT NULL REFERENCES units(id),
    year           INTEGER NOT NULL,
    indicator_key  TEXT NOT NULL REFERENCES dt_indicators(key),
    target         REAL NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (unit_id, year, indicator_key)
);
CREATE INDEX dt_targets_year ON dt_targets(year);

-- Actual values typed for entered indicators, each with its evidence: where the figure comes
-- from (required) and, optionally, a scanned document.
CREATE TABLE dt_actuals (
    unit_id             TEXT NOT NULL REFERENCES units(id),
    year                INTEGER NOT NULL,
    indicator_key       TEXT NOT NULL REFERENCES dt_indicators(key),
    value               REAL NOT NULL,
    evidence            TEXT NOT NULL,
    evidence_file       TEXT,
    evidence_file_name  TEXT NOT NULL DEFAULT '',
    entered_by          TEXT NOT NULL,
    entered_at          TEXT NOT NULL,
    PRIMARY KEY (unit_id, year, indicator_key)
);
CREATE INDEX dt_actuals_year ON dt_actuals(year);
CREATE INDEX dt_attendance_village ON dt_attendance(village_id);
-- Totals per commune and service for the plan and the roll-up, read from the index alone.
CREATE INDEX dt_support_totals ON dt_support(commune_id, service, helped_on, people);
