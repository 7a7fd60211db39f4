//! Demo data: Long An before the 2025 reform, Tây Ninh after it, the Đức Hòa mapping, a few
//! villages named in public sources, and one account per role. Loaded only by `xaso demo`;
//! `serve` never creates accounts.

mod agri;
mod broadcast;
mod dt;
mod feedback;
mod ict;
mod portal;
mod producers;

use chrono::NaiveDate;
use xaso_domain::auth::Role;
use xaso_domain::heritage::{Rank, RelicInput, RelicText, TourInput, TourText};
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
/// The Open311 api_key of the demo (real keys are random and shown once).
pub const DEMO_OPEN311_KEY: &str = "demo-open311-key";
/// Settings key marking an installation that holds demo data (the UI labels it).
pub const DEMO_FLAG: &str = "demo";
pub use dt::TEAM_ACCOUNT;

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
        username: "coso.dauphong",
        display_name: "Cơ sở đậu phộng Minh Họa (mẫu)",
        role: Role::Producer,
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
pub async fn load(store: &Store, files: &Files, base_url: &str) -> Result<bool> {
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
    producers::load(store, files, &system, base_url).await?;
    feedback::load_feedback(store, files, &system).await?;
    dt::load(store, files, &system, DEMO_PASSWORD).await?;
    ict::load(store, files, &system, chrono::Utc::now()).await?;
    portal::load(store, &system, chrono::Utc::now()).await?;
    broadcast::load(store, files, &system, base_url).await?;
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
        // The NTM link, as a province would set it: 8.4 (IT and DT in the commune's management)
        // shows the DT plan's figure beside the judgement. Which figure is illustrative.
        for i in set
            .criteria
            .iter_mut()
            .flat_map(|c| c.indicators.iter_mut())
        {
            if i.code == "8.4" {
                i.dt_indicator = Some("people_helped".into());
            }
        }
        crate::criteria::save_set(
            store,
            system,
            set,
            "Dữ liệu mẫu: chỉ tiêu chưa có ngưỡng vùng ĐBSCL được đánh giá Đạt/Không đạt; 8.4 liên kết chỉ tiêu CĐS people_helped (minh họa)",
        )
        .await?;
    }
    // The 2026–2030 set's digital-transformation criterion (7), whose indicators were not
    // retrieved, shows the same figure beside its judgement.
    let mut set = crate::criteria::set(store, "vn-xa-ntm-2026-2030")
        .await?
        .set;
    for i in set
        .criteria
        .iter_mut()
        .flat_map(|c| c.indicators.iter_mut())
    {
        if i.code == "7" {
            i.dt_indicator = Some("people_helped".into());
        }
    }
    crate::criteria::save_set(
        store,
        system,
        set,
        "Dữ liệu mẫu: tiêu chí 7 liên kết chỉ tiêu CĐS people_helped (minh họa)",
    )
    .await?;
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

/// The relics of the Đức Hòa area (shared/reference/duc-hoa-facts.md, section 1): names, the
/// commune since 2025, a position where one is known (else the commune's centre, marked
/// approximate), rank and decision as the sources give them, and short texts in our own words.
/// Visiting hours are not in the sources, so none are given.
struct DemoRelic {
    name_vi: &'static str,
    name_en: &'static str,
    commune: &'static str,
    at: Option<(f64, f64)>,
    address: &'static str,
    rank: Rank,
    decision: &'static str,
    summary_vi: &'static str,
    summary_en: &'static str,
    history_vi: &'static str,
    history_en: &'static str,
}

