//! The device side (protocol version 1, written down in docs/PLAYERS.md): a loudspeaker
//! cluster head or a board player, an asset of the ICT register with its device token,
//! fetches its schedule for today and the next days with a media manifest (an ETag makes an
//! unchanged schedule cost a 304), downloads media by digest, and reports what it played.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use xaso_domain::broadcast::{board_day, speaker_day, BulletinKind, Medium, Programme, Weekdays};
use xaso_storage::broadcast::{self as db, BulletinRow, PlayRow};
use xaso_storage::ict::AssetRow;
use xaso_storage::Store;

use super::{candidate_of, medium_of_kind};
use crate::{Error, Result};

/// The protocol's version, in every schedule.
pub const PROTOCOL: u32 = 1;
/// Days a schedule covers (today and the next ones), so a device keeps playing offline.
pub const DAYS: u32 = 3;
/// Play reports taken in one request.
pub const MAX_REPORTS: usize = 500;

/// A device that plays, its token checked.
#[derive(Debug, Clone)]
pub struct Player {
    pub asset: AssetRow,
    pub medium: Medium,
    /// The units whose programmes reach it: its commune and, if its place is in one, its village.
    pub unit_ids: Vec<String>,
    /// Where it stands (latitude, longitude), when it is linked to a place.
    pub position: Option<(f64, f64)>,
}

/// Checks a device's token and that it is a speaker or a board. `Unauthenticated` for an
/// unknown device or a wrong token alike.
pub async fn authenticate(store: &Store, asset_id: &str, token: &str) -> Result<Player> {
    if !crate::ict::devices::token_matches(store, asset_id, token).await? {
        return Err(Error::Unauthenticated);
    }
    let asset = {
        let mut conn = store.read().await?;
        xaso_storage::ict::asset(&mut conn, asset_id)
            .await?
            .ok_or(Error::Unauthenticated)?
    };
    player_of(store, asset).await
}

/// A device of the register as a player (its kind must play).
pub async fn player_of(store: &Store, asset: AssetRow) -> Result<Player> {
    let mut conn = store.read().await?;
    let medium = medium_of_kind(&asset.kind).ok_or_else(|| {
        Error::Conflict("this device is neither a loudspeaker cluster nor a board".into())
    })?;
    let mut unit_ids = vec![asset.unit_id.clone()];
    let mut position = None;
    if let Some(place) = &asset.place_id {
        if let Some(p) = xaso_storage::places::by_id(&mut conn, place).await? {
            position = Some((p.latitude, p.longitude));
            if let Some(v) = p.village_id {
                unit_ids.push(v);
            }
        }
    }
    Ok(Player {
        asset,
        medium,
        unit_ids,
        position,
    })
}

/// The loudspeakers and boards of a unit's communes that stand at a place: ("tag · name",
/// latitude, longitude), for maps.
pub async fn placed(
    store: &Store,
    unit: &xaso_domain::units::Unit,
) -> Result<Vec<(String, f64, f64)>> {
    let communes: Vec<String> = if unit.level == xaso_domain::units::Level::Commune {
        vec![unit.id.clone()]
    } else {
        crate::alerts::area_choices(store, unit)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect()
    };
    let mut out = Vec::new();
    for c in communes {
        let assets = {
            let mut conn = store.read().await?;
            xaso_storage::ict::assets_of_kinds(
                &mut conn,
                &c,
                &[super::SPEAKER_KIND, super::BOARD_KIND],
            )
            .await?
        };
        for a in assets {
            let label = format!("{} · {}", a.tag, a.name);
            if let Some((lat, lng)) = player_of(store, a).await?.position {
                out.push((label, lat, lng));
            }
        }
    }
    Ok(out)
}

/// The schedule's ETag for a day: the schedules' version, the day and the device's record
/// (its place and commune decide what reaches it). Cheap: no planning.
pub fn etag(player: &Player, version: i64, day: NaiveDate) -> String {
    let mut h = Sha256::new();
    h.update(player.asset.updated_at.as_bytes());
    h.update(player.unit_ids.join(",").as_bytes());
    let h = hex::encode(&h.finalize()[..6]);
    format!("\"v{version}-{day}-{h}\"")
}

