//! Agriculture in the demo: the peanut producer's two fields in a growing area (its code made
//! up and labelled so), four households' rice fields in Xã Đức Hòa, three seasons with their
//! plantings, a field log with a spraying and a pest, harvests, and the peanut batch linked to
//! the planting it came from. Every name, date, dose and figure is illustrative; the season
//! dates follow the usual calendar of the area (Đông Xuân from late November to April) but are
//! not an official calendar.

use serde_json::json;
use xaso_domain::agri::farming::{GrowingAreaInput, LogInput, PlantingInput, SeasonInput};
use xaso_storage::files::Files;
use xaso_storage::Store;

use crate::agri::farming;
use crate::{Actor, Error, Result};

const COMMUNE: &str = "27937";
/// A made-up code, shown with the label "mã minh họa" wherever it appears: the real format
/// belongs to the plant-protection authority and is not reproduced here.
pub const DEMO_AREA_CODE: &str = "MINH-HOA-DH-0001";

/// A rectangle of `w` × `h` degrees whose south-west corner is `(lat, lng)`, as GeoJSON.
fn field(lat: f64, lng: f64, w: f64, h: f64) -> serde_json::Value {
    json!({"type": "Polygon", "coordinates": [[
        [lng, lat], [lng + w, lat], [lng + w, lat + h], [lng, lat + h], [lng, lat]
    ]]})
}

async fn log(
    store: &Store,
    files: &Files,
    system: &Actor,
    plot: &str,
    input: LogInput,
) -> Result<()> {
    match farming::add_log(store, files, Some(system), plot, &input, None, false).await? {
        farming::LogOutcome::Saved(_) => Ok(()),
        farming::LogOutcome::TooEarly { .. } => Err(Error::Internal(
            "a demo harvest fell inside a pesticide's interval".into(),
        )),
    }
}

fn harvest(done_on: &str, quantity: &str, unit: &str) -> LogInput {
    LogInput {
        kind: "harvest".into(),
        done_on: done_on.into(),
        quantity: quantity.into(),
        quantity_unit: unit.into(),
        ..Default::default()
    }
}

