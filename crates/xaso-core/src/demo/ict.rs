//! The demo's ICT register: each commune of the Đức Hòa area gets its committee office (as a
//! place of the registry) with a few computers, a printer, a scanner and its LAN gear, and free
//! public Wi-Fi at the office and at a market. Everything here is illustrative (the Đức Hòa
//! report says communes equip offices and offer free Wi-Fi, not which devices): names say
//! "(mẫu)", positions are the commune's centre marked approximate, and the week of heartbeats
//! (one market point had an outage, another is offline now) is made up.

use chrono::{DateTime, Duration, Utc};
use xaso_domain::ict::devices::Figures;
use xaso_domain::ict::AssetInput;
use xaso_domain::places::PlaceInput;
use xaso_storage::Store;

use crate::ict::devices;
use crate::{Actor, Result};

/// Today's communes of the Đức Hòa area (the demo's boundaries).
const COMMUNES: &[(&str, &str)] = &[
    ("27931", "HauNghia"),
    ("27937", "DucHoa"),
    ("27943", "AnNinh"),
    ("27952", "HiepHoa"),
    ("27964", "DucLap"),
    ("27976", "MyHanh"),
    ("27979", "HoaKhanh"),
];

const NOTE: &str = "Thiết bị mẫu, số liệu minh họa (dữ liệu mẫu).";

fn asset(kind: &str, name: &str, place: &str, location: &str) -> AssetInput {
    AssetInput {
        kind: kind.into(),
        name: name.into(),
        place_id: place.into(),
        location: location.into(),
        funding: "dt".into(),
        note: NOTE.into(),
        ..Default::default()
    }
}

/// A reporting device of the demo and the token it reports with (kept in memory only).
struct Reporter {
    id: String,
    token: String,
}

async fn beat(store: &Store, r: &Reporter, at: DateTime<Utc>, clients: Option<i64>) -> Result<()> {
    let figures = Figures {
        clients,
        firmware: Some("OpenWrt 23.05.3".into()),
        ..Default::default()
    };
    devices::heartbeat(store, &r.id, &r.token, figures, at).await?;
    Ok(())
}

