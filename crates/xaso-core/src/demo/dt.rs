//! The digital-transformation programme in the demo: community digital teams in the villages of
//! the Đức Hòa area's new communes, the May 2024 training that Đức Hòa reported (over 300
//! members of the communes' DT steering committees and teams; trainer: a deputy director of
//! Long An's provincial ICT centre; shared/reference/dt-programme.md), a session open today
//! for trying the check-in, and support records.
//!
//! What the sources say is kept as they say it; everything else (members' names, the day in
//! May, who attended, every support figure) is illustrative and labelled "(mẫu)" or in the
//! course's description.

use chrono::{Datelike, NaiveDate};
use xaso_domain::dt::{MemberInput, Method, SessionInput};
use xaso_domain::units::NewVillage;
use xaso_storage::Store;

use crate::dt::support::SupportInput;
use crate::dt::teams::TeamInput;
use crate::dt::training::{CourseInput, Person, SessionForm};
use crate::{Actor, Result};

/// The demo account of a team leader (village-team role on Ấp Bình Tả 1 of Xã Đức Hòa).
pub const TEAM_ACCOUNT: &str = "totruong.binhta1";

/// Villages named in public sources, under the new communes their old communes went into
/// (shared/data mapping; which hamlets each new commune kept is illustrative).
const MORE_VILLAGES: &[(&str, &str)] = &[
    ("27943", "Sơn Lợi"),
    ("27943", "An Ninh"),
    ("27943", "An Hiệp"),
    ("27931", "Chánh"),
    ("27964", "Tràm Lạc"),
];

/// Communes whose villages get a team in the demo.
const TEAM_COMMUNES: &[&str] = &["27937", "27943", "27931", "27964"];

/// Participants of the May 2024 training who are not in the demo's team lists.
const OTHER_PARTICIPANTS: usize = 298;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid demo date")
}

/// A small deterministic sequence, so every demo has the same figures.
fn spread(i: usize, modulo: usize) -> usize {
    (i * 7 + 3) % modulo
}

pub(super) async fn load(
    store: &Store,
    files: &xaso_storage::files::Files,
    system: &Actor,
    password: &str,
) -> Result<()> {
    let reform = day("2025-07-01");
    for (commune, name) in MORE_VILLAGES {
        let v = NewVillage::parse(name, "Ấp", Some(reform)).expect("valid demo village");
        crate::units::add_village(store, Some(system), commune, reform, v).await?;
    }
    // Teams: the village head leads, a deputy and four members (guidance 793/BTTTT-THH: the
    // village head and at least two members).
    let mut leader_of_binh_ta_1 = None;
    for commune in TEAM_COMMUNES {
        let c = crate::dt::commune(store, commune).await?;
        for v in crate::dt::villages(store, &c).await? {
            let team = crate::dt::teams::create(
                store,
                Some(system),
                &v.code,
                &TeamInput {
                    decision_no: String::new(),
                    decision_date: String::new(),
                    show_leader: v.code == "27937-01",
                },
            )
            .await?;
            let people = [
                ("leader", format!("Trưởng ấp {} (mẫu)", v.name)),
                ("deputy", format!("Tổ phó ấp {} (mẫu)", v.name)),
                ("member", format!("Thành viên 1 ấp {} (mẫu)", v.name)),
                ("member", format!("Thành viên 2 ấp {} (mẫu)", v.name)),
                ("member", format!("Thành viên 3 ấp {} (mẫu)", v.name)),
                ("member", format!("Thành viên 4 ấp {} (mẫu)", v.name)),
            ];
            for (role, name) in people {
                let id = crate::dt::teams::add_member(
                    store,
                    Some(system),
                    &team,
                    &MemberInput {
                        name,
                        role: role.into(),
                        active: true,
                        joined_on: "2022-03-05".into(),
                        ..Default::default()
                    },
                )
                .await?;
                if v.code == "27937-01" && role == "leader" {
                    leader_of_binh_ta_1 = Some(id);
                }
            }
        }
    }
    if let Some(id) = leader_of_binh_ta_1 {
        crate::dt::teams::give_account(store, Some(system), &id, TEAM_ACCOUNT, password).await?;
    }
    // The May 2024 training, as a course of Xã Đức Hòa (the commune that now holds the old
    // district's seat). Its day in May is not in the report.
    let course = crate::dt::training::create_course(
        store,
        Some(system),
        "27937",
        &CourseInput {
            title: "Tập huấn chuyển đổi số cho Ban Chỉ đạo xã và tổ công nghệ số cộng đồng (tháng 5/2024)".into(),
            topics: vec!["dt_overview".into(), "safety".into(), "public_services".into()],
            audience: "members".into(),
            description: "Theo báo cáo năm 2024 của huyện Đức Hòa: tháng 5/2024 huyện tập huấn cho hơn 300 thành viên Ban Chỉ đạo chuyển đổi số các xã, thị trấn và tổ công nghệ số cộng đồng; giảng viên là Phó Giám đốc Trung tâm CNTT-TT tỉnh Long An. Ngày học và danh sách học viên ở đây là minh họa (dữ liệu mẫu).".into(),
        },
    )
    .await?;
    let session = crate::dt::training::create_session(
        store,
        Some(system),
        &course,
        &SessionForm {
            input: SessionInput {
                day: "2024-05-20".into(),
                starts: "07:30".into(),
                ends: "16:30".into(),
                place_note: "Huyện Đức Hòa (địa điểm minh họa)".into(),
                trainer: "Phó Giám đốc Trung tâm CNTT-TT tỉnh Long An".into(),
                capacity: "400".into(),
            },
            place_id: String::new(),
        },
    )
    .await?;
    let detail = crate::dt::training::session(store, Some(system), &session).await?;
    let mut people: Vec<Person> = detail
        .roster
        .iter()
        .map(|l| Person {
            member_id: Some(l.member_id.clone()),
            ..Default::default()
        })
        .collect();
    for i in 1..=OTHER_PARTICIPANTS {
        people.push(Person {
            name: format!("Học viên mẫu {i:03}"),
            ..Default::default()
        });
    }
    crate::dt::training::record(store, Some(system), &session, &people, Method::Xlsx).await?;
    crate::dt::training::close(store, Some(system), &session).await?;
    // A session today, to try the check-in with a phone.
    let today = xaso_domain::time::today_vn();
    let vneid = crate::dt::training::create_course(
        store,
        Some(system),
        "27937",
        &CourseInput {
            title: "Hướng dẫn kích hoạt VNeID mức độ 2 cho người dân (mẫu)".into(),
            topics: vec!["vneid".into(), "safety".into()],
            audience: "citizens".into(),
            description: "Buổi học mẫu để dùng thử điểm danh bằng mã QR.".into(),
        },
    )
    .await?;
    crate::dt::training::create_session(
        store,
        Some(system),
        &vneid,
        &SessionForm {
            input: SessionInput {
                day: today.to_string(),
                starts: "19:00".into(),
                ends: "21:00".into(),
                place_note: "Hội trường Ủy ban nhân dân xã (mẫu)".into(),
                trainer: "Tổ công nghệ số ấp Bình Tả 1 (mẫu)".into(),
                capacity: "60".into(),
            },
            place_id: String::new(),
        },
    )
    .await?;
    // Support records: a few per village and month in 2024 (the plan year of the demo), last year
    // and this year until today.
    let services = [
        "vneid",
        "public_service",
        "cashless",
        "ecommerce",
        "zalo_oa",
        "scam_warning",
    ];
    let mut support_years = vec![2024, today.year() - 1, today.year()];
    support_years.dedup();
    let mut i = 0usize;
    for commune in TEAM_COMMUNES {
        let c2 = crate::dt::commune(store, commune).await?;
        for v in crate::dt::villages(store, &c2).await? {
            for year in support_years.iter().copied() {
                for month in 1..=12u32 {
                    let on = NaiveDate::from_ymd_opt(year, month, 1 + spread(i, 27) as u32)
                        .expect("valid day");
                    if on > today {
                        continue;
                    }
                    i += 1;
                    crate::dt::support::record(
                        store,
                        Some(system),
                        &SupportInput {
                            village_code: v.code.clone(),
                            service: services[spread(i, services.len())].into(),
                            address: String::new(),
                            people: (1 + spread(i, 4)).to_string(),
                            helped_on: on.to_string(),
                            note: "Số liệu minh họa (dữ liệu mẫu)".into(),
                        },
                    )
                    .await?;
                }
            }
        }
    }
    plan(store, files, system, today.year()).await?;
    Ok(())
}

