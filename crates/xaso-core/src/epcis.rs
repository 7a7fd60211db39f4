//! EPCIS 2.0 traceability events: captured as whole documents (from another system, or from a
//! producer's phone through the batch page), validated against GS1's JSON Schema and against
//! the platform's batches, kept as captured, and queried back as EPCIS query documents.
//!
//! A document is accepted whole or not at all. Every identifier in an event must name a batch
//! or a stamp of this platform that the account may write (its own producer's, or the
//! commune's); a GS1 Digital Link naming only a product, with no lot, is refused because it does
//! not say which batch the event is about.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{json, Map, Value};
use xaso_domain::epcis::{parse_epc, uom, BizStep, EpcRef};
use xaso_domain::trace::{BatchStatus, DigitalLink};
use xaso_storage::epcis::{self as db, EventFilter, EventRow};
use xaso_storage::Store;

use crate::error::Problem;
use crate::producers::{self, Batch};
use crate::{Actor, Error, Result};

/// The JSON-LD context every EPCIS 2.0 document names first.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// The prefix of the platform's own event fields (`xaso:note`).
pub const XASO_PREFIX: &str = "urn:xaso:epcis:";

/// Events per captured document, at most.
pub const MAX_EVENTS: usize = 10_000;

/// Schema problems reported back, at most (the rest are summarised).
const MAX_PROBLEMS: usize = 25;

static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/epcis/EPCIS-JSON-Schema.json"))
            .expect("the EPCIS schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the EPCIS schema compiles")
});

/// Checks a document against GS1's EPCIS 2.0 JSON Schema; the problems, each with the JSON
/// pointer of what is wrong (empty when valid).
pub fn schema_problems(doc: &Value) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    let mut more = 0;
    for e in SCHEMA.iter_errors(doc) {
        if out.len() < MAX_PROBLEMS {
            let at = e.instance_path().to_string();
            out.push(Problem::new(
                if at.is_empty() { "/".to_string() } else { at },
                e.to_string(),
            ));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(Problem::new("/", format!("and {more} more problems")));
    }
    out
}

/// The identifiers an event carries, by where EPCIS puts them for each event type.
fn identifiers(event: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut take_list = |key: &str, class: bool| {
        if let Some(list) = event.get(key).and_then(Value::as_array) {
            for v in list {
                let id = if class { v.get("epcClass") } else { Some(v) };
                if let Some(s) = id.and_then(Value::as_str) {
                    out.push(s.to_string());
                }
            }
        }
    };
    for key in ["epcList", "childEPCs", "inputEPCList", "outputEPCList"] {
        take_list(key, false);
    }
    for key in [
        "quantityList",
        "childQuantityList",
        "inputQuantityList",
        "outputQuantityList",
    ] {
        take_list(key, true);
    }
    if let Some(p) = event.get("parentID").and_then(Value::as_str) {
        out.push(p.to_string());
    }
    out
}

/// What an identifier in a captured event turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// A batch of this platform (directly, through its lot or through one of its stamps).
    Batch(String),
    /// Not the platform's to know: another company's GTIN, a pallet's SSCC, a location.
    Foreign,
    /// Looks like the platform's (a GTIN registered here, a batch or stamp address) but names
    /// nothing: a typo, a wrong lot, a made-up serial.
    Missing,
}

