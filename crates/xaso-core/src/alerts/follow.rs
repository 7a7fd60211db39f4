//! The upstream sources a unit follows, reading them, and the drafts they make (see
//! [`super::upstream`] for the reading of feeds and messages).

use chrono::{DateTime, Utc};
use serde_json::json;
use xaso_domain::alerts::upstream::{covers, hazard_of, Place};
use xaso_domain::alerts::{AlertInput, Certainty, Severity, Urgency};
use xaso_domain::places::Boundary;
use xaso_domain::units::{Level, Unit};
use xaso_storage::alerts::upstream::{self as db, DraftRow, SourceRow};
use xaso_storage::Store;

use super::hub::Hub;
use super::upstream::{parse_cap, parse_source, CapMessage, Fetched, EVERY, MAX_BYTES, PER_PASS};
use super::{issues, Alert};
use crate::{Actor, Error, Result};

/// The HTTP client sources are read with (short timeouts: a slow source waits for the next
/// pass).
pub fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .user_agent(concat!(
                "xaso/",
                env!("CARGO_PKG_VERSION"),
                " (CAP follower)"
            ))
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap_or_default()
    })
}

/// The code of a source's or draft's unit (for the pages' way back).
pub async fn unit_code(store: &Store, unit_id: &str) -> Result<String> {
    Ok(super::unit_by_id(store, unit_id).await?.code)
}

/// A draft with the name of the source it came from.
#[derive(Debug, Clone)]
pub struct Draft {
    pub row: DraftRow,
    pub source: String,
}

async fn unit(store: &Store, code: &str) -> Result<Unit> {
    crate::units::by_code(store, code, xaso_domain::time::today_vn()).await
}

async fn require_issuer<'a>(
    store: &Store,
    actor: Option<&'a Actor>,
    unit_id: &str,
) -> Result<&'a Actor> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !issues(store, Some(a), unit_id).await? {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

/// A unit's sources (its issuers).
pub async fn sources(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<SourceRow>)> {
    let unit = unit(store, code).await?;
    require_issuer(store, actor, &unit.id).await?;
    let mut conn = store.read().await?;
    let rows = db::sources(&mut conn, Some(&unit.id)).await?;
    Ok((unit, rows))
}

