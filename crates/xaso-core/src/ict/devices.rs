//! Devices that report to the platform. A device (an access point, a speaker cluster head, a
//! board player, an office router) pushes heartbeats with its own token, made and shown once by
//! its commune's staff and revocable; the server never calls out to devices, which sit behind
//! NAT. A device is online from a heartbeat until it has been silent longer than its kind's
//! threshold; the offline check then tells its commune once, and again when it comes back,
//! through the job queue. Time is a parameter everywhere, so all of this is tested without
//! waiting.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use serde_json::json;
use xaso_domain::ict::devices::{self as rules, DeviceState, Figures, Span};
use xaso_domain::time::{from_storage, to_storage, vn_offset};
use xaso_storage::ict::devices::{self as db, DeviceRow, NoticeRow};
use xaso_storage::{Store, Tx};

use super::{get, Asset};
use crate::queue::{Handler, Outcome};
use crate::{Actor, Error, Result};

mod buffer;
pub use buffer::Beats;

/// The job that tells a commune's systems (the configured webhook) that a device went offline
/// or came back.
pub const JOB_DEVICE_NOTICE: &str = "ict.device_notice";

/// How a device token begins, so people and secret scanners can tell it from other secrets.
pub const TOKEN_PREFIX: &str = "xsd_";

/// A device's reporting as staff see it.
#[derive(Debug, Clone)]
pub struct Device {
    pub state: DeviceState,
    pub has_token: bool,
    pub token_made_by: String,
    pub token_made_at: String,
    pub state_since: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub figures: Figures,
    /// Uptime of each of the last seven days in Vietnam, oldest first (`None` for a day before
    /// the device's token was made).
    pub days: Vec<(NaiveDate, Option<f64>)>,
    pub uptime_7d: f64,
}

fn device_of(r: DeviceRow, spans: &[Span], now: DateTime<Utc>) -> Device {
    let made = from_storage(&r.token_made_at);
    let today = now.with_timezone(&vn_offset()).date_naive();
    let days = (0..7)
        .rev()
        .map(|back| {
            let day = today - Duration::days(back);
            let (_, end) = rules::day_bounds(day);
            let share = if made.is_some_and(|m| m >= end) {
                None
            } else {
                rules::day_uptime(spans, day, now)
            };
            (day, share)
        })
        .collect();
    Device {
        state: DeviceState::parse(&r.state),
        has_token: r.token_hash.is_some(),
        token_made_by: r.token_made_by,
        token_made_at: r.token_made_at,
        state_since: r.state_since.as_deref().and_then(from_storage),
        last_seen: r.last_seen_at.as_deref().and_then(from_storage),
        figures: Figures {
            clients: r.clients,
            uptime_s: r.uptime_s,
            firmware: Some(r.firmware).filter(|f| !f.is_empty()),
            signal_dbm: r.signal_dbm,
        },
        days,
        uptime_7d: rules::uptime_since(spans, 7, now),
    }
}

fn spans_of(rows: Vec<xaso_storage::ict::devices::SpanRow>) -> Vec<(String, Span)> {
    rows.into_iter()
        .filter_map(|r| {
            Some((
                r.asset_id,
                Span {
                    from: from_storage(&r.started_at)?,
                    to: r.ended_at.as_deref().and_then(from_storage),
                },
            ))
        })
        .collect()
}

/// The reporting of an asset its keepers have read with [`get`]; `None` when it has never been
/// given a token.
pub async fn device(store: &Store, asset: &Asset, now: DateTime<Utc>) -> Result<Option<Device>> {
    let mut conn = store.read().await?;
    let Some(row) = db::device(&mut conn, &asset.row.id).await? else {
        return Ok(None);
    };
    let since = to_storage(now - Duration::days(8));
    let spans: Vec<Span> = spans_of(
        db::spans_since(&mut conn, Some(std::slice::from_ref(&asset.row.id)), &since).await?,
    )
    .into_iter()
    .map(|(_, s)| s)
    .collect();
    Ok(Some(device_of(row, &spans, now)))
}

fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

async fn audit_token(tx: &mut Tx, actor: &Actor, asset: &Asset, what: &str) -> Result<()> {
    crate::audit::record(
        tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "ict_asset",
            record_id: &asset.row.id,
            unit_id: Some(&asset.row.unit_id),
            before: None,
            // The token itself is never kept, only that one was made or revoked.
            after: Some(json!({ "device_token": what })),
        },
    )
    .await
}