pub(super) async fn load(
    store: &Store,
    files: &xaso_storage::Files,
    system: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let reform = super::day("2025-07-01");
    let mut reporters: Vec<(usize, Reporter, bool)> = Vec::new();
    for (n, (code, short)) in COMMUNES.iter().enumerate() {
        let unit = crate::units::by_code(store, code, reform).await?;
        let Some((lat, lng)) = crate::places::centre_of(store, &unit.id).await? else {
            continue;
        };
        let place = |kind: &str, name: String, dlat: f64, dlng: f64| PlaceInput {
            kind: kind.into(),
            name,
            latitude: Some(lat + dlat),
            longitude: Some(lng + dlng),
            approximate: true,
            ..Default::default()
        };
        let office = crate::places::create(
            store,
            Some(system),
            code,
            &place(
                "agency",
                format!("Trụ sở UBND {} (mẫu)", unit.full_name),
                0.0,
                0.0,
            ),
        )
        .await?;
        let market = crate::places::create(
            store,
            Some(system),
            code,
            &place("market", format!("Chợ {} (mẫu)", unit.name), 0.004, 0.003),
        )
        .await?;
        let mut office_assets = vec![
            asset(
                "computer",
                "Máy tính bộ phận một cửa số 1",
                &office.id,
                "Bộ phận một cửa",
            ),
            asset(
                "computer",
                "Máy tính bộ phận một cửa số 2",
                &office.id,
                "Bộ phận một cửa",
            ),
            asset(
                "printer",
                "Máy in bộ phận một cửa",
                &office.id,
                "Bộ phận một cửa",
            ),
            asset("scanner", "Máy quét hồ sơ", &office.id, "Bộ phận một cửa"),
            asset("switch", "Switch tầng 1", &office.id, "Phòng máy"),
        ];
        let mut router = asset(
            "router",
            "Router đường truyền chính",
            &office.id,
            "Phòng máy",
        );
        router.ip = "192.168.1.1".into();
        router.admin_url = "http://192.168.1.1/".into();
        let mut office_ap = asset(
            "wifi_ap",
            "Wi-Fi công cộng trụ sở",
            &office.id,
            "Sảnh tiếp dân",
        );
        office_ap.wifi_ssid = format!("UBND-{short}-MienPhi");
        office_ap.wifi_hours = "7:00–17:00 các ngày làm việc".into();
        office_ap.wifi_howto = "Chọn tên mạng, không cần mật khẩu".into();
        office_ap.ip = "192.168.1.20".into();
        let mut market_ap = asset("wifi_ap", "Wi-Fi công cộng chợ", &market.id, "Cổng chợ");
        market_ap.wifi_ssid = format!("Cho-{short}-MienPhi");
        market_ap.wifi_hours = "5:00–19:00 hằng ngày".into();
        market_ap.wifi_howto = "Chọn tên mạng, không cần mật khẩu".into();
        office_assets.push(router);
        let mut ids = Vec::new();
        for a in office_assets.iter().chain([&office_ap, &market_ap]) {
            ids.push(
                crate::ict::create(store, Some(system), code, a)
                    .await?
                    .row
                    .id,
            );
        }
        // The router and both access points report.
        for (i, id) in ids.iter().enumerate().skip(5) {
            let token = devices::make_token(store, Some(system), id).await?;
            let is_market = i == ids.len() - 1;
            reporters.push((
                n,
                Reporter {
                    id: id.clone(),
                    token,
                },
                is_market,
            ));
        }
    }

    // A week of heartbeats, in time order across devices, so the offline check sees what it
    // would have seen: the first commune's market point was down for a day, the second
    // commune's market point has been silent for three hours.
    let week_ago = now - Duration::days(7);
    for (_, r, _) in &reporters {
        beat(store, r, week_ago, Some(0)).await?;
    }
    let outage = now - Duration::days(3);
    let down = |n: usize, market: bool| market && n == 0;
    for (n, r, market) in &reporters {
        let at = if down(*n, *market) {
            outage
        } else {
            outage + Duration::minutes(20)
        };
        beat(store, r, at, Some(6)).await?;
    }
    devices::sweep(store, outage + Duration::minutes(20)).await?;
    for (_, r, _) in &reporters {
        beat(store, r, now - Duration::days(2), Some(4)).await?;
    }
    for (n, r, market) in &reporters {
        let at = if *market && *n == 1 {
            now - Duration::hours(3)
        } else {
            now - Duration::minutes(2)
        };
        beat(store, r, at, Some(if *market { 11 } else { 3 })).await?;
    }
    devices::sweep(store, now).await?;

    // The first commune's market point during its outage: a stall keeper's report from the
    // label's page, the fault logged that day and the repair the next.
    if let Some((_, r, _)) = reporters.iter().find(|(n, _, market)| *n == 0 && *market) {
        let commune = COMMUNES[0].0;
        crate::feedback::submit(
            store,
            files,
            None,
            crate::feedback::Report {
                category: crate::ict::REPORT_CATEGORY.into(),
                description: "Wi-Fi miễn phí ở cổng chợ không vào được mạng từ sáng (dữ liệu mẫu)."
                    .into(),
                location: crate::feedback::Location {
                    unit_code: commune.into(),
                    ..Default::default()
                },
                reporter: Default::default(),
                channel: xaso_domain::feedback::Channel::QrPoster,
                photos: Vec::new(),
                asset_id: Some(r.id.clone()),
            },
        )
        .await?;
        let day = |d: DateTime<Utc>| xaso_domain::time::format_date_vn(d.date_naive());
        for (kind, on, text, cost) in [
            (
                "fault",
                outage,
                "Người dân báo không vào được mạng; bộ phát mất nguồn (minh họa).",
                "",
            ),
            (
                "part",
                outage + Duration::days(1),
                "Thay bộ nguồn 12V của bộ phát (minh họa).",
                "250.000",
            ),
        ] {
            crate::ict::logs::add(
                store,
                Some(system),
                &r.id,
                &xaso_domain::ict::logs::LogInput {
                    kind: kind.into(),
                    on_day: day(on),
                    text: text.into(),
                    cost_vnd: cost.into(),
                    status: String::new(),
                },
            )
            .await?;
        }
    }
    Ok(())
}
