//! Bulk import and export of places: CSV, xlsx and GeoJSON in; GeoJSON and CSV out.
//!
//! An import is all or nothing. Every row is checked first — the fields, the unit (the commune
//! imported into, or one of its villages), the position (inside the commune's boundary when it
//! is known, else inside Vietnam) and duplicates (the same name within 10 m, in the file or
//! already registered) — and every problem is named with its row. Rows are then written in
//! multi-row INSERTs inside one transaction, with one audit entry for the import.

use std::collections::HashMap;
use std::io::Cursor;

use serde_json::json;
use xaso_domain::places::{self as dom, PlaceInput};
use xaso_domain::text;
use xaso_domain::units::{Level, Unit};
use xaso_storage::places::PlaceRow;
use xaso_storage::Store;

use super::{boundary_of, Place, WRITERS};
use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// Columns of the CSV and xlsx formats, in order; `kind`, `name`, `latitude` and `longitude`
/// are required, the rest may be left out.
pub const COLUMNS: &[&str] = &[
    "kind",
    "name",
    "address",
    "latitude",
    "longitude",
    "unit_code",
    "vpostcode",
    "contact_name",
    "contact_phone",
    "public_name",
];

/// Largest file accepted (about a million CSV rows).
pub const MAX_BYTES: usize = 200 * 1024 * 1024;
/// Most problems listed (the count says how many more).
const MAX_PROBLEMS: usize = 500;
/// Rows per INSERT statement (22 values each; well under both engines' limits).
const BATCH: usize = 200;
/// Two rows of the same name closer than this are the same place.
const DUPLICATE_M: f64 = 10.0;

/// A file format, from the file name or content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    GeoJson,
}

impl Format {
    pub fn detect(filename: &str, bytes: &[u8]) -> Option<Format> {
        let lower = filename.to_ascii_lowercase();
        if bytes.starts_with(b"PK") || lower.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Format::GeoJson)
        } else if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.is_empty() {
            let start = bytes.iter().find(|b| !b.is_ascii_whitespace());
            Some(if start == Some(&b'{') {
                Format::GeoJson
            } else {
                Format::Csv
            })
        } else {
            None
        }
    }
}

/// One row as read, before it is checked: where it came from and its fields by column name.
struct RawRow {
    at: String,
    fields: HashMap<String, String>,
}

fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| Error::invalid("file", format!("unreadable CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    check_headers(&headers)?;
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let at = format!("line {}", i + 2);
        let rec = rec.map_err(|e| Error::invalid(at.clone(), format!("unreadable CSV: {e}")))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let fields = headers
            .iter()
            .cloned()
            .zip(rec.iter().map(str::to_string))
            .collect();
        rows.push(RawRow { at, fields });
    }
    Ok(rows)
}

fn check_headers(headers: &[String]) -> Result<()> {
    let missing: Vec<&str> = ["kind", "name", "latitude", "longitude"]
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "header",
            format!(
                "the header lacks {}; columns are {}",
                missing.join(", "),
                COLUMNS.join(",")
            ),
        ));
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>> {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::invalid("file", format!("not an .xlsx workbook: {e}")))?;
    let sheet = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Error::invalid("file", "the workbook has no sheet"))?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| Error::invalid("file", format!("unreadable sheet: {e}")))?;
    let cell = |d: &Data| match d {
        Data::Empty => String::new(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    let mut rows_iter = range.rows();
    let headers: Vec<String> = rows_iter
        .next()
        .map(|r| {
            r.iter()
                .map(|d| cell(d).trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    check_headers(&headers)?;
    let mut rows = Vec::new();
    for (i, r) in rows_iter.enumerate() {
        let values: Vec<String> = r.iter().map(cell).collect();
        if values.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        rows.push(RawRow {
            at: format!("{sheet}!row {}", i + 2),
            fields: headers.iter().cloned().zip(values).collect(),
        });
    }
    Ok(rows)
}

fn read_geojson(bytes: &[u8]) -> Result<Vec<RawRow>> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid("file", format!("not GeoJSON: {e}")))?;
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| Error::invalid("file", "not a GeoJSON FeatureCollection"))?;
    let mut rows = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let at = format!("feature {}", i + 1);
        let mut fields: HashMap<String, String> = HashMap::new();
        if let Some(props) = f.get("properties").and_then(|p| p.as_object()) {
            for (k, v) in props {
                let s = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                fields.insert(k.to_ascii_lowercase(), s);
            }
        }
        // GeoJSON positions are [longitude, latitude].
        match f.pointer("/geometry/type").and_then(|t| t.as_str()) {
            Some("Point") => {
                let c = f.pointer("/geometry/coordinates");
                let lng = c.and_then(|c| c.get(0)).and_then(|v| v.as_f64());
                let lat = c.and_then(|c| c.get(1)).and_then(|v| v.as_f64());
                fields.insert(
                    "longitude".into(),
                    lng.map(|v| v.to_string()).unwrap_or_default(),
                );
                fields.insert(
                    "latitude".into(),
                    lat.map(|v| v.to_string()).unwrap_or_default(),
                );
            }
            _ => {
                fields.insert("latitude".into(), String::new());
            }
        }
        rows.push(RawRow { at, fields });
    }
    Ok(rows)
}