/// How long a checked device is trusted without asking the database again.
pub const PLAYER_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// How long the schedules' version is kept.
pub const VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Devices recently checked (by the digest of the token they used) and the schedules' version,
/// so that a device polling an unchanged schedule costs no database read: a 304 from memory.
/// A revoked token keeps working on this server until [`Players::clear`] (called when a token
/// is made or revoked here) or for [`PLAYER_TTL`] on other servers; a change of schedule shows
/// within [`VERSION_TTL`].
#[derive(Default)]
pub struct Players {
    known:
        std::sync::RwLock<std::collections::HashMap<String, (String, Player, std::time::Instant)>>,
    version: std::sync::RwLock<Option<(i64, std::time::Instant)>>,
    bus: crate::cluster::Bus,
}

impl Players {
    pub fn new() -> Players {
        Players::default()
    }

    /// Players whose changes other instances hear of.
    pub fn with_bus(bus: crate::cluster::Bus) -> Players {
        Players {
            bus,
            ..Players::default()
        }
    }

    /// [`authenticate`], from memory when the same token was checked lately.
    pub async fn authenticate(&self, store: &Store, asset_id: &str, token: &str) -> Result<Player> {
        let hash = crate::auth::token_hash(token);
        if let Some((h, p, at)) = self.known.read().expect("players lock").get(asset_id) {
            if *h == hash && at.elapsed() < PLAYER_TTL {
                return Ok(p.clone());
            }
        }
        let p = authenticate(store, asset_id, token).await?;
        let mut known = self.known.write().expect("players lock");
        if known.len() > 100_000 {
            known.clear();
        }
        known.insert(
            asset_id.to_string(),
            (hash, p.clone(), std::time::Instant::now()),
        );
        Ok(p)
    }

    /// The schedules' version, read at most every [`VERSION_TTL`].
    pub async fn version(&self, store: &Store) -> Result<i64> {
        if let Some((v, at)) = *self.version.read().expect("version lock") {
            if at.elapsed() < VERSION_TTL {
                return Ok(v);
            }
        }
        let v = {
            let mut conn = store.read().await?;
            db::version(&mut conn).await?
        };
        *self.version.write().expect("version lock") = Some((v, std::time::Instant::now()));
        Ok(v)
    }

    /// A schedule changed on this server: read the version again at the next request.
    pub fn changed(&self) {
        self.changed_local();
        self.bus.publish(crate::cluster::Change::Schedules);
    }

    /// A schedule changed on another instance.
    pub fn changed_local(&self) {
        *self.version.write().expect("version lock") = None;
    }

    /// Forgets everything (a token made or revoked on this server), here and elsewhere.
    pub fn clear(&self) {
        self.clear_local();
        self.bus.publish(crate::cluster::Change::Devices);
    }

    /// Forgets everything here (another instance made or revoked a token).
    pub fn clear_local(&self) {
        self.known.write().expect("players lock").clear();
        *self.version.write().expect("version lock") = None;
    }
}

/// One entry of the media manifest.
#[derive(Debug, Clone, Serialize)]
pub struct MediaEntry {
    pub item: String,
    pub kind: &'static str,
    pub title: String,
    /// A text bulletin's text (boards show it).
    pub text: String,
    pub priority: &'static str,
    pub source: &'static str,
    /// Where to download it (relative to the server), when it has a file.
    pub url: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Option<i64>,
    pub sha256: Option<String>,
    pub duration_ms: i64,
}

