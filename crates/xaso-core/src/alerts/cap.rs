//! Alerts as OASIS CAP 1.2 messages (elements in the schema's order, dateTimes with an explicit
//! offset and whole seconds) and the Atom feed that lists them for relaying systems (the shape of
//! OASIS' CAP feeds note: one entry per message, linked as `application/cap+xml`).

use xaso_domain::alerts::cap_time;
use xaso_storage::alerts::AlertRow;

use crate::xml::{close, done, open, text, writer};
use crate::Result;

/// CAP's namespace.
pub const NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// The media type CAP messages are served with.
pub const MEDIA_TYPE: &str = "application/cap+xml";

/// Who the messages come from and where they live.
pub struct Sender<'a> {
    /// CAP's `sender`: `xaso@<host>`.
    pub sender: String,
    /// The public address (for `web` and the feed's links).
    pub base: &'a str,
}

impl<'a> Sender<'a> {
    pub fn of(base: &'a str) -> Sender<'a> {
        let host = base
            .split("://")
            .nth(1)
            .unwrap_or(base)
            .split(['/', ':'])
            .next()
            .filter(|h| !h.is_empty())
            .unwrap_or("localhost");
        Sender {
            sender: format!("xaso@{host}"),
            base: base.trim_end_matches('/'),
        }
    }
}

/// The CAP identifier of an alert id.
pub fn identifier(id: &str) -> String {
    format!("urn:uuid:{id}")
}

fn time(s: &str) -> String {
    xaso_domain::time::from_storage(s)
        .map(cap_time)
        .unwrap_or_default()
}

/// One message. `first` is the message an update or cancellation refers to; `area` the units it
/// covers as (name, GSO code); `sender_name` the issuing authority.
pub fn message(
    a: &AlertRow,
    first: Option<&AlertRow>,
    area: &[(String, String)],
    sender_name: &str,
    from: &Sender<'_>,
) -> Result<String> {
    let mut w = writer()?;
    open(&mut w, "alert", &[("xmlns", NS)])?;
    text(&mut w, "identifier", &[], &a.identifier)?;
    text(&mut w, "sender", &[], &from.sender)?;
    text(&mut w, "sent", &[], &time(&a.sent_at))?;
    text(&mut w, "status", &[], &a.status)?;
    text(&mut w, "msgType", &[], &a.msg_type)?;
    text(&mut w, "scope", &[], "Public")?;
    if let Some(f) = first {
        let refs = format!("{},{},{}", from.sender, f.identifier, time(&f.sent_at));
        text(&mut w, "references", &[], &refs)?;
    }
    open(&mut w, "info", &[])?;
    text(&mut w, "language", &[], "vi-VN")?;
    let hazard =
        xaso_domain::alerts::Hazard::parse(&a.hazard).unwrap_or(xaso_domain::alerts::Hazard::Other);
    text(&mut w, "category", &[], hazard.category())?;
    text(&mut w, "event", &[], hazard.event_vi())?;
    text(&mut w, "urgency", &[], &a.urgency)?;
    text(&mut w, "severity", &[], &a.severity)?;
    text(&mut w, "certainty", &[], &a.certainty)?;
    text(&mut w, "expires", &[], &time(&a.expires_at))?;
    text(&mut w, "senderName", &[], sender_name)?;
    text(&mut w, "headline", &[], &a.headline)?;
    text(&mut w, "description", &[], &a.description)?;
    if !a.instruction.is_empty() {
        text(&mut w, "instruction", &[], &a.instruction)?;
    }
    let first_id = a.first_id.as_deref().unwrap_or(&a.id);
    text(
        &mut w,
        "web",
        &[],
        &format!("{}/alerts/{first_id}", from.base),
    )?;
    if let Some(level) = a.risk_level {
        open(&mut w, "parameter", &[])?;
        text(&mut w, "valueName", &[], "VN-QD18-2021-risk-level")?;
        text(&mut w, "value", &[], &level.to_string())?;
        close(&mut w, "parameter")?;
    }
    open(&mut w, "area", &[])?;
    text(&mut w, "areaDesc", &[], &a.area_desc)?;
    if !a.polygon.is_empty() {
        text(&mut w, "polygon", &[], &a.polygon)?;
    }
    for (_, code) in area {
        open(&mut w, "geocode", &[])?;
        text(&mut w, "valueName", &[], "VN-GSO")?;
        text(&mut w, "value", &[], code)?;
        close(&mut w, "geocode")?;
    }
    close(&mut w, "area")?;
    close(&mut w, "info")?;
    close(&mut w, "alert")?;
    done(w)
}

/// The Atom feed of recent messages, newest first.
pub fn feed(alerts: &[AlertRow], from: &Sender<'_>, title: &str) -> Result<String> {
    let mut w = writer()?;
    open(&mut w, "feed", &[("xmlns", "http://www.w3.org/2005/Atom")])?;
    text(&mut w, "id", &[], &format!("{}/cap/alerts.atom", from.base))?;
    text(&mut w, "title", &[], title)?;
    let updated = alerts
        .first()
        .map(|a| time(&a.sent_at))
        .unwrap_or_else(|| cap_time(chrono::Utc::now()));
    text(&mut w, "updated", &[], &updated)?;
    crate::xml::empty(
        &mut w,
        "link",
        &[
            ("rel", "self"),
            ("href", &format!("{}/cap/alerts.atom", from.base)),
        ],
    )?;
    open(&mut w, "author", &[])?;
    text(&mut w, "name", &[], &from.sender)?;
    close(&mut w, "author")?;
    for a in alerts {
        open(&mut w, "entry", &[])?;
        text(&mut w, "id", &[], &a.identifier)?;
        text(&mut w, "title", &[], &a.headline)?;
        text(&mut w, "updated", &[], &time(&a.sent_at))?;
        crate::xml::empty(
            &mut w,
            "link",
            &[
                ("rel", "alternate"),
                ("type", MEDIA_TYPE),
                ("href", &format!("{}/cap/{}.xml", from.base, a.id)),
            ],
        )?;
        text(&mut w, "summary", &[], &a.description)?;
        close(&mut w, "entry")?;
    }
    close(&mut w, "feed")?;
    done(w)
}
