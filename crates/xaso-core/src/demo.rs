//! Demo data: Long An before the 2025 reform, Tây Ninh after it, the Đức Hòa mapping, a few
//! villages named in public sources, and one account per role. Loaded only by `xaso demo`;
//! `serve` never creates accounts.

use chrono::NaiveDate;
use xaso_domain::auth::Role;
use xaso_domain::units::NewVillage;
use xaso_storage::{settings, Files, Store};

use crate::criteria::Entry;
use crate::units::{import_csv, ImportOptions};
use crate::users::{self, RoleGrant};
use crate::{Actor, Result};
use xaso_domain::criteria::{Kind, NtmLevel};

const LONG_AN_2024: &[u8] = include_bytes!("../../../data/admin-units/long-an-2024.csv");
const UNITS_2025: &[u8] = include_bytes!("../../../data/admin-units/vn-units-2025.csv");
const DUC_HOA_MAPPING: &[u8] = include_bytes!("../../../data/admin-units/duc-hoa-mapping-2025.csv");
const DUC_HOA_BOUNDARIES: &[u8] =
    include_bytes!("../../../data/admin-units/duc-hoa-area-communes-2025.geojson");
/// A one-page PDF saying it stands in for the records a commune would scan (data/demo/README.md).
const ILLUSTRATIVE_EVIDENCE: &[u8] = include_bytes!("../../../data/demo/minh-chung-minh-hoa.pdf");

/// The password of every demo account. Demo only: printed at start and in the README.
pub const DEMO_PASSWORD: &str = "xaso-demo-2026";
/// The administrator's API token in the demo, fixed so scripts can drive it.
pub const DEMO_ADMIN_TOKEN: &str = "demo-admin-token";
/// Settings key marking an installation that holds demo data (the UI labels it).
pub const DEMO_FLAG: &str = "demo";

/// A demo account: username, what it is for (Vietnamese), role, unit code and the date the
/// code is read on.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub unit_code: Option<&'static str>,
    pub as_of: &'static str,
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "quantri",
        display_name: "Quản trị hệ thống (mẫu)",
        role: Role::Admin,
        unit_code: None,
        as_of: "2024-06-30",
    },
    DemoAccount {
        username: "canbo.duchoa",
        display_name: "Cán bộ phụ trách địa bàn Đức Hòa (mẫu)",
        role: Role::AreaOfficer,
        unit_code: Some("802"),
        as_of: "2024-06-30",
    },
    DemoAccount {
        username: "canbo.duchoaha",
        display_name: "Cán bộ xã Đức Hòa Hạ (mẫu)",
        role: Role::CommuneOfficer,
        unit_code: Some("27985"),
        as_of: "2024-06-30",
    },
    DemoAccount {
        username: "tocns.binhta1",
        display_name: "Tổ công nghệ số ấp Bình Tả 1 (mẫu)",
        role: Role::VillageTeam,
        unit_code: Some("27985-01"),
        as_of: "2024-06-30",
    },
    DemoAccount {
        username: "canbo.xaduchoa",
        display_name: "Cán bộ Xã Đức Hòa (mới, từ 01/7/2025) (mẫu)",
        role: Role::CommuneOfficer,
        unit_code: Some("27937"),
        as_of: "2025-07-01",
    },
    DemoAccount {
        username: "coso.suongsam",
        display_name: "Cơ sở sản xuất sương sâm (mẫu)",
        role: Role::Producer,
        unit_code: Some("27967"),
        as_of: "2024-06-30",
    },
];

/// Villages named in public sources about Đức Hòa (see shared/reference/duc-hoa-facts.md), under
/// the communes they belonged to before the reform.
const VILLAGES: &[(&str, &str, &str)] = &[
    ("27985", "Ấp", "Bình Tả 1"),
    ("27985", "Ấp", "Bình Tả 2"),
    ("27946", "Ấp", "Sơn Lợi"),
    ("27946", "Ấp", "An Ninh"),
    ("27943", "Ấp", "An Hiệp"),
    ("27967", "Ấp", "Bình Hữu 2"),
    ("27967", "Ấp", "Nhơn Hòa 1"),
    ("27955", "Ấp", "Chánh"),
    ("27964", "Ấp", "Tràm Lạc"),
];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid demo date")
}