fn entry(b: &BulletinRow, medium: Medium, asset_id: &str) -> MediaEntry {
    let kind = BulletinKind::parse(&b.kind).unwrap_or(BulletinKind::Text);
    let priority = xaso_domain::broadcast::Priority::parse(&b.priority)
        .unwrap_or(xaso_domain::broadcast::Priority::Normal);
    let source = xaso_domain::broadcast::Source::parse(&b.source)
        .unwrap_or(xaso_domain::broadcast::Source::Commune);
    // A text's speech is for speakers; boards show its text.
    let file = medium == Medium::Speaker || kind != BulletinKind::Text;
    MediaEntry {
        item: b.id.clone(),
        kind: kind.as_str(),
        title: b.title.clone(),
        text: b.body.clone(),
        priority: priority.as_str(),
        source: source.as_str(),
        url: b
            .media_key
            .as_ref()
            .filter(|_| file)
            .map(|_| format!("/api/v1/devices/{asset_id}/media/{}", b.id)),
        content_type: b.media_type.clone().filter(|_| file),
        bytes: b.media_bytes.filter(|_| file),
        sha256: b.media_sha256.clone().filter(|_| file),
        duration_ms: match medium {
            Medium::Speaker => b.duration_ms,
            Medium::Board => b.show_ms,
        },
    }
}

/// What reaches a device: its programmes as the planner sees them, the priority bulletins
/// aimed at it, and every bulletin row involved (for the manifest).
struct Inputs {
    plans: Vec<Programme>,
    urgent: Vec<xaso_domain::broadcast::Candidate>,
    rows: Vec<BulletinRow>,
    version: i64,
}

async fn inputs(store: &Store, player: &Player) -> Result<Inputs> {
    let medium = player.medium;
    let (programmes, items, priority, version) = {
        let mut conn = store.read().await?;
        let programmes = db::programmes_for_device(
            &mut conn,
            medium.as_str(),
            &player.asset.id,
            &player.unit_ids,
        )
        .await?;
        let ids: Vec<String> = programmes.iter().map(|p| p.id.clone()).collect();
        let items = db::items(&mut conn, &ids, true).await?;
        let priority = db::priority_for(&mut conn, &player.unit_ids).await?;
        (programmes, items, priority, db::version(&mut conn).await?)
    };
    let plans = programmes
        .iter()
        .map(|p| Programme {
            weekdays: Weekdays(p.weekdays as u8),
            valid_from: p
                .valid_from
                .as_deref()
                .and_then(xaso_domain::time::parse_date),
            valid_to: p
                .valid_to
                .as_deref()
                .and_then(xaso_domain::time::parse_date),
            slots: xaso_domain::broadcast::parse_slots(&p.slots).unwrap_or_default(),
            items: items
                .iter()
                .filter(|(pid, _)| *pid == p.id)
                .filter_map(|(_, b)| candidate_of(b, medium))
                .collect(),
        })
        .collect();
    let urgent = priority
        .iter()
        .filter_map(|b| candidate_of(b, medium))
        .collect();
    let mut rows: Vec<BulletinRow> = items.into_iter().map(|(_, b)| b).collect();
    rows.extend(priority);
    Ok(Inputs {
        plans,
        urgent,
        rows,
        version,
    })
}