/// Finds the batch an identifier names, whatever the batch's state (rights are checked after).
async fn batch_of(store: &Store, id: &str) -> Result<Found> {
    let mut conn = store.read().await?;
    let found = |b: Option<String>| b.map(Found::Batch).unwrap_or(Found::Missing);
    Ok(match parse_epc(id) {
        Some(EpcRef::Batch(b)) => found(
            xaso_storage::producers::batch(&mut conn, &b)
                .await?
                .map(|r| r.id),
        ),
        Some(EpcRef::Stamp(code)) => found(
            xaso_storage::stamps::stamp(&mut conn, &code)
                .await?
                .map(|s| s.batch_id),
        ),
        Some(EpcRef::Gtin(dl)) => {
            let Some(product) =
                xaso_storage::producers::product_by_gtin(&mut conn, &dl.gtin.gtin14()).await?
            else {
                return Ok(Found::Foreign);
            };
            match (&dl.lot, &dl.serial) {
                (Some(lot), _) => {
                    let batch =
                        xaso_storage::producers::batch_by_lot(&mut conn, &product.id, lot).await?;
                    found(match (batch, &dl.serial) {
                        // A serial must be one of this batch's stamps.
                        (Some(b), Some(serial)) => xaso_storage::stamps::stamp(&mut conn, serial)
                            .await?
                            .filter(|s| s.batch_id == b.id)
                            .map(|s| s.batch_id),
                        (b, _) => b.map(|b| b.id),
                    })
                }
                (None, Some(serial)) => {
                    let stamp = xaso_storage::stamps::stamp(&mut conn, serial).await?;
                    found(match stamp {
                        Some(s) => xaso_storage::producers::batch(&mut conn, &s.batch_id)
                            .await?
                            .filter(|b| b.product_id == product.id)
                            .map(|b| b.id),
                        None => None,
                    })
                }
                // The product as a whole: which batch is not said.
                (None, None) => Found::Missing,
            }
        }
        None => Found::Foreign,
    })
}