/// Targets per commune for 2024 and this year, and entered figures with their evidence; every
/// figure is illustrative (the 2024 report gives none per commune).
async fn plan(
    store: &Store,
    files: &xaso_storage::files::Files,
    system: &Actor,
    this_year: i32,
) -> Result<()> {
    use crate::dt::plan::{ActualInput, TargetEntry};
    // (key, 2024 target, this year's target) per commune; shares in %.
    const TARGETS: &[(&str, f64, f64)] = &[
        ("members_trained", 20.0, 24.0),
        ("vneid_l2_share", 80.0, 90.0),
        ("online_dossier_share", 60.0, 80.0),
        ("cashless_households", 1200.0, 1500.0),
        ("ecommerce_sellers", 5.0, 8.0),
        ("zalo_households", 1500.0, 1800.0),
        ("wifi_points", 3.0, 5.0),
        ("people_helped", 200.0, 250.0),
        ("vneid_helped", 40.0, 50.0),
    ];
    // Entered figures: (key, 2024 value, this year's value).
    const ENTERED: &[(&str, f64, f64)] = &[
        ("vneid_l2_share", 82.5, 86.0),
        ("online_dossier_share", 55.0, 71.5),
        ("cashless_households", 1310.0, 1420.0),
        ("zalo_households", 1450.0, 1610.0),
    ];
    for (n, commune) in TEAM_COMMUNES.iter().enumerate() {
        let c = crate::dt::commune(store, commune).await?;
        let villages = crate::dt::villages(store, &c).await?;
        for year in [2024, this_year] {
            let mut entries: Vec<TargetEntry> = TARGETS
                .iter()
                .map(|(key, t2024, now)| TargetEntry {
                    unit_code: c.code.clone(),
                    key: (*key).into(),
                    raw: format!("{}", if year == 2024 { *t2024 } else { *now }).replace('.', ","),
                })
                .collect();
            for v in &villages {
                for (key, per_village) in [("members_trained", 6.0), ("people_helped", 50.0)] {
                    entries.push(TargetEntry {
                        unit_code: v.code.clone(),
                        key: key.into(),
                        raw: per_village.to_string(),
                    });
                }
            }
            crate::dt::plan::save_targets(store, Some(system), commune, year, &entries).await?;
            for (key, v2024, now) in ENTERED {
                let value = if year == 2024 { *v2024 } else { *now } - n as f64;
                crate::dt::plan::save_actual(
                    store,
                    files,
                    Some(system),
                    commune,
                    year,
                    ActualInput {
                        key: (*key).into(),
                        value: format!("{value}").replace('.', ","),
                        evidence: "Số liệu minh họa (dữ liệu mẫu), không phải báo cáo thật".into(),
                        file: None,
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}