/// What the device is to play from `day` for [`DAYS`] days, with the manifest of its media.
pub async fn schedule(
    store: &Store,
    player: &Player,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Value> {
    let medium = player.medium;
    let Inputs {
        plans,
        urgent,
        rows,
        version,
    } = inputs(store, player).await?;
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut days = Vec::new();
    for n in 0..DAYS {
        let date = day + Duration::days(i64::from(n));
        match medium {
            Medium::Speaker => {
                let airings = speaker_day(date, &plans, &urgent);
                used.extend(airings.iter().map(|a| a.item.clone()));
                days.push(json!({"date": date, "airings": airings}));
            }
            Medium::Board => {
                let parts: Vec<Value> = board_day(date, &plans, &urgent)
                    .into_iter()
                    .map(|d| {
                        used.extend(d.loop_items.iter().map(|(i, _)| i.clone()));
                        json!({"start": d.start, "end": d.end, "loop": d.loop_items.iter()
                            .map(|(item, ms)| json!({"item": item, "ms": ms})).collect::<Vec<_>>()})
                    })
                    .collect();
                days.push(json!({"date": date, "dayparts": parts}));
            }
        }
    }
    let mut media: Vec<MediaEntry> = Vec::new();
    for b in &rows {
        if used.contains(&b.id) && !media.iter().any(|m| m.item == b.id) {
            media.push(entry(b, medium, &player.asset.id));
        }
    }
    media.sort_by(|a, b| a.item.cmp(&b.item));
    Ok(json!({
        "protocol": PROTOCOL,
        "device": player.asset.id,
        "medium": medium.as_str(),
        "version": version,
        "generated_at": now,
        "days": days,
        "media": media,
    }))
}

/// Where a bulletin's file is, for sending it to a device: key, type, size, SHA-256.
#[derive(Debug, Clone)]
pub struct MediaObject {
    pub key: String,
    pub mime: String,
    /// `None` for rows from before sizes were kept (the store knows it).
    pub bytes: Option<u64>,
    pub sha256: String,
}

/// A bulletin's file for a device: approved, of the device's commune.
pub async fn media(store: &Store, player: &Player, item: &str) -> Result<MediaObject> {
    let row = {
        let mut conn = store.read().await?;
        db::bulletin(&mut conn, item)
            .await?
            .ok_or(Error::NotFound)?
    };
    if row.status != "approved" || row.unit_id != player.asset.unit_id {
        return Err(Error::NotFound);
    }
    Ok(MediaObject {
        key: row.media_key.clone().ok_or(Error::NotFound)?,
        mime: row
            .media_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
        bytes: row.media_bytes.map(|n| n.max(0) as u64),
        sha256: row.media_sha256.unwrap_or_default(),
    })
}

pub use xaso_domain::broadcast::{PlayReport, PLAY_RESULTS as RESULTS};

/// Keeps a device's play reports, all or none; returns how many were new.
pub async fn report(store: &Store, player: &Player, reports: &[PlayReport]) -> Result<u64> {
    if reports.len() > MAX_REPORTS {
        return Err(Error::invalid(
            "plays",
            format!("at most {MAX_REPORTS} reports at once"),
        ));
    }
    let now = Utc::now();
    let mut rows = Vec::with_capacity(reports.len());
    for (i, r) in reports.iter().enumerate() {
        let at = format!("plays[{i}]");
        let id_ok = !r.id.is_empty()
            && r.id.len() <= 64
            && r.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(Error::invalid(
                at,
                "id must be 1 to 64 letters, digits, - or _",
            ));
        }
        let started = DateTime::parse_from_rfc3339(&r.started_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::invalid(at.clone(), "started_at must be an RFC 3339 time"))?;
        if started > now + Duration::minutes(10) || started < now - Duration::days(60) {
            return Err(Error::invalid(
                at,
                "started_at is in the future or more than 60 days ago",
            ));
        }
        if !(0..=3 * 3600 * 1000).contains(&r.duration_ms) {
            return Err(Error::invalid(
                at,
                "duration_ms must be between 0 and three hours",
            ));
        }
        if !RESULTS.contains(&r.result.as_str()) {
            return Err(Error::invalid(
                at,
                "result must be played, interrupted, failed or skipped",
            ));
        }
        if r.item.is_none() == r.alert.is_none() {
            return Err(Error::invalid(
                at,
                "give either the item or the alert played",
            ));
        }
        rows.push(PlayRow {
            // Per device, so one device's ids never clash with another's.
            id: format!("{}:{}", player.asset.id, r.id),
            asset_id: player.asset.id.clone(),
            bulletin_id: r.item.clone(),
            alert_id: r.alert.clone(),
            started_at: xaso_domain::time::to_storage(started),
            duration_ms: r.duration_ms,
            result: r.result.clone(),
            reported_at: xaso_domain::time::to_storage(now),
        });
    }
    let mut tx = store.begin().await?;
    let added = db::add_plays(tx.conn(), &rows).await?;
    // An emergency alert aired (even if cut short) counts on the alert's delivery record.
    for r in rows
        .iter()
        .filter(|r| r.result == "played" || r.result == "interrupted")
    {
        if let Some(alert) = &r.alert_id {
            if xaso_storage::alerts::get(tx.conn(), alert).await?.is_some() {
                xaso_storage::alerts::played(tx.conn(), alert, &r.asset_id, &r.started_at).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// A device's day as its commune's officers see it.
#[derive(Debug, Clone)]
pub struct DeviceDay {
    pub asset: AssetRow,
    pub medium: Medium,
    /// Speakers: the day's airings (item title, start); boards: the dayparts (start, end, items).
    pub airings: Vec<(String, DateTime<Utc>)>,
    pub dayparts: Vec<(DateTime<Utc>, DateTime<Utc>, usize)>,
    /// What it reported it played that day: (played, other results).
    pub reported: (usize, usize),
}

/// The commune's speakers and boards with their plan and their reports for a day (its
/// bulletin writers).
pub async fn day_overview(
    store: &Store,
    actor: Option<&crate::Actor>,
    code: &str,
    day: NaiveDate,
) -> Result<Vec<DeviceDay>> {
    let unit = super::unit(store, code).await?;
    if !super::writes(store, actor, &unit.id).await? {
        return Err(if actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        });
    }
    let assets = {
        let mut conn = store.read().await?;
        xaso_storage::ict::assets_of_kinds(
            &mut conn,
            &unit.id,
            &[super::SPEAKER_KIND, super::BOARD_KIND],
        )
        .await?
    };
    let start = xaso_domain::broadcast::vn_instant(day, chrono::NaiveTime::MIN);
    let (from, to) = (
        xaso_domain::time::to_storage(start),
        xaso_domain::time::to_storage(start + Duration::days(1)),
    );
    let plays = {
        let ids: Vec<String> = assets.iter().map(|a| a.id.clone()).collect();
        let mut conn = store.read().await?;
        db::plays(&mut conn, &ids, &from, &to).await?
    };
    let mut out = Vec::with_capacity(assets.len());
    for asset in assets {
        let player = player_of(store, asset).await?;
        let i = inputs(store, &player).await?;
        let title = |id: &str| {
            i.rows
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.title.clone())
                .unwrap_or_default()
        };
        let (airings, dayparts) = match player.medium {
            Medium::Speaker => (
                speaker_day(day, &i.plans, &i.urgent)
                    .into_iter()
                    .map(|a| (title(&a.item), a.start))
                    .collect(),
                Vec::new(),
            ),
            Medium::Board => (
                Vec::new(),
                board_day(day, &i.plans, &i.urgent)
                    .into_iter()
                    .map(|d| (d.start, d.end, d.loop_items.len()))
                    .collect(),
            ),
        };
        let mine = plays.iter().filter(|p| p.asset_id == player.asset.id);
        let played = mine.clone().filter(|p| p.result == "played").count();
        let other = mine.count() - played;
        out.push(DeviceDay {
            medium: player.medium,
            asset: player.asset,
            airings,
            dayparts,
            reported: (played, other),
        });
    }
    Ok(out)
}

/// One line of the broadcast log: what a device played.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub device: String,
    pub tag: String,
    pub device_name: String,
    pub medium: &'static str,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub result: String,
    /// The bulletin played (absent for an alert).
    pub item: Option<String>,
    /// The emergency alert played, if it was one.
    pub alert: Option<String>,
    /// The bulletin's or the alert's title.
    pub title: String,
    /// commune, area, province, national; "emergency" for an alert.
    pub source: String,
}

/// What the commune's loudspeakers and boards played from `from` to `to` (Vietnam's days,
/// both included), in time order. For its bulletin writers (commune and area officers) and
/// for API tokens of such accounts (a provincial information source system pulls it).
pub async fn log(
    store: &Store,
    actor: Option<&crate::Actor>,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(xaso_domain::units::Unit, Vec<LogLine>)> {
    let unit = super::unit(store, code).await?;
    if !super::writes(store, actor, &unit.id).await? {
        return Err(if actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        });
    }
    if to < from || (to - from).num_days() > 92 {
        return Err(Error::invalid(
            "to",
            "the log covers 1 to 93 days, the last not before the first",
        ));
    }
    let assets = {
        let mut conn = store.read().await?;
        xaso_storage::ict::assets_of_kinds(
            &mut conn,
            &unit.id,
            &[super::SPEAKER_KIND, super::BOARD_KIND],
        )
        .await?
    };
    let start = xaso_domain::broadcast::vn_instant(from, chrono::NaiveTime::MIN);
    let end = xaso_domain::broadcast::vn_instant(to, chrono::NaiveTime::MIN) + Duration::days(1);
    let ids: Vec<String> = assets.iter().map(|a| a.id.clone()).collect();
    let mut conn = store.read().await?;
    let plays = db::plays(
        &mut conn,
        &ids,
        &xaso_domain::time::to_storage(start),
        &xaso_domain::time::to_storage(end),
    )
    .await?;
    let mut titles: std::collections::HashMap<String, (String, String)> = Default::default();
    let mut out = Vec::with_capacity(plays.len());
    for p in plays {
        let Some(asset) = assets.iter().find(|a| a.id == p.asset_id) else {
            continue;
        };
        let key = p
            .bulletin_id
            .clone()
            .or(p.alert_id.clone())
            .unwrap_or_default();
        if !titles.contains_key(&key) {
            let t = if let Some(b) = &p.bulletin_id {
                db::bulletin(&mut conn, b)
                    .await?
                    .map(|b| (b.title, b.source))
                    .unwrap_or_default()
            } else if let Some(a) = &p.alert_id {
                xaso_storage::alerts::get(&mut conn, a)
                    .await?
                    .map(|a| (a.headline, "emergency".to_string()))
                    .unwrap_or_default()
            } else {
                Default::default()
            };
            titles.insert(key.clone(), t);
        }
        let (title, source) = titles[&key].clone();
        out.push(LogLine {
            device: asset.id.clone(),
            tag: asset.tag.clone(),
            device_name: asset.name.clone(),
            medium: medium_of_kind(&asset.kind).map_or("", Medium::as_str),
            started_at: xaso_domain::time::from_storage(&p.started_at).unwrap_or_default(),
            duration_ms: p.duration_ms,
            result: p.result,
            item: p.bulletin_id,
            alert: p.alert_id,
            title,
            source,
        });
    }
    Ok((unit, out))
}

/// The log as an xlsx workbook, one row a play, headings in Vietnamese.
pub fn log_xlsx(lines: &[LogLine]) -> Result<Vec<u8>> {
    let mut rows = vec![[
        "Ngày",
        "Giờ bắt đầu",
        "Mã thiết bị",
        "Thiết bị",
        "Loại",
        "Bản tin / cảnh báo",
        "Nguồn",
        "Thời lượng (giây)",
        "Kết quả",
    ]
    .map(String::from)
    .to_vec()];
    for l in lines {
        let t = l.started_at.with_timezone(&xaso_domain::time::vn_offset());
        rows.push(vec![
            t.format("%d/%m/%Y").to_string(),
            t.format("%H:%M:%S").to_string(),
            l.tag.clone(),
            l.device_name.clone(),
            match l.medium {
                "speaker" => "Cụm loa",
                "board" => "Bảng tin điện tử",
                _ => "",
            }
            .to_string(),
            l.title.clone(),
            match l.source.as_str() {
                "commune" => "Xã",
                "area" => "Khu vực",
                "province" => "Tỉnh",
                "national" => "Trung ương",
                "emergency" => "Cảnh báo khẩn cấp",
                other => other,
            }
            .to_string(),
            format!("{:.1}", l.duration_ms as f64 / 1000.0),
            match l.result.as_str() {
                "played" => "Đã phát",
                "interrupted" => "Bị ngắt",
                "failed" => "Lỗi",
                "skipped" => "Bỏ qua",
                other => other,
            }
            .to_string(),
        ]);
    }
    crate::catalogue::to_xlsx(&rows, "Nhat ky phat")
}