/// Makes a new token for a device (its keepers), replacing any earlier one, which stops
/// working at once. The token is returned this once; only its hash is kept. Audited.
pub async fn make_token(store: &Store, actor: Option<&Actor>, asset_id: &str) -> Result<String> {
    let asset = get(store, actor, asset_id).await?;
    let actor = actor.expect("get checked the actor");
    let token = new_token();
    let mut tx = store.begin().await?;
    db::set_token(
        tx.conn(),
        &asset.row.id,
        Some(&crate::auth::token_hash(&token)),
        &actor.username,
        &xaso_storage::now(),
    )
    .await?;
    audit_token(&mut tx, actor, &asset, "made").await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes a device's token (its keepers): its heartbeats are refused from now on. Audited.
pub async fn revoke_token(store: &Store, actor: Option<&Actor>, asset_id: &str) -> Result<()> {
    let asset = get(store, actor, asset_id).await?;
    let actor = actor.expect("get checked the actor");
    let mut conn = store.read().await?;
    let current = db::device(&mut conn, &asset.row.id).await?;
    drop(conn);
    if current.is_none_or(|d| d.token_hash.is_none()) {
        return Err(Error::invalid(
            "token",
            "this device has no token to revoke",
        ));
    }
    let mut tx = store.begin().await?;
    db::set_token(
        tx.conn(),
        &asset.row.id,
        None,
        &actor.username,
        &xaso_storage::now(),
    )
    .await?;
    audit_token(&mut tx, actor, &asset, "revoked").await?;
    tx.commit().await?;
    Ok(())
}

async fn raise(
    tx: &mut Tx,
    asset_id: &str,
    unit_id: &str,
    event: &str,
    at: &str,
    seen: Option<&str>,
) -> Result<()> {
    let notice = NoticeRow {
        id: xaso_storage::new_id(),
        asset_id: asset_id.into(),
        unit_id: unit_id.into(),
        event: event.into(),
        at: at.into(),
        last_seen_at: seen.map(String::from),
    };
    db::insert_notice(tx.conn(), &notice).await?;
    crate::queue::enqueue(
        tx,
        JOB_DEVICE_NOTICE,
        &json!({ "notice": notice.id }),
        crate::queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Whether a token is a device's current one (for answering a malformed heartbeat: a caller
/// without the token learns nothing about the body either).
pub async fn token_matches(store: &Store, asset_id: &str, token: &str) -> Result<bool> {
    let mut conn = store.read().await?;
    let hash = crate::auth::token_hash(token);
    Ok(db::device(&mut conn, asset_id)
        .await?
        .and_then(|d| d.token_hash)
        .is_some_and(|h| h == hash))
}

/// Takes a heartbeat. `Unauthenticated` when the device is unknown or the token is not its
/// current one (the same answer for both, so ids cannot be probed); nothing is written then.
/// Returns the device's state after the heartbeat (always online).
pub async fn heartbeat(
    store: &Store,
    asset_id: &str,
    token: &str,
    figures: Figures,
    now: DateTime<Utc>,
) -> Result<DeviceState> {
    if token.is_empty() || !token.starts_with(TOKEN_PREFIX) {
        return Err(Error::Unauthenticated);
    }
    let f = match figures.check() {
        Ok(f) => f,
        // Only the device itself is told what was wrong with its figures.
        Err(_) if !token_matches(store, asset_id, token).await? => {
            return Err(Error::Unauthenticated)
        }
        Err(problems) => return Err(super::invalid(problems)),
    };
    let at = to_storage(now);
    let hash = crate::auth::token_hash(token);
    let mut tx = store.begin().await?;
    if apply(&mut tx, asset_id, &hash, &at, &f).await?.is_none() {
        return Err(Error::Unauthenticated);
    }
    tx.commit().await?;
    Ok(DeviceState::Online)
}

/// Writes one heartbeat inside a transaction: the time and figures, and when the device was not
/// online, the change of state, a new online span and (coming back from offline) the notice.
/// Whether the state changed; `None`, writing nothing, when the device is unknown or the token
/// hash is not its current one.
async fn apply(
    tx: &mut Tx,
    asset_id: &str,
    hash: &str,
    at: &str,
    f: &Figures,
) -> Result<Option<bool>> {
    let Some(before) = db::beat(
        tx.conn(),
        asset_id,
        hash,
        at,
        f.clients,
        f.uptime_s,
        f.firmware.as_deref(),
        f.signal_dbm,
    )
    .await?
    else {
        return Ok(None);
    };
    let before = DeviceState::parse(&before);
    let changed = before != DeviceState::Online
        && db::set_state(tx.conn(), asset_id, before.as_str(), "online", at).await?;
    if changed {
        db::open_span(tx.conn(), &xaso_storage::new_id(), asset_id, at).await?;
        if before == DeviceState::Offline {
            let unit_id = super::db::asset(tx.conn(), asset_id)
                .await?
                .map(|a| a.unit_id)
                .ok_or(Error::NotFound)?;
            raise(tx, asset_id, &unit_id, "online", at, Some(at)).await?;
        }
    }
    Ok(Some(changed))
}

/// Finds devices that have been silent longer than their kind allows, sets them offline, closes
/// their online span at their last heartbeat and tells their commune (once). Run by the server
/// every minute; returns how many went offline.
pub async fn sweep(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    let kinds = super::kinds(store).await?;
    let at = to_storage(now);
    let mut n = 0;
    for kind in kinds {
        let cutoff = to_storage(now - rules::offline_after(kind.offline_after_min));
        loop {
            let silent = {
                let mut conn = store.read().await?;
                db::silent(&mut conn, &kind.key, &cutoff, 200).await?
            };
            if silent.is_empty() {
                break;
            }
            let batch = silent.len();
            for d in silent {
                let mut tx = store.begin().await?;
                // A heartbeat may have come since the read: then the device stays online.
                if db::go_offline(tx.conn(), &d.asset_id, &cutoff, &at).await? {
                    db::close_span(tx.conn(), &d.asset_id, &d.last_seen_at).await?;
                    raise(
                        &mut tx,
                        &d.asset_id,
                        &d.unit_id,
                        "offline",
                        &at,
                        Some(&d.last_seen_at),
                    )
                    .await?;
                    n += 1;
                }
                tx.commit().await?;
            }
            if batch < 200 {
                break;
            }
        }
    }
    Ok(n)
}

/// One notice about a device, as the commune's page lists it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: String,
    pub asset_id: String,
    /// "offline" or "online".
    pub event: String,
    pub at: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
}

fn notice_of(r: NoticeRow) -> Option<Notice> {
    Some(Notice {
        at: from_storage(&r.at)?,
        last_seen: r.last_seen_at.as_deref().and_then(from_storage),
        id: r.id,
        asset_id: r.asset_id,
        event: r.event,
    })
}

/// The newest notices of a commune whose keepers the caller is (or of one asset).
pub async fn notices(
    store: &Store,
    unit_id: &str,
    asset_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Notice>> {
    let mut conn = store.read().await?;
    Ok(db::notices(&mut conn, unit_id, asset_id, limit)
        .await?
        .into_iter()
        .filter_map(notice_of)
        .collect())
}

/// Devices with a token per commune and state, for the Prometheus gauges:
/// (commune code, state, count).
pub async fn gauges(store: &Store) -> Result<Vec<(String, String, i64)>> {
    let mut conn = store.read().await?;
    Ok(db::counts_by_unit(&mut conn).await?)
}

/// Sends [`JOB_DEVICE_NOTICE`] jobs to the configured webhook as JSON
/// (`event` = `device.offline` or `device.online`), signed like the feedback notices. Without a
/// webhook the notice stays on the commune's page only.
pub struct DeviceNoticeJob {
    pub store: Store,
    pub webhook: Option<crate::feedback::senders::Webhook>,
    /// The public address of the platform, for the link to the device.
    pub base_url: String,
}

impl DeviceNoticeJob {
    async fn body(&self, id: &str) -> Result<Option<(String, serde_json::Value)>> {
        let mut conn = self.store.read().await?;
        let Some(n) = db::notice(&mut conn, id).await? else {
            return Ok(None);
        };
        let Some(a) = super::db::asset(&mut conn, &n.asset_id).await? else {
            return Ok(None);
        };
        let commune = xaso_storage::units::by_id(&mut conn, &n.unit_id)
            .await?
            .map(|u| u.full_name)
            .unwrap_or_default();
        let event = format!("device.{}", n.event);
        let base = self.base_url.trim_end_matches('/');
        Ok(Some((
            event.clone(),
            json!({
                "event": event,
                "tag": a.tag,
                "name": a.name,
                "kind": a.kind,
                "commune": commune,
                "at": n.at,
                "last_seen_at": n.last_seen_at,
                "url": format!("{base}/assets/{}", a.id),
            }),
        )))
    }
}

impl Handler for DeviceNoticeJob {
    fn run<'a>(&'a self, job: &'a crate::queue::Running) -> Outcome<'a> {
        Box::pin(async move {
            let Some(webhook) = &self.webhook else {
                return Ok(());
            };
            let id = job
                .payload
                .get("notice")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let Some((event, body)) = self.body(id).await.map_err(|e| e.to_string())? else {
                return Ok(());
            };
            webhook.post(&event, body.to_string().into_bytes()).await
        })
    }
}

/// A public Wi-Fi point on the map: what anyone may see.
#[derive(Debug, Clone)]
pub struct WifiPoint {
    /// The access point's id (its label's landing is `/t/{id}`).
    pub id: String,
    pub tag: String,
    pub commune_code: String,
    pub commune_name: String,
    /// The network name people choose.
    pub ssid: String,
    pub hours: String,
    pub howto: String,
    pub place_name: Option<String>,
    /// The place's digital address (Plus Code).
    pub plus_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// False when the commune has marked it broken, in repair or missing.
    pub working: bool,
    /// online, offline or never; absent for a point that does not report.
    pub state: Option<DeviceState>,
    /// Share of the last seven days it was online (0–1); absent for a point that does not report.
    pub uptime_7d: Option<f64>,
}

/// The public Wi-Fi points of some communes (all when `None`), with their status now.
pub async fn wifi(
    store: &Store,
    communes: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<Vec<WifiPoint>> {
    let since = to_storage(now - Duration::days(7));
    let mut conn = store.read().await?;
    let rows = db::wifi_points(&mut conn, communes).await?;
    let reporting: Vec<String> = rows
        .iter()
        .filter(|r| r.state.is_some())
        .map(|r| r.asset_id.clone())
        .collect();
    let spans = if reporting.is_empty() {
        Vec::new()
    } else if reporting.len() > 500 {
        // Many points: one read of every recent span is cheaper than a long IN list.
        db::spans_since(&mut conn, None, &since).await?
    } else {
        db::spans_since(&mut conn, Some(&reporting), &since).await?
    };
    let mut by_asset: std::collections::HashMap<String, Vec<Span>> = Default::default();
    for (id, s) in spans_of(spans) {
        by_asset.entry(id).or_default().push(s);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let state = r.state.as_deref().map(DeviceState::parse);
            let uptime_7d = state.map(|_| {
                rules::uptime_since(
                    by_asset.get(&r.asset_id).map(Vec::as_slice).unwrap_or(&[]),
                    7,
                    now,
                )
            });
            WifiPoint {
                working: r.status == "in_use",
                id: r.asset_id,
                tag: r.tag,
                commune_code: r.unit_code,
                commune_name: r.unit_name,
                ssid: r.wifi_ssid,
                hours: r.wifi_hours,
                howto: r.wifi_howto,
                place_name: r.place_name,
                plus_code: r.plus_code,
                lat: r.lat,
                lon: r.lon,
                state,
                uptime_7d,
            }
        })
        .collect())
}

/// How long the public map's points are served from memory. The API's answers may be cached
/// for 60 s by browsers anyway; a device's state changes at most once a minute (the offline
/// check), so 30 s adds little staleness and spares the database a read of every point and its
/// week of spans for each visitor.
const WIFI_FRESH: std::time::Duration = std::time::Duration::from_secs(30);

type WifiEntry = (std::time::Instant, std::sync::Arc<Vec<WifiPoint>>);

/// The public Wi-Fi map's points, per set of communes asked for, kept for [`WIFI_FRESH`].
#[derive(Debug, Default)]
pub struct WifiMap {
    entries: std::sync::RwLock<std::collections::HashMap<Option<Vec<String>>, WifiEntry>>,
    bus: crate::cluster::Bus,
}

impl WifiMap {
    pub fn new() -> WifiMap {
        WifiMap::default()
    }

    /// A map whose changes other instances hear of.
    pub fn with_bus(bus: crate::cluster::Bus) -> WifiMap {
        WifiMap {
            bus,
            ..WifiMap::default()
        }
    }

    /// The points of these communes (every point when `None`), like [`wifi`].
    pub async fn get(
        &self,
        store: &Store,
        communes: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> Result<std::sync::Arc<Vec<WifiPoint>>> {
        let key = communes.map(<[String]>::to_vec);
        if let Some((at, points)) = self.entries.read().expect("wifi lock").get(&key) {
            if at.elapsed() < WIFI_FRESH {
                return Ok(points.clone());
            }
        }
        let points = std::sync::Arc::new(wifi(store, communes, now).await?);
        let mut entries = self.entries.write().expect("wifi lock");
        // Keys are sets of communes a unit code leads to: a few thousand at most.
        if entries.len() >= 4096 {
            entries.clear();
        }
        entries.insert(key, (std::time::Instant::now(), points.clone()));
        Ok(points)
    }

    /// Forgets every kept map (after a change to a public point), here and elsewhere.
    pub fn clear(&self) {
        self.clear_local();
        self.bus.publish(crate::cluster::Change::Wifi);
    }

    /// Forgets every kept map here (another instance changed a point).
    pub fn clear_local(&self) {
        self.entries.write().expect("wifi lock").clear();
    }
}