const RELICS: &[DemoRelic] = &[
    DemoRelic {
        name_vi: "Khu di tích lịch sử Ngã tư Đức Hòa",
        name_en: "Đức Hòa Crossroads historical site",
        commune: "27937",
        at: Some((10.82550, 106.45675)),
        address: "Giao lộ ĐT 824 và ĐT 825",
        rank: Rank::National,
        decision: "QĐ 1570/QĐ-VH ngày 05/9/1989 của Bộ Văn hóa – Thông tin",
        summary_vi: "Nơi hơn 5.000 nông dân biểu tình ngày 4/6/1930 dưới sự lãnh đạo của Châu Văn Liêm và Võ Văn Tần; Châu Văn Liêm hy sinh tại đây.",
        summary_en: "Where more than 5,000 farmers marched on 4 June 1930, led by Châu Văn Liêm and Võ Văn Tần; Châu Văn Liêm was shot dead here.",
        history_vi: "Ngày 4/6/1930, hơn 5.000 nông dân trong vùng kéo về ngã tư Đức Hòa đòi giảm sưu thuế. Cuộc biểu tình do Châu Văn Liêm và Võ Văn Tần lãnh đạo; Châu Văn Liêm bị bắn chết khi đang nói chuyện với đoàn người.\n\nSau cuộc Khởi nghĩa Nam Kỳ, tháng 7/1941 chính quyền thực dân xử bắn tại đây 29 chiến sĩ khởi nghĩa.\n\nNgày nay khu di tích có tượng đài Võ Văn Tần cao 10 m và bức phù điêu Châu Văn Liêm.",
        history_en: "On 4 June 1930 more than 5,000 farmers from the district gathered at the Đức Hòa crossroads to demand lower taxes. The march was led by Châu Văn Liêm and Võ Văn Tần; Châu Văn Liêm was shot while addressing the crowd.\n\nAfter the Cochinchina uprising, the colonial authorities executed 29 of its fighters here in July 1941.\n\nThe site now has a 10-metre statue of Võ Văn Tần and a relief of Châu Văn Liêm.",
    },
    DemoRelic {
        name_vi: "Cụm di tích khảo cổ Bình Tả (Gò Xoài, Gò Đồn, Gò Năm Tước)",
        name_en: "Bình Tả archaeological sites (Gò Xoài, Gò Đồn, Gò Năm Tước)",
        commune: "27937",
        at: None,
        address: "Ấp Bình Tả, Đức Hòa Hạ cũ",
        rank: Rank::National,
        decision: "Xếp hạng năm 1989 (số quyết định chưa tìm thấy)",
        summary_vi: "Nền móng đền tháp của một trung tâm tôn giáo thuộc văn hóa Óc Eo; bộ 26 lá vàng tìm thấy ở Gò Xoài là bảo vật quốc gia.",
        summary_en: "Temple foundations of an Óc Eo-culture religious centre; a set of 26 gold leaves found at Gò Xoài is a national treasure.",
        history_vi: "Ba gò đất gần nhau là phế tích kiến trúc đền thờ Ấn Độ giáo và Phật giáo của văn hóa Óc Eo, được khai quật năm 1987–1988.\n\nTại Gò Xoài, các nhà khảo cổ tìm thấy bộ 26 hiện vật vàng lá, trong đó một lá khắc bài kinh Phật bằng chữ Phạn. Năm 2020 khu vực bảo vệ được điều chỉnh còn khoảng 40.376 m².",
        history_en: "The three nearby mounds are the ruins of Hindu and Buddhist temples of the Óc Eo culture, excavated in 1987–1988.\n\nAt Gò Xoài archaeologists found 26 objects of gold leaf, one inscribed with a Buddhist text in Sanskrit. In 2020 the protected zone was set at about 40,376 m².",
    },
    DemoRelic {
        name_vi: "Di tích khảo cổ An Sơn",
        name_en: "An Sơn archaeological site",
        commune: "27943",
        at: None,
        address: "Ấp Sơn Lợi, An Ninh Tây cũ",
        rank: Rank::National,
        decision: "QĐ 324/QĐ-BVHTTDL ngày 26/01/2011",
        summary_vi: "Một làng cư trú và mộ táng thời tiền sử lớn bên sông Vàm Cỏ Đông, có niên đại vài nghìn năm.",
        summary_en: "A large prehistoric village and burial ground by the Vàm Cỏ Đông river, several thousand years old.",
        history_vi: "Gò đất hình lòng chảo cao hơn mặt ruộng 6–7 m, cách bờ trái sông Vàm Cỏ Đông chừng 300 m. Người Pháp phát hiện địa điểm năm 1938; các đợt khai quật năm 1978, 1997, 2004, 2007 và 2009 cho thấy dấu vết cư trú kéo dài khoảng từ 4.500 đến 2.500 năm trước.\n\nTrên đỉnh gò có chùa Phước Trường, người dân quen gọi là chùa Đất.",
        history_en: "A bowl-shaped mound 6–7 m above the fields, about 300 m from the left bank of the Vàm Cỏ Đông. French archaeologists found the site in 1938; digs in 1978, 1997, 2004, 2007 and 2009 showed people lived here from roughly 4,500 to 2,500 years ago.\n\nPhước Trường pagoda, known locally as the Earth Pagoda, stands on top of the mound.",
    },
    DemoRelic {
        name_vi: "Vườn, nhà ông Bộ Thỏ — nơi thành lập Chi bộ Đảng đầu tiên của tỉnh Chợ Lớn",
        name_en: "Mr Bộ Thỏ's house and garden, where Chợ Lớn province's first Party cell was founded",
        commune: "27964",
        at: None,
        address: "Ấp Bình Hữu 2, Đức Hòa Thượng cũ (nay Đức Lập hoặc Mỹ Hạnh)",
        rank: Rank::Provincial,
        decision: "QĐ 518 ngày 01/02/2000 của UBND tỉnh Long An (một số nguồn ghi là di tích quốc gia)",
        summary_vi: "Ngày 6/3/1930, Võ Văn Tần chủ trì cuộc họp bí mật tại đây, thành lập chi bộ Đảng Cộng sản đầu tiên của tỉnh Chợ Lớn.",
        summary_en: "On 6 March 1930 Võ Văn Tần chaired a secret meeting here that founded the first Communist Party cell of Chợ Lớn province.",
        history_vi: "Khu vườn có ao nước và cây khế che một hầm bí mật. Tại cuộc họp ngày 6/3/1930, chi bộ An Nam Cộng sản Đảng ở địa phương được chuyển thành chi bộ Đảng Cộng sản đầu tiên của tỉnh Chợ Lớn, gồm 7 đảng viên.\n\nBia tưởng niệm dựng năm 1994; di tích được trùng tu từ năm 2012 và sửa chữa thêm năm 2022.",
        history_en: "The garden has a pond and a carambola tree that hid a secret shelter. At the meeting of 6 March 1930 the local An Nam Communist Party cell became the first Communist Party cell of Chợ Lớn province, with seven members.\n\nA memorial stele was put up in 1994; the site was restored from 2012 and repaired again in 2022.",
    },
    DemoRelic {
        name_vi: "Khu lưu niệm truyền thống Trung đoàn 271",
        name_en: "Regiment 271 memorial area",
        commune: "27943",
        at: None,
        address: "Ấp An Hiệp – ấp An Ninh",
        rank: Rank::Provincial,
        decision: "QĐ 7581 ngày 17/8/2022 của UBND tỉnh Long An",
        summary_vi: "Sở chỉ huy cũ của Trung đoàn 271, ghi nhớ các trận đánh năm 1972–1975 của Tiểu đoàn 7, nơi gần 500 cán bộ, chiến sĩ hy sinh.",
        summary_en: "The former command post of Regiment 271, remembering the battles of its 7th Battalion in 1972–1975, in which nearly 500 soldiers died.",
        history_vi: "Khu lưu niệm nằm trên đất hai ấp của An Ninh Đông và An Ninh Tây cũ, nơi từng đặt sở chỉ huy Trung đoàn 271. Di tích được trùng tu và xếp hạng cấp tỉnh năm 2022.",
        history_en: "The memorial area spans two hamlets of the former An Ninh Đông and An Ninh Tây communes, where Regiment 271 had its command post. It was restored and ranked as a provincial relic in 2022.",
    },
    DemoRelic {
        name_vi: "Đồn Đức Lập",
        name_en: "Đức Lập outpost",
        commune: "27931",
        at: None,
        address: "Ấp Chánh, Đức Lập Thượng cũ",
        rank: Rank::Listed,
        decision: "",
        summary_vi: "Hai đồn nối nhau, một vuông một tam giác, nơi quân dân Long An ba lần tấn công trong kháng chiến chống Mỹ.",
        summary_en: "Two linked forts, one square and one triangular, attacked three times by Long An forces during the war against the US.",
        history_vi: "Đồn do người Pháp xây (bót Đức Lập), sau là nơi đóng quân của các tiểu đoàn Biệt động quân 33 và 51. Ba trận Đức Lập 1, 2, 3 là một phần truyền thống chiến đấu của Long An.",
        history_en: "The French built the post (bót Đức Lập); later it housed Ranger Battalions 33 and 51 of the southern army. The three battles of Đức Lập are part of Long An's wartime history.",
    },
    DemoRelic {
        name_vi: "Đình Mỹ Hạnh",
        name_en: "Mỹ Hạnh communal house",
        commune: "27964",
        at: None,
        address: "Ấp Tràm Lạc, Mỹ Hạnh Bắc cũ",
        rank: Rank::Listed,
        decision: "",
        summary_vi: "Ngôi đình của làng Mỹ Hạnh xưa, dựng lại năm 1992 theo lối tứ trụ.",
        summary_en: "The communal house of the old Mỹ Hạnh village, rebuilt in 1992 in the four-pillar style.",
        history_vi: "Đình rộng 255 m² trên khu đất 3.400 m².",
        history_en: "The hall covers 255 m² on a 3,400 m² lot.",
    },
    DemoRelic {
        name_vi: "Chùa Linh Nguyên",
        name_en: "Linh Nguyên pagoda",
        commune: "27937",
        at: None,
        address: "Ấp Bình Tả 1, Đức Hòa Hạ cũ",
        rank: Rank::Listed,
        decision: "",
        summary_vi: "Ngôi chùa được đặt tên khoảng năm 1802 theo thiền sư Minh Nguyên, đệ tử của vị khai sơn Hải Tịnh.",
        summary_en: "A pagoda named around 1802 after the monk Minh Nguyên, a disciple of its founder Hải Tịnh.",
        history_vi: "",
        history_en: "",
    },
];