/// Whether the demo has been loaded into this database.
pub async fn is_loaded(store: &Store) -> Result<bool> {
    let mut conn = store.read().await?;
    Ok(settings::get(&mut conn, DEMO_FLAG).await?.is_some())
}

/// Loads the demo once; later calls do nothing. Returns whether it loaded now.
pub async fn load(store: &Store, files: &Files) -> Result<bool> {
    if is_loaded(store).await? {
        return Ok(false);
    }
    crate::criteria::ensure_national(store).await?;
    let system = Actor::system("demo");
    let reform = day("2025-07-01");
    let last_old_day = day("2025-06-30");
    import_csv(
        store,
        &system,
        LONG_AN_2024,
        &ImportOptions {
            valid_from: None,
            valid_to: Some(last_old_day),
            effective: reform,
            province: None,
            source: "long-an-2024.csv".into(),
        },
    )
    .await?;
    import_csv(
        store,
        &system,
        UNITS_2025,
        &ImportOptions {
            valid_from: Some(reform),
            valid_to: None,
            effective: reform,
            province: Some("80".into()),
            source: "vn-units-2025.csv (Tây Ninh)".into(),
        },
    )
    .await?;
    import_csv(
        store,
        &system,
        DUC_HOA_MAPPING,
        &ImportOptions {
            valid_from: None,
            valid_to: None,
            effective: reform,
            province: None,
            source: "duc-hoa-mapping-2025.csv".into(),
        },
    )
    .await?;
    for (commune, kind, name) in VILLAGES {
        let v = NewVillage::parse(name, kind, None).expect("valid demo village");
        crate::units::add_village(store, Some(&system), commune, day("2024-06-30"), v).await?;
    }
    for a in ACCOUNTS {
        let grant = RoleGrant {
            role: a.role,
            unit_code: a.unit_code.map(str::to_string),
        };
        let id = users::add(
            store,
            &system,
            a.username,
            a.display_name,
            DEMO_PASSWORD,
            &[grant],
            day(a.as_of),
        )
        .await?;
        if a.role == Role::Admin {
            users::insert_token(
                store,
                &system,
                &id,
                "demo (fixed token, demo only)",
                DEMO_ADMIN_TOKEN,
            )
            .await?;
        }
    }
    load_criteria(store, files, &system).await?;
    load_places(store, &system).await?;
    let mut tx = store.begin().await?;
    settings::set(tx.conn(), DEMO_FLAG, "1").await?;
    tx.commit().await?;
    Ok(true)
}

/// Đức Hòa's 17 xã in 2023 and 2024 as reported in February 2024 (shared/reference/duc-hoa-facts.md):
/// 16 of 17 met NTM (not Đức Hòa Hạ); 5 met NTM nâng cao. Which criteria Đức Hòa Hạ lacked, and
/// every number, is illustrative and labelled so in each value's note.
const DUC_HOA_XA: &[&str] = &[
    "27940", "27943", "27946", "27949", "27952", "27955", "27958", "27961", "27964", "27967",
    "27970", "27973", "27976", "27979", "27982", "27985", "27988",
];
/// The advanced communes of the report: Mỹ Hạnh Nam, Đức Lập Hạ, An Ninh Tây, Lộc Giang, Đức Hòa Thượng.
const NANG_CAO: &[&str] = &["27976", "27958", "27946", "27940", "27967"];
const NOT_YET_NTM: &str = "27985";
/// 2024 targets of the report: Đức Hòa Hạ → NTM, Đức Lập Thượng → nâng cao, Mỹ Hạnh Nam → kiểu mẫu.
const TARGETS_2024: &[(&str, NtmLevel)] = &[
    ("27985", NtmLevel::Ntm),
    ("27955", NtmLevel::NangCao),
    ("27976", NtmLevel::KieuMau),
];
const ILLUSTRATIVE: &str = "Số liệu minh họa (dữ liệu mẫu)";