/// Loads the demo's agriculture; returns the planting the peanut batch came from.
pub(super) async fn load(
    store: &Store,
    files: &Files,
    system: &Actor,
    producer_id: &str,
    base_url: &str,
) -> Result<String> {
    let today = xaso_domain::time::today_vn();
    let unit = crate::units::by_code(store, COMMUNE, today).await?;
    let (_, villages) = crate::units::children(store, COMMUNE, today).await?;
    let village = |i: usize| villages.get(i).map(|v| v.code.clone()).unwrap_or_default();
    let (clat, clng) = crate::places::centre_of(store, &unit.id)
        .await?
        .ok_or_else(|| Error::Internal("the demo commune has no boundary".into()))?;

    let mut seasons = Vec::new();
    for (kind, year, starts, ends) in [
        ("dong-xuan", "2025", "2025-11-15", "2026-04-15"),
        ("he-thu", "2026", "2026-04-16", "2026-08-31"),
        ("dong-xuan", "2026", "2026-11-15", "2027-04-15"),
    ] {
        let s = farming::add_season(
            store,
            Some(system),
            COMMUNE,
            &SeasonInput {
                kind: kind.into(),
                year: year.into(),
                name: String::new(),
                starts_on: starts.into(),
                ends_on: ends.into(),
            },
        )
        .await?;
        seasons.push(s.id);
    }
    farming::add_growing_area(
        store,
        Some(system),
        COMMUNE,
        &GrowingAreaInput {
            code: DEMO_AREA_CODE.into(),
            name: "Vùng đậu phộng Bình Tả (mẫu)".into(),
            crop: "peanut".into(),
            decision: "Minh họa — không phải quyết định thật".into(),
            issued_by: "(mẫu)".into(),
            valid_from: "2025-10-01".into(),
            valid_until: "2028-09-30".into(),
        },
        true,
    )
    .await?;

    // Who works the fields: the producer's own household (at its workshop's address) and a
    // cooperative group of rice growers.
    let workshop = {
        let mut conn = store.read().await?;
        xaso_storage::producers::producer(&mut conn, producer_id)
            .await?
            .and_then(|p| p.place_id)
    };
    let workshop = match workshop {
        Some(id) => crate::places::public(store, Some(&id))
            .await?
            .map(|p| p.plus_code),
        None => None,
    };
    let household = crate::agri::farm::create(
        store,
        Some(system),
        COMMUNE,
        &xaso_domain::agri::farm::FarmInput {
            kind: "household".into(),
            name: "Hộ trồng đậu phộng Minh Họa (mẫu)".into(),
            representative: "Người đại diện minh họa".into(),
            village: village(0),
            place: workshop.unwrap_or_default(),
            producer: producer_id.into(),
            ..Default::default()
        },
    )
    .await?;
    let group = crate::agri::farm::create(
        store,
        Some(system),
        COMMUNE,
        &xaso_domain::agri::farm::FarmInput {
            kind: "group".into(),
            name: "Tổ hợp tác trồng lúa Bình Tả (mẫu)".into(),
            village: village(0),
            ..Default::default()
        },
    )
    .await?;
    // The producer's two peanut fields (about 0.6 and 0.4 ha), a little west of the centre,
    // away from the relics and places the demo puts near it.
    let mut features = Vec::new();
    for (name, dlat, dlng, w, h) in [
        (
            "Ruộng đậu phộng bờ kênh (mẫu)",
            -0.012,
            -0.016,
            0.0009,
            0.0006,
        ),
        (
            "Ruộng đậu phộng gò cao (mẫu)",
            -0.012,
            -0.0145,
            0.0006,
            0.0006,
        ),
    ] {
        features.push(json!({"type": "Feature",
            "geometry": field(clat + dlat, clng + dlng, w, h),
            "properties": {"name": name, "land_use": "HNK", "irrigation": "pumped",
                "tenure": "owner", "holder": "Cơ sở đậu phộng Minh Họa (mẫu)",
                "village": village(0), "producer": producer_id, "farm": household.id}}));
    }
    // Four households' rice fields (holders' names are private and made up).
    for (i, (dlat, dlng)) in [
        (-0.010, -0.010),
        (-0.010, -0.0088),
        (-0.0088, -0.010),
        (-0.0088, -0.0088),
    ]
    .into_iter()
    .enumerate()
    {
        features.push(json!({"type": "Feature",
            "geometry": field(clat + dlat, clng + dlng, 0.001, 0.001),
            "properties": {"name": format!("Ruộng lúa số {} (mẫu)", i + 1), "land_use": "LUA",
                "irrigation": "canal", "tenure": if i == 3 { "tenant" } else { "owner" },
                "holder": format!("Hộ trồng lúa {} (mẫu)", i + 1),
                "village": village(i / 2), "farm": group.id}}));
    }
    let plots = crate::agri::create(
        store,
        Some(system),
        COMMUNE,
        &json!({"type": "FeatureCollection", "features": features}),
    )
    .await?;
    for p in &plots[..2] {
        farming::set_plot_area(store, Some(system), &p.id, DEMO_AREA_CODE).await?;
    }

    let plant = |plot: String, season: String, crop: &str, variety: &str, sown_on: &str| {
        let input = PlantingInput {
            season,
            crop: crop.into(),
            variety: variety.into(),
            sown_area_ha: String::new(),
            sown_on: sown_on.into(),
        };
        async move { farming::add_planting(store, Some(system), &plot, &input).await }
    };
    // Đông Xuân 2025–2026: peanuts on the producer's fields, rice on the households'.
    let peanut = plant(
        plots[0].id.clone(),
        seasons[0].clone(),
        "peanut",
        "Lì (mẫu)",
        "2025-12-01",
    )
    .await?;
    plant(
        plots[1].id.clone(),
        seasons[0].clone(),
        "peanut",
        "Lì (mẫu)",
        "2025-12-03",
    )
    .await?;
    let first = &plots[0].id;
    for input in [
        LogInput {
            kind: "input".into(),
            done_on: "2025-12-20".into(),
            input_type: "fertiliser".into(),
            product: "Phân NPK 20-20-15 (mẫu)".into(),
            dose: "25 kg cho ruộng".into(),
            ..Default::default()
        },
        LogInput {
            kind: "observation".into(),
            done_on: "2026-02-16".into(),
            pest: "Sâu khoang".into(),
            severity: "medium".into(),
            note: "Ăn lá ở góc ruộng giáp kênh (mẫu)".into(),
            ..Default::default()
        },
        LogInput {
            kind: "input".into(),
            done_on: "2026-02-18".into(),
            input_type: "pesticide".into(),
            product: "Thuốc trừ sâu minh họa (mẫu)".into(),
            active_ingredient: "Emamectin benzoate".into(),
            dose: "10 ml/bình 16 lít (mẫu)".into(),
            phi_days: "7".into(),
            ..Default::default()
        },
        harvest("2026-03-20", "19,5", "ta"),
    ] {
        log(store, files, system, first, input).await?;
    }
    log(
        store,
        files,
        system,
        &plots[1].id,
        harvest("2026-03-19", "13,2", "ta"),
    )
    .await?;
    for (i, p) in plots[2..].iter().enumerate() {
        plant(
            p.id.clone(),
            seasons[0].clone(),
            "rice",
            "OM 5451",
            "2025-11-25",
        )
        .await?;
        // One field was still standing when the season's figures were read.
        if i < 3 {
            let tonnes = ["6,4", "6,9", "5,8"][i];
            log(
                store,
                files,
                system,
                &p.id,
                harvest("2026-03-05", tonnes, "tan"),
            )
            .await?;
        }
        plant(
            p.id.clone(),
            seasons[1].clone(),
            "rice",
            "OM 18",
            "2026-04-25",
        )
        .await?;
        log(
            store,
            files,
            system,
            &p.id,
            harvest("2026-08-10", ["5,5", "5,9", "5,2", "6,1"][i], "tan"),
        )
        .await?;
    }
    // The extension officer's warning to the commune's peanut growers (its text is
    // illustrative; its advice is the usual integrated pest management of the crop).
    crate::agri::advisory::send(
        store,
        Some(system),
        COMMUNE,
        &xaso_domain::agri::advisory::AdvisoryInput {
            kind: "pest".into(),
            title: "Sâu khoang trên đậu phộng (mẫu)".into(),
            body: "Sâu khoang đang gây hại trên ruộng đậu phộng giai đoạn ra hoa ở ấp Bình Tả 1. \
                   Bà con thăm đồng mỗi ngày, ngắt bỏ ổ trứng và lá có sâu non.\n\n\
                   Khi mật độ sâu cao, phun thuốc được phép dùng trên đậu phộng theo đúng liều \
                   trên nhãn, phun lúc chiều mát, và ghi ngày phun vào nhật ký đồng ruộng: không \
                   thu hoạch trước khi hết thời gian cách ly ghi trên nhãn. (Khuyến cáo mẫu)"
                .into(),
            audience: "crop".into(),
            crop: "peanut".into(),
            ..Default::default()
        },
        base_url,
    )
    .await?;
    // The October livestock survey of the commune's villages (illustrative figures).
    let mut counts = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        for (species, head) in [
            ("buffalo", 3 + i * 2),
            ("cattle", 140 + i * 35),
            ("pig", 620 + i * 180),
            ("poultry", 9500 + i * 2400),
        ] {
            counts.push(crate::agri::livestock::Entry {
                village: v.code.clone(),
                species: species.into(),
                head: head.to_string(),
            });
        }
    }
    if !counts.is_empty() {
        crate::agri::livestock::save(store, Some(system), COMMUNE, "2026-10-01", &counts).await?;
    }
    // The season under way: peanuts sown again on the first field.
    plant(
        plots[0].id.clone(),
        seasons[2].clone(),
        "peanut",
        "Lì (mẫu)",
        "2026-11-20",
    )
    .await?;
    Ok(peanut.id)
}