/// The `@context` entries of a document or event, as a list.
fn contexts(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

/// Reads the place a readPoint names when it is one of the platform's place pages.
async fn place_of(store: &Store, read_point: &str) -> Result<Option<String>> {
    let Some(i) = read_point.find("/p/") else {
        return Ok(None);
    };
    let id = read_point[i + 3..].trim_end_matches('/');
    if id.is_empty() || id.contains('/') {
        return Ok(None);
    }
    let mut conn = store.read().await?;
    Ok(xaso_storage::places::by_id(&mut conn, id)
        .await?
        .map(|p| p.id))
}

fn storage_time(t: DateTime<FixedOffset>) -> String {
    xaso_domain::time::to_storage(t.with_timezone(&Utc))
}

/// What a capture stored.
#[derive(Debug, Clone)]
pub struct Captured {
    pub capture_id: String,
    pub event_ids: Vec<String>,
}

/// Captures an EPCIS document: all its events or none. Problems name the event
/// (`/epcisBody/eventList/3`) and say what is wrong.
pub async fn capture(store: &Store, actor: Option<&Actor>, doc: &Value) -> Result<Captured> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if doc.get("type").and_then(Value::as_str) != Some("EPCISDocument") {
        return Err(Error::invalid(
            "/type",
            "the capture interface takes an EPCISDocument",
        ));
    }
    let problems = schema_problems(doc);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let events = doc["epcisBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if events.is_empty() {
        return Err(Error::invalid(
            "/epcisBody/eventList",
            "the document has no events",
        ));
    }
    if events.len() > MAX_EVENTS {
        return Err(Error::invalid(
            "/epcisBody/eventList",
            format!("at most {MAX_EVENTS} events per document"),
        ));
    }
    let doc_context = contexts(doc.get("@context"));
    let capture_id = xaso_storage::new_id();
    let now = Utc::now();
    let record_time = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut problems = Vec::new();
    let mut rows: Vec<(EventRow, Vec<String>)> = Vec::new();
    let mut writable: HashMap<String, Option<String>> = HashMap::new();
    let mut seen_ids = BTreeSet::new();
    for (i, event) in events.iter().enumerate() {
        let at = format!("/epcisBody/eventList/{i}");
        let mut bad = |detail: String| problems.push(Problem::new(at.clone(), detail));
        let Some(obj) = event.as_object() else {
            bad("an event is a JSON object".into());
            continue;
        };
        let time = obj
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let Some(time) = time else {
            bad("eventTime must be an RFC 3339 time with its offset".into());
            continue;
        };
        if time.with_timezone(&Utc) > now + chrono::Duration::minutes(10) {
            bad("eventTime is in the future".into());
        }
        let mut batches = BTreeSet::new();
        for id in identifiers(event) {
            match batch_of(store, &id).await? {
                Found::Batch(b) => {
                    batches.insert(b);
                }
                Found::Foreign => {}
                Found::Missing => bad(format!(
                    "`{id}` names no batch or stamp on this platform (a Digital Link needs the lot /10/ of a batch or a stamp's serial /21/)"
                )),
            }
        }
        if batches.is_empty() {
            bad("the event names no batch or stamp of this platform in its EPC lists".into());
            continue;
        }
        for b in &batches {
            if !writable.contains_key(b) {
                let commune = match producers::batch(store, Some(actor), b).await {
                    Ok((_, _, producer, rights)) if rights.write => Some(producer.commune.id),
                    Ok(_) | Err(Error::NotFound) => None,
                    Err(e) => return Err(e),
                };
                writable.insert(b.clone(), commune);
            }
            if writable[b].is_none() {
                bad(format!(
                    "batch {b} is not one this account may record events for"
                ));
            }
        }
        let mut body: Map<String, Value> = obj.clone();
        let event_id = match body.get("eventID").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => format!("urn:uuid:{}", uuid::Uuid::now_v7()),
        };
        if !seen_ids.insert(event_id.clone()) {
            bad(format!("eventID {event_id} appears twice in the document"));
        }
        {
            let mut conn = store.read().await?;
            if db::event_exists(&mut conn, &event_id).await? {
                bad(format!("eventID {event_id} was captured before"));
            }
        }
        body.insert("eventID".into(), Value::String(event_id.clone()));
        // The repository sets recordTime (EPCIS 2.0, 7.3.2).
        body.insert("recordTime".into(), Value::String(record_time.clone()));
        let mut context = doc_context.clone();
        for c in contexts(body.remove("@context").as_ref()) {
            if !context.contains(&c) {
                context.push(c);
            }
        }
        let read_point = body
            .get("readPoint")
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        rows.push((
            EventRow {
                id: event_id,
                capture_id: capture_id.clone(),
                event_type: body
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                event_time: storage_time(time),
                biz_step: body
                    .get("bizStep")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                place_id: place_of(store, &read_point).await?,
                read_point,
                context: Value::Array(context).to_string(),
                body: Value::Object(body).to_string(),
                recorded_by: actor.username.clone(),
                recorded_at: xaso_storage::now(),
            },
            batches.into_iter().collect(),
        ));
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(Error::Invalid(problems));
    }
    let unit = rows
        .first()
        .and_then(|(_, b)| b.first())
        .and_then(|b| writable.get(b).cloned().flatten());
    let mut tx = store.begin().await?;
    for (row, batches) in &rows {
        db::insert_event(tx.conn(), row, batches).await?;
    }
    let ids: Vec<String> = rows.iter().map(|(r, _)| r.id.clone()).collect();
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "epcis_capture",
            record_id: &capture_id,
            unit_id: unit.as_deref(),
            before: None,
            after: Some(
                json!({"events": ids.len(), "event_ids": ids.iter().take(100).collect::<Vec<_>>()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Captured {
        capture_id,
        event_ids: ids,
    })
}

/// A query as the EPCIS REST interface takes it (the simple event query's common parameters)
/// plus plain `gtin`, `lot` and `batch` for people.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub gtin: Option<String>,
    pub lot: Option<String>,
    pub batch: Option<String>,
    /// `MATCH_anyEPC` / `MATCH_anyEPCClass`: identifiers, any of which the events touch.
    pub any_epc: Vec<String>,
    pub capture_id: Option<String>,
    /// `GE_eventTime`, `LT_eventTime`: RFC 3339.
    pub from: Option<String>,
    pub before: Option<String>,
    /// `EQ_bizStep`: a CBV name, a CBV URI or one of ours.
    pub biz_step: Option<String>,
    /// `eventType`.
    pub event_type: Option<String>,
    pub per_page: i64,
    pub offset: i64,
}