async fn load_criteria(store: &Store, files: &Files, system: &Actor) -> Result<()> {
    // A province would enter its own thresholds. The demo does not invent any: indicators whose
    // threshold for the Mekong Delta is unknown become judged (Đạt / Không đạt) in a demo version.
    for key in ["vn-xa-ntm-2021-2025", "vn-xa-ntm-nang-cao-2021-2025"] {
        let mut set = crate::criteria::set(store, key).await?.set;
        for c in &mut set.criteria {
            for i in &mut c.indicators {
                if i.kind != Kind::Judged && i.threshold("DBSCL", 2023).is_none() {
                    i.kind = Kind::Judged;
                    i.thresholds.clear();
                    i.unit = None;
                    i.source = Some(format!(
                        "{} — DEMO: judged Đạt/Không đạt because no Mekong Delta threshold is known",
                        i.source.clone().unwrap_or_default()
                    ));
                }
            }
        }
        crate::criteria::save_set(
            store,
            system,
            set,
            "Dữ liệu mẫu: chỉ tiêu chưa có ngưỡng vùng ĐBSCL được đánh giá Đạt/Không đạt",
        )
        .await?;
    }
    let sets = crate::criteria::sets_for_year(store, 2023).await?;
    for year in [2023, 2024] {
        for code in DUC_HOA_XA {
            let target = if year == 2024 {
                TARGETS_2024
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, l)| *l)
                    .or_else(|| current_level(code))
            } else {
                None
            };
            crate::criteria::set_profile(store, Some(system), code, year, "DBSCL", target).await?;
            let mut entries = Vec::new();
            for v in &sets {
                let fill = match v.set.level {
                    NtmLevel::Ntm => true,
                    NtmLevel::NangCao => NANG_CAO.contains(code),
                    _ => *code == "27976",
                };
                if !fill {
                    continue;
                }
                for c in &v.set.criteria {
                    for i in &c.indicators {
                        let raw = demo_value(code, &v.set.key, &c.no, i);
                        entries.push(Entry {
                            set_key: v.set.key.clone(),
                            code: i.code.clone(),
                            raw,
                            note: Some(ILLUSTRATIVE.into()),
                        });
                    }
                }
            }
            crate::criteria::save_values(store, Some(system), code, year, &entries).await?;
            // One illustrative file backs every value, so the commune can submit the year.
            let backed: Vec<(String, String)> = entries
                .iter()
                .filter(|e| !e.raw.is_empty())
                .map(|e| (e.set_key.clone(), e.code.clone()))
                .collect();
            crate::evidence::attach(
                store,
                files,
                Some(system),
                code,
                year,
                &backed,
                "minh-chung-minh-hoa.pdf",
                ILLUSTRATIVE_EVIDENCE.to_vec(),
            )
            .await?;
        }
    }
    Ok(())
}

/// Villages of the new Xã Đức Hòa (27937): the hamlets of old Đức Hòa Hạ kept their names when
/// the commune merged (illustrative: which hamlets and their numbering after the merger are not
/// in the sources).
const VILLAGES_2025: &[(&str, &str, &str)] =
    &[("27937", "Ấp", "Bình Tả 1"), ("27937", "Ấp", "Bình Tả 2")];