fn flag(s: &str) -> bool {
    matches!(
        text::fold(s).as_str(),
        "1" | "true" | "co" | "yes" | "x" | "dong y"
    )
}

/// A place already accounted for, for duplicate checks: position and where it came from.
type Seen = (f64, f64, String);

/// What an import did, or would have done.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: usize,
}

pub use crate::jobs::Progress;

/// Imports places into a commune (rows may name the commune's villages in `unit_code`). Staff
/// of the commune only. All or nothing.
/// Imports at least this large refresh the table's statistics afterwards.
const BIG_IMPORT: usize = 10_000;

pub async fn import(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    filename: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> Result<ImportReport> {
    let (commune, village) = super::units_for(store, commune_code).await?;
    if village.is_some() {
        return Err(Error::invalid(
            "unit",
            "import into the commune; rows name their village in unit_code",
        ));
    }
    let actor = authz::require_role_over(store, actor, WRITERS, &commune.id).await?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid("file", "the file is larger than 200 MB"));
    }
    let format = Format::detect(filename, bytes)
        .ok_or_else(|| Error::invalid("file", "use a .csv, .xlsx or .geojson file"))?;
    let raw = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
        Format::GeoJson => read_geojson(bytes)?,
    };
    if raw.is_empty() {
        return Err(Error::invalid("file", "the file has no rows"));
    }
    let total = raw.len();
    progress.set(0, total, "check");

    // The villages a row may name, and the commune's boundary.
    let villages: HashMap<String, Unit> = {
        let mut conn = store.read().await?;
        xaso_storage::units::children(&mut conn, &commune.id, Some(xaso_domain::time::today_vn()))
            .await?
            .into_iter()
            .filter(|u| u.level == Level::Village)
            .map(|u| (u.code.clone(), u))
            .collect()
    };
    let boundary = boundary_of(store, &commune.id).await?.map(|(b, _)| b);

    // Existing places of the commune by (cell, name), for duplicate detection: a row looks up
    // its own name in the nine cells around it, whatever the density.
    let mut seen: HashMap<(i64, String), Vec<Seen>> = HashMap::new();
    {
        let mut conn = store.read().await?;
        for (key, lat, lng, cell) in
            xaso_storage::places::keys_in_commune(&mut conn, &commune.id).await?
        {
            seen.entry((cell, key)).or_default().push((
                lat,
                lng,
                "an already registered place".into(),
            ));
        }
    }

    let mut problems: Vec<Problem> = Vec::new();
    let mut more = 0usize;
    let mut push = |problems: &mut Vec<Problem>, at: &str, detail: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(Problem::new(at, detail));
        } else {
            more += 1;
        }
    };
    let now = xaso_storage::now();
    let mut rows: Vec<PlaceRow> = Vec::with_capacity(total);
    for (i, r) in raw.iter().enumerate() {
        if i % 10_000 == 0 {
            progress.set(i, total, "check");
        }
        let get = |k: &str| r.fields.get(k).map(String::as_str).unwrap_or("");
        let num = |k: &str| get(k).trim().replace(',', ".").parse::<f64>().ok();
        let input = PlaceInput {
            kind: get("kind").trim().to_string(),
            name: get("name").to_string(),
            address: get("address").to_string(),
            latitude: num("latitude"),
            longitude: num("longitude"),
            vpostcode: get("vpostcode").to_string(),
            contact_name: get("contact_name").to_string(),
            contact_phone: get("contact_phone").to_string(),
            public_name: flag(get("public_name")),
            precise_code: false,
            approximate: flag(get("approximate")),
        };
        let p = match input.check() {
            Ok(p) => p,
            Err(list) => {
                for fp in list {
                    push(&mut problems, &r.at, format!("{}: {}", fp.field, fp.detail));
                }
                continue;
            }
        };
        let unit_code = get("unit_code").trim();
        let village_id = if unit_code.is_empty() || unit_code == commune.code {
            None
        } else if let Some(v) = villages.get(unit_code) {
            Some(v.id.clone())
        } else {
            push(
                &mut problems,
                &r.at,
                format!(
                    "unit_code: `{unit_code}` is not {} or one of its villages",
                    commune.full_name
                ),
            );
            continue;
        };
        if let Some(b) = &boundary {
            if !b.contains(p.latitude, p.longitude) {
                push(
                    &mut problems,
                    &r.at,
                    format!("position: the position lies outside {}", commune.full_name),
                );
                continue;
            }
        }
        let name_key = text::fold(&p.name);
        let cell = dom::cell_of(p.latitude, p.longitude);
        let (row_c, col_c) = dom::cell_rc(p.latitude, p.longitude);
        let mut dup = None;
        'cells: for dr in -1..=1 {
            for dc in -1..=1 {
                let c = (row_c + dr) * dom::CELLS_PER_ROW + col_c + dc;
                let near = seen.get(&(c, name_key.clone()));
                for (la, lo, what) in near.map(Vec::as_slice).unwrap_or(&[]) {
                    if dom::distance_m(p.latitude, p.longitude, *la, *lo) < DUPLICATE_M {
                        dup = Some(what.clone());
                        break 'cells;
                    }
                }
            }
        }
        if let Some(what) = dup {
            push(
                &mut problems,
                &r.at,
                format!("duplicate: the same name within {DUPLICATE_M} m as {what}"),
            );
            continue;
        }
        seen.entry((cell, name_key.clone())).or_default().push((
            p.latitude,
            p.longitude,
            r.at.clone(),
        ));
        rows.push(super::new_row(
            p,
            &commune.id,
            village_id,
            &actor.username,
            &now,
        ));
    }
    if !problems.is_empty() {
        if more > 0 {
            problems.push(Problem::new("file", format!("… and {more} more problems")));
        }
        return Err(Error::Invalid(problems));
    }

    progress.set(0, rows.len(), "write");
    let mut tx = store.begin().await?;
    for (i, chunk) in rows.chunks(BATCH).enumerate() {
        xaso_storage::places::insert_many(tx.conn(), chunk).await?;
        if i % 50 == 0 {
            progress.set(i * BATCH, rows.len(), "write");
        }
    }
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "place_import",
            record_id: &xaso_storage::new_id(),
            unit_id: Some(&commune.id),
            before: None,
            after: Some(json!({"file": filename, "rows": rows.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    if rows.len() >= BIG_IMPORT {
        // Fresh statistics, and (on PostgreSQL) a visibility map, so that nearest-place
        // queries plan well and read positions from the covering index alone.
        let mut conn = store.read().await?;
        if let Err(e) = xaso_storage::places::refresh_statistics(&mut conn).await {
            tracing::warn!(error = %e, "statistics not refreshed after import");
        }
    }
    progress.set(rows.len(), rows.len(), "done");
    Ok(ImportReport {
        rows: total,
        inserted: rows.len(),
    })
}

/// Public fields of places as a GeoJSON FeatureCollection (no contacts; household names only
/// with consent).
pub fn to_geojson(places: &[Place]) -> serde_json::Value {
    json!({
        "type": "FeatureCollection",
        "features": places.iter().map(|p| json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
            "properties": {
                "id": p.id, "kind": p.kind.as_str(), "name": p.public_title(),
                "address": p.address, "plus_code": p.plus_code, "short_code": p.short_code,
                "locality": p.commune.name, "unit_code": p.village.as_ref().unwrap_or(&p.commune).code,
                "vpostcode": p.vpostcode, "approximate": p.approximate, "status": p.status.as_str(),
            }
        })).collect::<Vec<_>>()
    })
}