/// An event as a page or query returns it.
#[derive(Debug, Clone)]
pub struct Event {
    pub row: EventRow,
    pub batches: Vec<String>,
    pub body: Value,
    pub context: Vec<Value>,
}

impl Event {
    pub fn step(&self) -> Option<BizStep> {
        BizStep::from_epcis(&self.row.biz_step)
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        xaso_domain::time::from_storage(&self.row.event_time)
    }

    /// The note the producer wrote with the event.
    pub fn note(&self) -> String {
        self.body
            .get("xaso:note")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }
}

fn to_event((row, batches): (EventRow, Vec<String>)) -> Event {
    Event {
        body: serde_json::from_str(&row.body).unwrap_or(Value::Null),
        context: serde_json::from_str::<Vec<Value>>(&row.context).unwrap_or_default(),
        row,
        batches,
    }
}

fn bad_time(what: &str, v: &str) -> Result<String> {
    DateTime::parse_from_rfc3339(v)
        .map(storage_time)
        .map_err(|_| Error::invalid(what, "an RFC 3339 time such as 2026-11-29T08:00:00+07:00"))
}

/// The batches a query's product, lot, batch and EPC parameters narrow to (`None`: no such
/// parameter given).
async fn query_batches(store: &Store, q: &EventQuery) -> Result<Option<Vec<String>>> {
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    if let Some(g) = &q.gtin {
        let gtin = xaso_domain::trace::Gtin::parse(g)
            .map_err(|e| Error::invalid("gtin", e.to_string()))?;
        let mut conn = store.read().await?;
        let mut set = BTreeSet::new();
        if let Some(p) = xaso_storage::producers::product_by_gtin(&mut conn, &gtin.gtin14()).await?
        {
            for b in xaso_storage::producers::batches_of(&mut conn, &p.id).await? {
                if q.lot.as_deref().is_none_or(|l| l == b.lot) {
                    set.insert(b.id);
                }
            }
        }
        sets.push(set);
    } else if q.lot.is_some() {
        return Err(Error::invalid(
            "lot",
            "a lot is looked up with its product's gtin",
        ));
    }
    if let Some(b) = &q.batch {
        sets.push(BTreeSet::from([b.clone()]));
    }
    if !q.any_epc.is_empty() {
        let mut set = BTreeSet::new();
        for id in &q.any_epc {
            if let Found::Batch(b) = batch_of(store, id).await? {
                set.insert(b);
            }
        }
        sets.push(set);
    }
    let mut it = sets.into_iter();
    let Some(first) = it.next() else {
        return Ok(None);
    };
    Ok(Some(
        it.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
            .into_iter()
            .collect(),
    ))
}

/// Events the actor may see, in time order: events of released or recalled batches for
/// everyone; events of draft batches only for whoever may write the batch. An event is shown
/// only when every batch it touches may be seen.
pub async fn query(store: &Store, actor: Option<&Actor>, q: &EventQuery) -> Result<Vec<Event>> {
    let filter = EventFilter {
        batches: query_batches(store, q).await?,
        capture_id: q.capture_id.clone(),
        from: q
            .from
            .as_deref()
            .map(|v| bad_time("GE_eventTime", v))
            .transpose()?,
        before: q
            .before
            .as_deref()
            .map(|v| bad_time("LT_eventTime", v))
            .transpose()?,
        biz_step: q.biz_step.as_deref().map(|s| {
            BizStep::from_epcis(s)
                .map(|b| b.epcis().to_string())
                .unwrap_or(s.to_string())
        }),
        event_type: q.event_type.clone(),
        offset: q.offset,
        limit: q.per_page.clamp(1, 1000),
        newest_first: false,
    };
    let rows = {
        let mut conn = store.read().await?;
        db::events(&mut conn, &filter).await?
    };
    let mut visible: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let mut ok = true;
        for b in &row.1 {
            if !visible.contains_key(b) {
                let v = match producers::batch(store, actor, b).await {
                    Ok(_) => true,
                    Err(Error::NotFound) => false,
                    Err(e) => return Err(e),
                };
                visible.insert(b.clone(), v);
            }
            ok &= visible[b];
        }
        if ok {
            out.push(to_event(row));
        }
    }
    Ok(out)
}

