-- The commune's digital-transformation programme: community digital technology teams (one per
-- village or residential group) and their members, training (topics, courses, sessions,
-- attendance, certificates) and the support teams give households. Members' contacts and the
-- names of people trained or helped are private: public pages show counts only.
CREATE TABLE dt_teams (
    id                  TEXT PRIMARY KEY,
    unit_id             TEXT NOT NULL UNIQUE REFERENCES units(id),
    commune_id          TEXT NOT NULL REFERENCES units(id),
    decision_no         TEXT NOT NULL DEFAULT '',
    decision_date       TEXT,
    decision_file       TEXT,
    decision_file_name  TEXT NOT NULL DEFAULT '',
    show_leader         BIGINT NOT NULL DEFAULT 0,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX dt_teams_commune ON dt_teams(commune_id);

CREATE TABLE dt_members (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES dt_teams(id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    role        TEXT NOT NULL,
    phone       TEXT,
    contact     TEXT NOT NULL DEFAULT '',
    active      BIGINT NOT NULL DEFAULT 1,
    joined_on   TEXT,
    left_on     TEXT,
    username    TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX dt_members_team ON dt_members(team_id, name_key);
CREATE INDEX dt_members_phone ON dt_members(phone);

-- Training topics: the built-in ones (commune_id NULL) and those a commune adds.
CREATE TABLE dt_topics (
    id          TEXT PRIMARY KEY,
    commune_id  TEXT REFERENCES units(id),
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    position    BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
INSERT INTO dt_topics (id, commune_id, name_vi, name_en, position, created_at) VALUES
    ('vneid', NULL, 'Kích hoạt và sử dụng VNeID mức độ 2', 'Activating and using VNeID level 2', 1, '2026-12-03T00:00:00Z'),
    ('public_services', NULL, 'Dịch vụ công trực tuyến quốc gia và của tỉnh', 'National and provincial online public services', 2, '2026-12-03T00:00:00Z'),
    ('cashless', NULL, 'Thanh toán không dùng tiền mặt', 'Cashless payment', 3, '2026-12-03T00:00:00Z'),
    ('ecommerce', NULL, 'Bán hàng trên sàn thương mại điện tử (Postmart, Voso)', 'Selling on e-commerce platforms (Postmart, Voso)', 4, '2026-12-03T00:00:00Z'),
    ('digital_skills', NULL, 'Kỹ năng số cơ bản', 'Basic digital skills', 5, '2026-12-03T00:00:00Z'),
    ('safety', NULL, 'Phòng chống lừa đảo và an toàn trên mạng', 'Online scams and staying safe', 6, '2026-12-03T00:00:00Z'),
    ('health_records', NULL, 'Sổ sức khỏe điện tử', 'Electronic health records', 7, '2026-12-03T00:00:00Z'),
    ('dt_overview', NULL, 'Tổng quan chuyển đổi số cấp xã và cách tuyên truyền cho người dân', 'Commune-level digital transformation and how to explain it to people', 8, '2026-12-03T00:00:00Z');

CREATE TABLE dt_courses (
    id           TEXT PRIMARY KEY,
    commune_id   TEXT NOT NULL REFERENCES units(id),
    title        TEXT NOT NULL,
    topics       TEXT NOT NULL DEFAULT '[]',
    audience     TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX dt_courses_commune ON dt_courses(commune_id, created_at);

CREATE TABLE dt_sessions (
    id          TEXT PRIMARY KEY,
    course_id   TEXT NOT NULL REFERENCES dt_courses(id),
    commune_id  TEXT NOT NULL REFERENCES units(id),
    day         TEXT NOT NULL,
    starts      TEXT NOT NULL,
    ends        TEXT NOT NULL,
    place_id    TEXT REFERENCES places(id),
    place_note  TEXT NOT NULL DEFAULT '',
    trainer     TEXT NOT NULL DEFAULT '',
    capacity    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX dt_sessions_course ON dt_sessions(course_id, day);
CREATE INDEX dt_sessions_commune ON dt_sessions(commune_id, day);

-- One row per person per session: person_key is the member's id, or the folded name with the
-- phone for someone who is not a member, so the same person is never counted twice.
CREATE TABLE dt_attendance (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES dt_sessions(id),
    person_key   TEXT NOT NULL,
    member_id    TEXT REFERENCES dt_members(id),
    name         TEXT NOT NULL,
    village_id   TEXT REFERENCES units(id),
    phone        TEXT,
    method       TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (session_id, person_key)
);
CREATE INDEX dt_attendance_member ON dt_attendance(member_id);

CREATE TABLE dt_certificates (
    id              TEXT PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    attendance_id   TEXT NOT NULL REFERENCES dt_attendance(id),
    session_id      TEXT NOT NULL REFERENCES dt_sessions(id),
    commune_id      TEXT NOT NULL REFERENCES units(id),
    name            TEXT NOT NULL,
    issued_on       TEXT NOT NULL,
    issued_by       TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    revoked_at      TEXT,
    revoked_by      TEXT,
    revoked_reason  TEXT NOT NULL DEFAULT '',
    replaces        TEXT REFERENCES dt_certificates(id)
);
CREATE INDEX dt_certificates_session ON dt_certificates(session_id);
CREATE INDEX dt_certificates_attendance ON dt_certificates(attendance_id);

-- Help a team gave a household or a person: which service, where (a registered place, or
-- nowhere for an anonymous person), when and by whom. No names are kept.
CREATE TABLE dt_support (
    id           TEXT PRIMARY KEY,
    commune_id   TEXT NOT NULL REFERENCES units(id),
    village_id   TEXT NOT NULL REFERENCES units(id),
    service      TEXT NOT NULL,
    place_id     TEXT REFERENCES places(id),
    people       BIGINT NOT NULL DEFAULT 1,
    helped_on    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX dt_support_commune ON dt_support(commune_id, helped_on);
CREATE INDEX dt_support_village ON dt_support(village_id, helped_on);