/// The relics of the Đức Hòa area (shared/reference/duc-hoa-facts.md, section 1): name, the
/// commune since 2025, and a position where one is known (else the commune's centre, marked
/// approximate). Texts are our own summaries.
type Relic = (&'static str, &'static str, Option<(f64, f64)>, &'static str);
const RELICS: &[Relic] = &[
    (
        "Khu di tích lịch sử Ngã tư Đức Hòa",
        "27937",
        Some((10.82550, 106.45675)),
        "Giao lộ ĐT 824 và ĐT 825",
    ),
    (
        "Cụm di tích khảo cổ Bình Tả (Gò Xoài, Gò Đồn, Gò Năm Tước)",
        "27937",
        None,
        "Ấp Bình Tả, Đức Hòa Hạ cũ",
    ),
    (
        "Di tích khảo cổ An Sơn",
        "27943",
        None,
        "Ấp Sơn Lợi, An Ninh Tây cũ",
    ),
    (
        "Vườn, nhà ông Bộ Thỏ — nơi thành lập Chi bộ Đảng đầu tiên của tỉnh Chợ Lớn",
        "27964",
        None,
        "Ấp Bình Hữu 2, Đức Hòa Thượng cũ (nay Đức Lập hoặc Mỹ Hạnh)",
    ),
    (
        "Khu lưu niệm truyền thống Trung đoàn 271",
        "27943",
        None,
        "Ấp An Hiệp – ấp An Ninh",
    ),
    ("Đồn Đức Lập", "27931", None, "Ấp Chánh, Đức Lập Thượng cũ"),
    ("Đình Mỹ Hạnh", "27964", None, "Ấp Tràm Lạc, Mỹ Hạnh Bắc cũ"),
    (
        "Chùa Linh Nguyên",
        "27937",
        None,
        "Ấp Bình Tả 1, Đức Hòa Hạ cũ",
    ),
];

async fn load_places(store: &Store, system: &Actor) -> Result<()> {
    let reform = day("2025-07-01");
    crate::places::import_boundaries(
        store,
        system,
        DUC_HOA_BOUNDARIES,
        reform,
        "duc-hoa-area-communes-2025.geojson (sapnhap.bando.com.vn via thanglequoc/vietnamese-provinces-database)",
    )
    .await?;
    for (commune, kind, name) in VILLAGES_2025 {
        let v = NewVillage::parse(name, kind, Some(reform)).expect("valid demo village");
        crate::units::add_village(store, Some(system), commune, reform, v).await?;
    }
    for (name, commune, at, address) in RELICS {
        let unit = crate::units::by_code(store, commune, reform).await?;
        let (lat, lng, approximate) = match at {
            Some((lat, lng)) => (*lat, *lng, false),
            None => {
                let (lat, lng) = crate::places::centre_of(store, &unit.id)
                    .await?
                    .expect("demo boundaries loaded");
                (lat, lng, true)
            }
        };
        let input = xaso_domain::places::PlaceInput {
            kind: "relic".into(),
            name: name.to_string(),
            address: address.to_string(),
            latitude: Some(lat),
            longitude: Some(lng),
            approximate,
            ..Default::default()
        };
        crate::places::create(store, Some(system), commune, &input).await?;
    }
    Ok(())
}

fn current_level(code: &str) -> Option<NtmLevel> {
    if NANG_CAO.contains(&code) {
        Some(NtmLevel::NangCao)
    } else if code == NOT_YET_NTM {
        None
    } else {
        Some(NtmLevel::Ntm)
    }
}

/// An illustrative value: Đạt for judged indicators (Đức Hòa Hạ lacks criteria 10, 13 and 17),
/// a plausible number meeting the known thresholds, and Mỹ Hạnh Nam's model-commune income short
/// of the 10% margin.
fn demo_value(
    code: &str,
    set_key: &str,
    criterion: &str,
    i: &xaso_domain::criteria::Indicator,
) -> String {
    if code == NOT_YET_NTM
        && set_key == "vn-xa-ntm-2021-2025"
        && ["10", "13", "17"].contains(&criterion)
    {
        return "Không đạt".into();
    }
    match (i.kind, i.code.as_str()) {
        (Kind::Judged, _) => "Đạt".into(),
        (_, "15.3") => "12,5".into(),
        (_, "KM2") => "8".into(),
        (_, "KM3") => "1".into(),
        _ => String::new(),
    }
}