/// Adds a source: a name, an http(s) address, and whether Extreme and Immediate messages are
/// relayed at once.
pub async fn add_source(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    name: &str,
    url: &str,
    auto_relay: bool,
) -> Result<SourceRow> {
    let unit = unit(store, code).await?;
    let a = require_issuer(store, actor, &unit.id).await?;
    let name = xaso_domain::text::clean(name);
    let url = url.trim().to_string();
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    if name.is_empty() || name.chars().count() > 120 {
        problems.push(("name", "name the source (at most 120 characters)".into()));
    }
    let ok_url = reqwest::Url::parse(&url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok_url || url.len() > 500 {
        problems.push(("url", "give the feed's http or https address".into()));
    }
    if !problems.is_empty() {
        return Err(Error::problems(problems));
    }
    let row = SourceRow {
        id: xaso_storage::new_id(),
        unit_id: unit.id.clone(),
        name,
        url,
        auto_relay: i64::from(auto_relay),
        etag: None,
        checked_at: None,
        problem: String::new(),
        created_by: a.username.clone(),
        created_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::add_source(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "cap_source",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"name": row.name, "url": row.url, "auto_relay": auto_relay})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn source_for(store: &Store, actor: Option<&Actor>, id: &str) -> Result<(SourceRow, Actor)> {
    let row = {
        let mut conn = store.read().await?;
        db::source(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let a = require_issuer(store, actor, &row.unit_id).await?.clone();
    Ok((row, a))
}

/// Stops following a source (its waiting drafts go with it; relayed alerts stay).
pub async fn delete_source(store: &Store, actor: Option<&Actor>, id: &str) -> Result<SourceRow> {
    let (row, a) = source_for(store, actor, id).await?;
    let mut tx = store.begin().await?;
    db::delete_source(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &a,
        crate::audit::Change {
            action: "delete",
            record_type: "cap_source",
            record_id: id,
            unit_id: Some(&row.unit_id),
            before: Some(json!({"name": row.name, "url": row.url})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Reads a source now (its issuers' "check now"): how many drafts it made.
pub async fn check_now(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    id: &str,
    base: &str,
) -> Result<(SourceRow, usize)> {
    let (row, _) = source_for(store, actor, id).await?;
    let n = poll(store, hub, client(), &row, base, Utc::now()).await?;
    let mut conn = store.read().await?;
    Ok((db::source(&mut conn, id).await?.unwrap_or(row), n))
}

/// Reads every source not read in the last [`EVERY`]; how many drafts they made. A source
/// that fails keeps its problem for its page and does not stop the others.
pub async fn poll_all(
    store: &Store,
    hub: &Hub,
    http: &reqwest::Client,
    base: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let rows = {
        let mut conn = store.read().await?;
        db::sources(&mut conn, None).await?
    };
    let mut made = 0;
    for s in rows {
        let due = s
            .checked_at
            .as_deref()
            .and_then(xaso_domain::time::from_storage)
            .is_none_or(|t| t + EVERY <= now);
        if due {
            match poll(store, hub, http, &s, base, now).await {
                Ok(n) => made += n,
                Err(e) => tracing::warn!(source = %s.id, error = %e, "CAP source pass failed"),
            }
        }
    }
    Ok(made)
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    etag: Option<&str>,
) -> std::result::Result<Option<(String, Option<String>)>, String> {
    let mut req = http.get(url).header("accept", "application/atom+xml, application/rss+xml, application/cap+xml, application/xml;q=0.9, */*;q=0.5");
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let resp = req.send().await.map_err(|e| format!("unreachable: {e}"))?;
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(format!("answered HTTP {}", resp.status()));
    }
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp.bytes().await.map_err(|e| format!("unreadable: {e}"))?;
    if bytes.len() > MAX_BYTES {
        return Err("larger than 2 MB".into());
    }
    Ok(Some((String::from_utf8_lossy(&bytes).into_owned(), etag)))
}

/// Reads one source: new actual messages become drafts for the communes they cover.
pub async fn poll(
    store: &Store,
    hub: &Hub,
    http: &reqwest::Client,
    source: &SourceRow,
    base: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let checked = |etag: Option<String>, problem: String| async move {
        let mut tx = store.begin().await?;
        db::checked(
            tx.conn(),
            &source.id,
            etag.as_deref(),
            &xaso_domain::time::to_storage(now),
            &problem,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    };
    let fetched = match get(http, &source.url, source.etag.as_deref()).await {
        Ok(None) => {
            checked(None, String::new()).await?;
            return Ok(0);
        }
        Ok(Some((body, etag))) => match parse_source(&body, &source.url) {
            Ok(f) => (f, etag),
            Err(why) => {
                checked(None, why).await?;
                return Ok(0);
            }
        },
        Err(why) => {
            checked(None, why).await?;
            return Ok(0);
        }
    };
    let messages: Vec<(String, std::result::Result<CapMessage, String>)> = match fetched.0 {
        Fetched::Message(m) => vec![(format!("{}#{}", source.url, m.identifier), Ok(*m))],
        Fetched::Feed(links) => {
            let mut out = Vec::new();
            for url in links.into_iter().take(PER_PASS) {
                let seen = {
                    let mut conn = store.read().await?;
                    db::seen(&mut conn, &source.id, &url).await?
                };
                if seen {
                    continue;
                }
                let got = match get(http, &url, None).await {
                    Ok(Some((body, _))) => parse_cap(&body),
                    Ok(None) => continue,
                    Err(why) => Err(why),
                };
                out.push((url, got));
            }
            out
        }
    };
    let communes = covered(store, &source.unit_id).await?;
    let mut made = 0;
    let mut problems = Vec::new();
    for (url, got) in messages {
        let seen_key = url.clone();
        match got {
            Ok(m) => made += take(store, hub, source, &communes, &m, base, now).await?,
            Err(why) => {
                // Unreadable: noted, and tried again next time.
                problems.push(format!("{url}: {why}"));
                continue;
            }
        }
        let mut tx = store.begin().await?;
        db::mark_seen(tx.conn(), &source.id, &seen_key, &xaso_storage::now()).await?;
        tx.commit().await?;
    }
    checked(fetched.1, problems.join("; ").chars().take(500).collect()).await?;
    Ok(made)
}

/// The communes a source's unit covers, with what matching needs (names, boundary).
struct Covered {
    unit: Unit,
    names: Vec<String>,
    boundary: Option<Boundary>,
}

async fn covered(store: &Store, unit_id: &str) -> Result<Vec<Covered>> {
    let unit = super::unit_by_id(store, unit_id).await?;
    let communes: Vec<Unit> = if unit.level == Level::Commune {
        vec![unit]
    } else {
        super::area_choices(store, &unit)
            .await?
            .into_iter()
            .filter(|u| u.level == Level::Commune)
            .collect()
    };
    let mut out = Vec::new();
    for c in communes {
        let above = {
            let mut conn = store.read().await?;
            xaso_storage::units::ancestors(&mut conn, &c).await?
        };
        let mut names = vec![c.full_name.clone(), c.name.clone()];
        names.extend(above.iter().map(|u| u.full_name.clone()));
        let boundary = crate::places::boundary_geojson(store, &c.id)
            .await?
            .and_then(|g| Boundary::from_geojson(&g));
        out.push(Covered {
            unit: c,
            names,
            boundary,
        });
    }
    Ok(out)
}

/// One message: drafts for the communes it covers (actual messages only); an update or a
/// cancellation replaces the drafts still waiting of what it references. Relayed at once when
/// the source says so and the message is Extreme and Immediate (and its cancellations).
async fn take(
    store: &Store,
    hub: &Hub,
    source: &SourceRow,
    communes: &[Covered],
    m: &CapMessage,
    base: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    if m.status != "Actual" || !matches!(m.msg_type.as_str(), "Alert" | "Update" | "Cancel") {
        return Ok(0);
    }
    if m.msg_type != "Cancel" && m.expires.is_some_and(|e| e <= now) {
        return Ok(0);
    }
    let mut made = 0;
    for c in communes {
        let place = Place {
            code: &c.unit.code,
            names: c.names.iter().map(String::as_str).collect(),
            boundary: c.boundary.as_ref(),
        };
        let earlier = {
            let mut conn = store.read().await?;
            db::drafts_of(&mut conn, &source.id, &c.unit.id, &m.references).await?
        };
        // A cancellation or update reaches the communes of what it references, even when its
        // own area is written differently.
        if !m.areas.iter().any(|a| covers(a, &place)) && earlier.is_empty() {
            continue;
        }
        let row = DraftRow {
            id: xaso_storage::new_id(),
            source_id: source.id.clone(),
            unit_id: c.unit.id.clone(),
            identifier: m.identifier.clone(),
            sender: if m.sender_name.is_empty() {
                m.sender.clone()
            } else {
                m.sender_name.clone()
            },
            sent: m.sent.clone(),
            msg_type: m.msg_type.clone(),
            refs: m.references.join(" "),
            hazard: hazard_of(&m.event, &m.categories).as_str().into(),
            urgency: m.urgency.clone(),
            severity: m.severity.clone(),
            certainty: m.certainty.clone(),
            headline: if m.headline.is_empty() {
                m.event.clone()
            } else {
                m.headline.clone()
            },
            description: m.description.clone(),
            instruction: m.instruction.clone(),
            area_desc: m
                .areas
                .iter()
                .map(|a| a.desc.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            expires_at: m.expires.map(xaso_domain::time::to_storage),
            cap_xml: String::new(),
            status: "new".into(),
            alert_id: None,
            received_at: xaso_domain::time::to_storage(now),
            decided_by: None,
            decided_at: None,
        };
        // A cancellation of something never relayed asks nothing of the commune.
        let relayed = earlier.iter().rev().find_map(|d| d.alert_id.clone());
        let mut tx = store.begin().await?;
        for d in earlier.iter().filter(|d| d.status == "new") {
            db::decide(
                tx.conn(),
                &d.id,
                "replaced",
                None,
                "cap",
                &xaso_storage::now(),
            )
            .await?;
        }
        let fresh = if m.msg_type == "Cancel" && relayed.is_none() {
            false
        } else {
            db::add_draft(tx.conn(), &row).await?
        };
        tx.commit().await?;
        if !fresh {
            continue;
        }
        made += 1;
        let urgent = m.severity == "Extreme" && m.urgency == "Immediate";
        let auto =
            source.auto_relay == 1 && (urgent || (relayed.is_some() && m.msg_type != "Alert"));
        if auto {
            let system = Actor::system(&format!("cap:{}", source.name));
            if let Err(e) = relay(store, hub, Some(&system), &row.id, base).await {
                tracing::warn!(draft = %row.id, error = %e, "automatic relay failed; left as a draft");
            }
        }
    }
    Ok(made)
}

/// A commune's drafts, the waiting ones first (its issuers).
pub async fn drafts(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Vec<Draft>> {
    let unit = unit(store, code).await?;
    require_issuer(store, actor, &unit.id).await?;
    let mut conn = store.read().await?;
    let rows = db::drafts(&mut conn, &unit.id, 50).await?;
    let mut out = Vec::new();
    for row in rows {
        let source = db::source(&mut conn, &row.source_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        out.push(Draft { row, source });
    }
    Ok(out)
}

async fn draft_for(store: &Store, actor: Option<&Actor>, id: &str) -> Result<(DraftRow, Actor)> {
    let row = {
        let mut conn = store.read().await?;
        db::draft(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let a = require_issuer(store, actor, &row.unit_id).await?.clone();
    if row.status != "new" {
        return Err(Error::Conflict("this draft was already decided".into()));
    }
    Ok((row, a))
}

/// Leaves a draft aside.
pub async fn dismiss(store: &Store, actor: Option<&Actor>, id: &str) -> Result<DraftRow> {
    let (row, a) = draft_for(store, actor, id).await?;
    let mut tx = store.begin().await?;
    if !db::decide(
        tx.conn(),
        id,
        "dismissed",
        None,
        &a.username,
        &xaso_storage::now(),
    )
    .await?
    {
        return Err(Error::Conflict("this draft was already decided".into()));
    }
    crate::audit::record(
        &mut tx,
        &a,
        crate::audit::Change {
            action: "dismiss",
            record_type: "cap_draft",
            record_id: id,
            unit_id: Some(&row.unit_id),
            before: None,
            after: Some(json!({"identifier": row.identifier, "headline": row.headline})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// What an officer would type for a draft (the upstream sender named in the description).
fn input_of(d: &DraftRow, now: DateTime<Utc>) -> AlertInput {
    let or = |v: &str, parse: fn(&str) -> bool, default: &str| {
        if parse(v) {
            v.to_string()
        } else {
            default.to_string()
        }
    };
    let hours = d
        .expires_at
        .as_deref()
        .and_then(xaso_domain::time::from_storage)
        .map(|e| ((e - now).num_minutes() + 59) / 60)
        .unwrap_or(24)
        .clamp(1, 240);
    let mut description = if d.description.trim().is_empty() {
        d.headline.clone()
    } else {
        d.description.clone()
    };
    description = format!("{description}\n(Nguồn: {})", d.sender);
    AlertInput {
        hazard: d.hazard.clone(),
        urgency: or(&d.urgency, |v| Urgency::parse(v).is_some(), "Unknown"),
        severity: or(&d.severity, |v| Severity::parse(v).is_some(), "Unknown"),
        certainty: or(&d.certainty, |v| Certainty::parse(v).is_some(), "Unknown"),
        risk_level: String::new(),
        headline: d.headline.chars().take(160).collect(),
        description: description.chars().take(3000).collect(),
        instruction: d.instruction.chars().take(2000).collect(),
        hours: hours.to_string(),
        repeats: "2".into(),
        status: "Actual".into(),
        // The commune's own area: the source's shapes were matched already.
        polygon: String::new(),
    }
}

/// Relays a draft with one action: a new alert for the commune, or an update or cancellation
/// of the alert relayed from what it references.
pub async fn relay(
    store: &Store,
    hub: &Hub,
    actor: Option<&Actor>,
    id: &str,
    base: &str,
) -> Result<Alert> {
    let (row, a) = draft_for(store, actor, id).await?;
    let earlier = {
        let refs: Vec<String> = row.refs.split_whitespace().map(str::to_string).collect();
        let mut conn = store.read().await?;
        db::drafts_of(&mut conn, &row.source_id, &row.unit_id, &refs).await?
    };
    let ours = match earlier.iter().rev().find_map(|d| d.alert_id.clone()) {
        Some(alert) => Some(super::message(store, &alert).await?),
        None => None,
    };
    let first = ours.map(|r| r.first_id.clone().unwrap_or(r.id));
    let now = Utc::now();
    let unit = super::unit_by_id(store, &row.unit_id).await?;
    let alert = match (row.msg_type.as_str(), first) {
        ("Cancel", Some(first)) => {
            let reason = format!("{} đã hủy cảnh báo.", row.sender);
            super::cancel(store, hub, Some(&a), &first, &reason, base).await?
        }
        ("Cancel", None) => return Err(Error::Conflict("nothing relayed to cancel".into())),
        ("Update", Some(first)) => {
            super::update(store, hub, Some(&a), &first, &input_of(&row, now), base).await?
        }
        _ => {
            super::issue(
                store,
                hub,
                Some(&a),
                &unit.code,
                &input_of(&row, now),
                &[],
                base,
            )
            .await?
        }
    };
    let mut tx = store.begin().await?;
    db::decide(
        tx.conn(),
        id,
        "relayed",
        Some(&alert.row.id),
        &a.username,
        &xaso_storage::now(),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &a,
        crate::audit::Change {
            action: "relay",
            record_type: "cap_draft",
            record_id: id,
            unit_id: Some(&row.unit_id),
            before: None,
            after: Some(json!({"identifier": row.identifier, "alert": alert.row.id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(alert)
}