/// The latest `latest` events of one batch the caller has already been allowed to see, in
/// time order, and how many the batch has in all.
pub async fn timeline(store: &Store, batch_id: &str, latest: i64) -> Result<(Vec<Event>, i64)> {
    let mut conn = store.read().await?;
    let mut rows = db::events(
        &mut conn,
        &EventFilter {
            batches: Some(vec![batch_id.to_string()]),
            limit: latest,
            newest_first: true,
            ..EventFilter::default()
        },
    )
    .await?;
    let total = db::count_of_batch(&mut conn, batch_id).await?;
    rows.reverse();
    Ok((rows.into_iter().map(to_event).collect(), total))
}

/// The steps of a batch's page: every step a batch is likely to have.
pub const BATCH_PAGE_STEPS: i64 = 1000;

/// The steps each stamp's page shows; the rest are on the batch's page.
pub const STAMP_PAGE_STEPS: i64 = 6;

/// A batch's latest steps, and how many it has in all.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub entries: Vec<TimelineEntry>,
    pub total: i64,
}

impl Timeline {
    /// The steps not shown.
    pub fn more(&self) -> i64 {
        self.total - self.entries.len() as i64
    }
}

/// One step of a batch's log, ready for a page: the step, when, where (the place's page and
/// what a visitor may call it) and the producer's note.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub step: Option<BizStep>,
    /// The step as captured, for steps the platform has no name for.
    pub raw_step: String,
    pub event_type: String,
    pub time: Option<DateTime<Utc>>,
    pub place: Option<(String, String)>,
    pub note: String,
}

/// The latest `latest` steps of a batch the caller may already see, oldest first, with place
/// names resolved.
pub async fn timeline_entries(store: &Store, batch_id: &str, latest: i64) -> Result<Timeline> {
    let (events, total) = timeline(store, batch_id, latest).await?;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let place = match &e.row.place_id {
            Some(id) => match crate::places::get(store, None, id).await {
                Ok(p) => Some((
                    id.clone(),
                    p.public_title()
                        .map(str::to_string)
                        .unwrap_or_else(|| p.plus_code.clone()),
                )),
                Err(Error::NotFound) => None,
                Err(err) => return Err(err),
            },
            None => None,
        };
        out.push(TimelineEntry {
            step: e.step(),
            time: e.time(),
            note: e.note(),
            raw_step: e.row.biz_step.clone(),
            event_type: e.row.event_type.clone(),
            place,
        });
    }
    Ok(Timeline {
        entries: out,
        total,
    })
}

/// The EPCIS query document for a list of events: validates against GS1's schema.
pub fn query_document(events: &[Event]) -> Value {
    let mut context = vec![Value::String(EPCIS_CONTEXT.into())];
    for e in events {
        for c in &e.context {
            if !context.contains(c) {
                context.push(c.clone());
            }
        }
    }
    let list: Vec<Value> = events.iter().map(|e| e.body.clone()).collect();
    json!({
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": list}
            }
        }
    })
}

/// What a producer enters on a phone to record one step of a batch.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub step: String,
    /// `yyyy-mm-ddThh:mm` in Vietnam's time, as a date-time field sends it.
    pub time: String,
    /// Record it at the batch's place of origin.
    pub at_origin: bool,
    pub quantity: String,
    pub note: String,
}