/// Demo tours: (unit code or None for the province of the first stop, vi name, en name, vi
/// description, en description, stops by index into RELICS).
type DemoTour = (
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [usize],
);
const TOURS: &[DemoTour] = &[
    (
        Some("27937"),
        "Di sản xã Đức Hòa",
        "Heritage of Đức Hòa commune",
        "Ba di tích trong xã, đi được trong một buổi.",
        "Three sites in the commune, a half-day visit.",
        &[0, 1, 7],
    ),
    (
        None,
        "Địa chỉ đỏ Đức Hòa",
        "Revolutionary heritage of Đức Hòa",
        "Những nơi ghi dấu phong trào cách mạng của vùng Đức Hòa từ năm 1930 đến năm 1975.",
        "Places that mark the revolutionary movement of the Đức Hòa area from 1930 to 1975.",
        &[3, 0, 4, 5],
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
    let mut ids = Vec::with_capacity(RELICS.len());
    for r in RELICS {
        let unit = crate::units::by_code(store, r.commune, reform).await?;
        let (lat, lng, approximate) = match r.at {
            Some((lat, lng)) => (lat, lng, false),
            None => {
                let (lat, lng) = crate::places::centre_of(store, &unit.id)
                    .await?
                    .expect("demo boundaries loaded");
                (lat, lng, true)
            }
        };
        let input = xaso_domain::places::PlaceInput {
            kind: "relic".into(),
            name: r.name_vi.to_string(),
            address: r.address.to_string(),
            latitude: Some(lat),
            longitude: Some(lng),
            approximate,
            ..Default::default()
        };
        let place = crate::places::create(store, Some(system), r.commune, &input).await?;
        let mut texts = xaso_domain::heritage::Texts::new();
        for (lang, name, summary, history) in [
            ("vi", r.name_vi, r.summary_vi, r.history_vi),
            ("en", r.name_en, r.summary_en, r.history_en),
        ] {
            texts.insert(
                lang.to_string(),
                RelicText {
                    name: name.into(),
                    summary: summary.into(),
                    history: history.into(),
                    hours: String::new(),
                },
            );
        }
        let details = RelicInput {
            rank: r.rank.as_str().into(),
            decision: r.decision.into(),
            texts,
        };
        crate::heritage::set_relic(store, Some(system), &place.id, &details).await?;
        ids.push(place);
    }
    for (unit, name_vi, name_en, desc_vi, desc_en, stops) in TOURS {
        let unit_code = match unit {
            Some(c) => c.to_string(),
            None => {
                let commune = &ids[stops[0]].commune;
                let mut conn = store.read().await?;
                let parent = commune.parent_id.clone().unwrap_or_default();
                xaso_storage::units::by_id(&mut conn, &parent)
                    .await?
                    .map(|u| u.code)
                    .unwrap_or_else(|| commune.code.clone())
            }
        };
        let mut texts = xaso_domain::heritage::Texts::new();
        for (lang, name, description) in [("vi", name_vi, desc_vi), ("en", name_en, desc_en)] {
            texts.insert(
                lang.to_string(),
                TourText {
                    name: name.to_string(),
                    description: description.to_string(),
                },
            );
        }
        let input = TourInput {
            texts,
            stops: stops.iter().map(|i| ids[*i].id.clone()).collect(),
        };
        crate::heritage::save_tour(store, Some(system), &unit_code, None, &input).await?;
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