/// Public fields of places as CSV, in the import's column order (plus the codes), so an export
/// edited in a spreadsheet can be imported elsewhere.
pub fn to_csv(places: &[Place]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    w.write_record([
        "kind",
        "name",
        "address",
        "latitude",
        "longitude",
        "unit_code",
        "vpostcode",
        "plus_code",
        "short_code",
        "locality",
        "approximate",
        "status",
    ])
    .map_err(csv_err)?;
    for p in places {
        w.write_record([
            p.kind.as_str(),
            p.public_title().unwrap_or(""),
            &p.address,
            &p.latitude.to_string(),
            &p.longitude.to_string(),
            &p.village.as_ref().unwrap_or(&p.commune).code,
            p.vpostcode.as_deref().unwrap_or(""),
            &p.plus_code,
            p.short_code.as_deref().unwrap_or(""),
            &p.commune.name,
            if p.approximate { "1" } else { "0" },
            p.status.as_str(),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

/// Checks that `actor` may import into the commune at `code`, keeps the file, and queues the
/// import as a long job on the database queue (its state outlives the process). Returns the
/// job's id; the server's long-job worker runs it ([`ImportJob`]).
pub async fn start(
    store: &Store,
    files: &xaso_storage::Files,
    actor: Option<&Actor>,
    commune_code: &str,
    upload: &crate::upload::Spooled,
) -> Result<String> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let (commune, _) = super::units_for(store, commune_code).await?;
    authz::require_role_over(store, Some(actor), WRITERS, &commune.id).await?;
    if upload.len > MAX_BYTES as u64 {
        return Err(Error::invalid("file", "the file is larger than 200 MB"));
    }
    let id = xaso_storage::new_id();
    let key = format!("jobs/{id}/upload");
    files
        .put_file(&key, upload.path())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let payload = json!({
        "unit": commune_code,
        "filename": upload.name,
        "file": key,
        "user_id": actor.user_id,
    });
    let mut tx = store.begin().await?;
    crate::queue::enqueue_as(
        &mut tx,
        &id,
        crate::jobs::PLACE_IMPORT,
        &payload,
        1,
        &actor.username,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Runs a queued place import: as the person who started it (their rights as they are now),
/// from the kept file, with its progress on the job's row. The result (rows imported, or every
/// problem) is recorded on the job; the file is dropped once the import is done or refused,
/// and kept when it failed otherwise or was interrupted, so it can be started again.
pub struct ImportJob {
    pub store: Store,
    pub files: xaso_storage::Files,
}

impl crate::queue::Handler for ImportJob {
    fn run<'a>(&'a self, job: &'a crate::queue::Running) -> crate::queue::Outcome<'a> {
        Box::pin(async move {
            let p = &job.payload;
            let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
            let (code, filename, key) = (text("unit"), text("filename"), text("file"));
            let actor = match p["user_id"].as_str() {
                Some(uid) => {
                    crate::auth::actor_for(&self.store, uid, crate::auth::Credential::System)
                        .await
                        .map_err(|e| e.to_string())?
                }
                // Started by the command line or the system.
                None => Some(Actor::system("import")),
            };
            let bytes = match self.files.get(&key).await {
                Ok(b) => b,
                Err(e) => {
                    // Nothing to run again from (it went with a finished run): say so, once.
                    tracing::warn!(job = %job.id, error = %e, "import file gone");
                    let gone = crate::jobs::refused(&[Problem {
                        at: "file".into(),
                        detail: "the uploaded file is no longer kept: upload it again".into(),
                    }]);
                    return crate::jobs::finish(&self.store, &job.id, &gone)
                        .await
                        .map_err(|e| e.to_string());
                }
            };
            let result = crate::jobs::report_while(&self.store, &job.id, |reporter| async move {
                import(
                    &self.store,
                    actor.as_ref(),
                    &code,
                    &filename,
                    &bytes,
                    &*reporter,
                )
                .await
            })
            .await;
            let recorded = match &result {
                Ok(report) => {
                    crate::jobs::done(json!({"rows": report.rows, "inserted": report.inserted}))
                }
                Err(Error::Invalid(problems)) => crate::jobs::refused(problems),
                Err(Error::Forbidden | Error::Unauthenticated) => {
                    crate::jobs::refused(&[Problem {
                        at: "unit".into(),
                        detail: "the account may no longer import into this commune".into(),
                    }])
                }
                Err(e) => {
                    tracing::error!(job = %job.id, error = %e, "place import failed");
                    return Err(e.to_string());
                }
            };
            crate::jobs::finish(&self.store, &job.id, &recorded)
                .await
                .map_err(|e| e.to_string())?;
            if let Err(e) = self.files.delete(&key).await {
                tracing::warn!(job = %job.id, error = %e, "import file not removed");
            }
            Ok(())
        })
    }
}