/// Records one step of a batch as an EPCIS ObjectEvent (through the same capture, so the same
/// checks apply). `base` is the installation's address, for the identifiers.
pub async fn record_step(
    store: &Store,
    actor: Option<&Actor>,
    batch_id: &str,
    input: &StepInput,
    base: &str,
) -> Result<Captured> {
    let (batch, product, _, rights) = producers::batch(store, actor, batch_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let mut problems = Vec::new();
    let step = BizStep::parse(&input.step);
    if step.is_none() {
        problems.push(Problem::new("step", "choose a step"));
    }
    let time = chrono::NaiveDateTime::parse_from_str(input.time.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| {
            t.and_local_timezone(xaso_domain::time::vn_offset())
                .single()
        });
    if time.is_none() {
        problems.push(Problem::new("time", "give the date and time of the step"));
    }
    let quantity = match input.quantity.trim() {
        "" => None,
        q => match xaso_domain::text::parse_number_vi(q) {
            Some(v) if v > 0.0 => Some(v),
            _ => {
                problems.push(Problem::new("quantity", "a positive number"));
                None
            }
        },
    };
    let note = xaso_domain::text::clean(&input.note);
    if note.chars().count() > 500 {
        problems.push(Problem::new("note", "500 characters at most"));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let (step, time) = (step.expect("checked"), time.expect("checked"));
    let base = base.trim_end_matches('/');
    let class = batch_class(base, &product, &batch);
    let mut element = json!({"epcClass": class});
    if let Some(q) = quantity {
        element["quantity"] = json!(q);
        if let Some(u) = uom(&batch.quantity_unit) {
            element["uom"] = json!(u);
        }
    }
    let mut event = json!({
        "type": "ObjectEvent",
        "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "eventTimeZoneOffset": "+07:00",
        "action": if step == BizStep::Harvesting || step == BizStep::Commissioning { "ADD" } else { "OBSERVE" },
        "bizStep": step.epcis(),
        "epcList": [],
        "quantityList": [element],
    });
    if input.at_origin {
        let origin = {
            let mut conn = store.read().await?;
            xaso_storage::producers::batch(&mut conn, batch_id)
                .await?
                .and_then(|b| b.origin_place_id)
        };
        match origin {
            Some(p) => event["readPoint"] = json!({"id": format!("{base}/p/{p}")}),
            None => {
                return Err(Error::invalid(
                    "at_origin",
                    "the batch has no place of origin",
                ))
            }
        }
    }
    // A harvest from a recorded planting happened on its plot: the event carries the plot's
    // place (rounded to about a kilometre, as the stamp shows it) and its growing area's code.
    if step == BizStep::Harvesting {
        if let Some(o) = crate::agri::farming::batch_origin(store, batch_id).await? {
            let (lat, lng) = o.position;
            event["readPoint"] = json!({"id": format!("geo:{lat:.2},{lng:.2}")});
            if let Some((code, _, _)) = &o.growing_area {
                event["xaso:growingArea"] = json!(code);
            }
            event["xaso:season"] = json!(o.season);
        }
    }
    if !note.is_empty() {
        event["xaso:note"] = json!(note);
    }
    let doc = json!({
        "@context": [EPCIS_CONTEXT, {"xaso": XASO_PREFIX}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "epcisBody": {"eventList": [event]}
    });
    capture(store, actor, &doc).await
}

/// The EPC class naming a batch: a GS1 Digital Link with the lot when the product has a GTIN,
/// else the batch's address on this installation.
pub fn batch_class(base: &str, product: &producers::Product, batch: &Batch) -> String {
    match product.gtin {
        Some(gtin) => DigitalLink {
            gtin,
            lot: Some(batch.lot.clone()),
            serial: None,
        }
        .uri(base),
        None => format!("{}/batches/{}", base.trim_end_matches('/'), batch.id),
    }
}

/// Whether a batch's events may be listed publicly (its page is public).
pub fn public_batch(b: &Batch) -> bool {
    b.status != BatchStatus::Draft
}
