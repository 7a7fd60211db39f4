//! The demo's loudspeakers and boards in today's Xã Đức Hòa: three loudspeaker cluster heads and
//! two boards (ICT register devices), a station jingle made here (a few tones), text bulletins
//! (spoken by the server's speech engine when it runs), a daily programme for the speakers and
//! one for the boards, and one priority bulletin. Everything is labelled as demo content.

use xaso_domain::broadcast::BulletinInput;
use xaso_domain::ict::AssetInput;
use xaso_storage::files::Files;
use xaso_storage::Store;

use crate::broadcast::ProgrammeInput;
use crate::{Actor, Error, Result};

const COMMUNE: &str = "27937";
const LABEL: &str = "(Dữ liệu mẫu của bản trình diễn.)";

/// A short jingle: five tones rising and falling, 16 kHz mono WAV (our own).
fn jingle() -> Vec<u8> {
    let rate = 16_000u32;
    let notes = [523.25f64, 659.25, 783.99, 1046.5, 783.99];
    let per = rate * 7 / 10;
    let n = per * notes.len() as u32;
    let mut out = Vec::with_capacity(44 + n as usize * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    for v in [2u16, 16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for (k, f) in notes.iter().enumerate() {
        for i in 0..per {
            let t = f64::from(i) / f64::from(rate);
            // A soft start and end on each tone.
            let env = (f64::from(i.min(per - i)) / 400.0).min(1.0);
            let v = (t * f * std::f64::consts::TAU).sin()
                * 7000.0
                * env
                * if k == 3 { 1.0 } else { 0.8 };
            out.extend_from_slice(&(v as i16).to_le_bytes());
        }
    }
    out
}

fn text(title: &str, body: &str, priority: &str) -> BulletinInput {
    BulletinInput {
        kind: "text".into(),
        title: title.into(),
        body: body.into(),
        priority: priority.into(),
        source: "commune".into(),
        show_seconds: "15".into(),
        ..Default::default()
    }
}

pub(super) async fn load(
    store: &Store,
    files: &Files,
    system: &Actor,
    base_url: &str,
) -> Result<()> {
    let s = Some(system);
    let office = {
        let mut conn = store.read().await?;
        let unit = crate::broadcast::unit(store, COMMUNE).await?;
        xaso_storage::ict::assets_of_kinds(&mut conn, &unit.id, &["router"])
            .await?
            .into_iter()
            .next()
            .and_then(|a| a.place_id)
            .unwrap_or_default()
    };
    for (kind, name, location) in [
        ("speaker_cluster", "Cụm loa ấp 1 (mẫu)", "Ngã ba ấp 1"),
        ("speaker_cluster", "Cụm loa ấp 2 (mẫu)", "Nhà văn hóa ấp 2"),
        ("speaker_cluster", "Cụm loa ấp 3 (mẫu)", "Chợ"),
        (
            "e_board",
            "Bảng tin điện tử trụ sở UBND (mẫu)",
            "Sảnh tiếp dân",
        ),
        ("e_board", "Bảng tin điện tử chợ (mẫu)", "Cổng chợ"),
    ] {
        let a = AssetInput {
            kind: kind.into(),
            name: name.into(),
            place_id: office.clone(),
            location: location.into(),
            funding: "ntm".into(),
            note: "Thiết bị mẫu, số liệu minh họa (dữ liệu mẫu).".into(),
            ..Default::default()
        };
        crate::ict::create(store, s, COMMUNE, &a).await?;
    }

    let jingle_id = crate::broadcast::create(
        store,
        s,
        COMMUNE,
        &BulletinInput {
            kind: "audio".into(),
            title: "Nhạc hiệu Đài truyền thanh xã (mẫu)".into(),
            body: LABEL.into(),
            ..Default::default()
        },
        "",
    )
    .await?
    .row
    .id;
    crate::broadcast::media::set_audio(
        store,
        files,
        s,
        &jingle_id,
        Some(
            crate::upload::Spooled::from_bytes("nhac-hieu.wav", &jingle())
                .map_err(|e| Error::Internal(e.to_string()))?,
        ),
    )
    .await?;
    let news = crate::broadcast::create(
        store,
        s,
        COMMUNE,
        &text(
            "Bản tin chuyển đổi số (mẫu)",
            &format!(
                "Tổ công nghệ số cộng đồng các ấp hỗ trợ người dân cài đặt VNeID và nộp hồ sơ trực tuyến vào sáng thứ Bảy hằng tuần tại nhà văn hóa ấp. Mọi phản ánh, kiến nghị xin gọi đường dây nóng 1022. {LABEL}"
            ),
            "normal",
        ),
        "",
    )
    .await?
    .row
    .id;
    let hours = crate::broadcast::create(
        store,
        s,
        COMMUNE,
        &text(
            "Giờ tiếp công dân (mẫu)",
            &format!("Ủy ban nhân dân xã tiếp công dân từ 7 giờ đến 11 giờ và từ 13 giờ đến 17 giờ các ngày làm việc. {LABEL}"),
            "normal",
        ),
        "",
    )
    .await?
    .row
    .id;
    let mosquito = crate::broadcast::create(
        store,
        s,
        COMMUNE,
        &text(
            "Thông báo phun thuốc diệt muỗi phòng sốt xuất huyết (mẫu)",
            &format!("Trạm y tế xã phun thuốc diệt muỗi tại các ấp trong tuần này. Người dân đóng kín thức ăn, nước uống và tạo điều kiện cho đội phun. {LABEL}"),
            "priority",
        ),
        "",
    )
    .await?
    .row
    .id;
    for id in [&jingle_id, &news, &hours, &mosquito] {
        crate::broadcast::approve(store, s, id).await?;
    }
    let every_day: Vec<String> = ["2", "3", "4", "5", "6", "7", "CN"]
        .map(String::from)
        .to_vec();
    crate::broadcast::save_programme(
        store,
        s,
        COMMUNE,
        None,
        &ProgrammeInput {
            name: "Phát thanh sáng chiều (mẫu)".into(),
            medium: "speaker".into(),
            target: COMMUNE.into(),
            weekdays: every_day.clone(),
            slots: "05:30-06:00, 17:00-17:30".into(),
            items: vec![jingle_id.clone(), news.clone()],
            ..Default::default()
        },
    )
    .await?;
    crate::broadcast::save_programme(
        store,
        s,
        COMMUNE,
        None,
        &ProgrammeInput {
            name: "Bảng tin cả ngày (mẫu)".into(),
            medium: "board".into(),
            target: COMMUNE.into(),
            weekdays: every_day,
            slots: "06:00-21:00".into(),
            items: vec![news, hours],
            ..Default::default()
        },
    )
    .await?;
    past_flood(store, system, base_url).await?;
    storm_drill(store, system, base_url).await
}

/// A storm drill: issued, updated and called off, so the feed shows all three kinds of message.
async fn storm_drill(store: &Store, system: &Actor, base_url: &str) -> Result<()> {
    let hub = crate::alerts::Hub::default();
    // The drill's area is drawn: a square of some 4 km around the commune's centre.
    let commune = crate::broadcast::unit(store, COMMUNE).await?;
    let polygon = match crate::places::centre_of(store, &commune.id).await? {
        Some((lat, lng)) => {
            let d = 0.02;
            format!(
                "{},{} {},{} {},{} {},{}",
                lat - d,
                lng - d,
                lat - d,
                lng + d,
                lat + d,
                lng + d,
                lat + d,
                lng - d
            )
        }
        None => String::new(),
    };
    let drill = |headline: &str, description: &str| xaso_domain::alerts::AlertInput {
        hazard: "storm".into(),
        urgency: "Expected".into(),
        certainty: "Possible".into(),
        headline: headline.into(),
        description: format!("{description} {LABEL}"),
        instruction: "Kiểm tra nhà cửa, cây xanh quanh nhà; theo dõi loa truyền thanh của xã."
            .into(),
        hours: "12".into(),
        status: "Exercise".into(),
        polygon: polygon.clone(),
        ..Default::default()
    };
    let first = crate::alerts::issue_at(
        store,
        &hub,
        Some(system),
        COMMUNE,
        &drill(
            "Diễn tập: cảnh báo giông lốc (mẫu)",
            "Diễn tập ứng phó giông lốc cho các ấp.",
        ),
        &[],
        base_url,
        chrono::Utc::now() - chrono::Duration::hours(2),
    )
    .await?;
    crate::alerts::update(
        store,
        &hub,
        Some(system),
        first.first_id(),
        &drill(
            "Diễn tập: giông lốc đến sớm hơn dự kiến (mẫu)",
            "Cập nhật kịch bản diễn tập: giông lốc đến sớm một giờ.",
        ),
        base_url,
    )
    .await?;
    crate::alerts::cancel(
        store,
        &hub,
        Some(system),
        first.first_id(),
        "Kết thúc buổi diễn tập (dữ liệu mẫu).",
        base_url,
    )
    .await?;
    Ok(())
}

/// A flood warning issued ten days ago for the commune (expired since), with when each of the
/// commune's speakers and boards received and played it (illustrative delays of seconds).
async fn past_flood(store: &Store, system: &Actor, base_url: &str) -> Result<()> {
    let sent = chrono::Utc::now() - chrono::Duration::days(10);
    let alert = crate::alerts::issue_at(
        store,
        &crate::alerts::Hub::default(),
        Some(system),
        COMMUNE,
        &xaso_domain::alerts::AlertInput {
            hazard: "flood".into(),
            risk_level: "3".into(),
            headline: "Cảnh báo triều cường và ngập lụt vùng trũng ven sông Vàm Cỏ Đông (mẫu)".into(),
            description: format!(
                "Mực nước sông Vàm Cỏ Đông lên nhanh do triều cường kết hợp mưa lớn; các vùng trũng ven sông có thể ngập sâu trong đêm. {LABEL}"
            ),
            instruction: "Gia cố bờ bao, kê cao tài sản, không cho trẻ em tắm sông; khi cần hỗ trợ gọi 1022.".into(),
            hours: "24".into(),
            ..Default::default()
        },
        &[],
        base_url,
        sent,
    )
    .await?;
    let unit = crate::broadcast::unit(store, COMMUNE).await?;
    let mut tx = store.begin().await?;
    let devices = xaso_storage::ict::assets_of_kinds(
        tx.conn(),
        &unit.id,
        &[crate::broadcast::SPEAKER_KIND, crate::broadcast::BOARD_KIND],
    )
    .await?;
    for (n, d) in devices.iter().enumerate() {
        let got = sent + chrono::Duration::milliseconds(400 + 150 * n as i64);
        let aired = got + chrono::Duration::seconds(2);
        let at = |t| xaso_domain::time::to_storage(t);
        xaso_storage::alerts::received(tx.conn(), &alert.row.id, &d.id, &at(got)).await?;
        xaso_storage::alerts::played(tx.conn(), &alert.row.id, &d.id, &at(aired)).await?;
        if d.kind == crate::broadcast::SPEAKER_KIND {
            // Aired three times as the alert asked (illustrative), the third cut short.
            for (k, result) in ["played", "played", "interrupted"].iter().enumerate() {
                let start = aired + chrono::Duration::seconds(20 * k as i64);
                xaso_storage::broadcast::add_plays(
                    tx.conn(),
                    &[xaso_storage::broadcast::PlayRow {
                        id: format!("{}:demo-flood-{k}", d.id),
                        asset_id: d.id.clone(),
                        bulletin_id: None,
                        alert_id: Some(alert.row.id.clone()),
                        started_at: at(start),
                        duration_ms: if *result == "played" { 18_000 } else { 6_000 },
                        result: (*result).into(),
                        reported_at: at(start + chrono::Duration::seconds(25)),
                    }],
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
