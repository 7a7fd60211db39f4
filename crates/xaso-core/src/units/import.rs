//! CSV import of unit lists (`code,name,type,parent_code,level`) and of reform mappings
//! (`old_code,…,new_code,…,portion|split`). An import is all or nothing: every row is checked
//! first, every problem is reported with its line, and nothing is written unless all rows pass.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use xaso_domain::text;
use xaso_domain::units::{code_is_valid, full_name, level_of_type, Level, Portion, Validity};
use xaso_storage::{units, Store};

use crate::error::Problem;
use crate::{Actor, Error, Result};

/// Where an import's rows belong in time, and which part of the file to take.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// First day the listed units are valid (unit lists); `None` when unknown.
    pub valid_from: Option<NaiveDate>,
    /// Last day the listed units are valid (unit lists); `None` while still valid.
    pub valid_to: Option<NaiveDate>,
    /// The day new units took over from old ones (mappings).
    pub effective: NaiveDate,
    /// Only rows of this province (by code), when given.
    pub province: Option<String>,
    /// A name for the audit log, usually the file name.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Units,
    Mapping,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
}

/// Imports one CSV file, recognised by its header.
pub async fn import_csv(
    store: &Store,
    actor: &Actor,
    data: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(data);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("line 1", format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                let fields: Vec<String> = r.iter().map(text::clean).collect();
                records.push((line, fields));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(Problem::new(
                    format!("line {line}"),
                    format!("unreadable row: {e}"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    if let (Some(code), Some(name), Some(ty), Some(parent), Some(level)) = (
        col("code"),
        col("name"),
        col("type"),
        col("parent_code"),
        col("level"),
    ) {
        let rows = records
            .into_iter()
            .map(|(line, f)| UnitLine {
                line,
                code: f[code].clone(),
                name: f[name].clone(),
                unit_type: f[ty].clone(),
                parent_code: f[parent].clone(),
                level: f[level].clone(),
            })
            .collect();
        import_units(store, actor, rows, opts).await
    } else if let (Some(old), Some(new)) = (col("old_code"), col("new_code")) {
        let portion = col("portion");
        let split = col("split");
        if portion.is_none() && split.is_none() {
            return Err(Error::invalid(
                "line 1",
                "a mapping needs a `portion` or a `split` column",
            ));
        }
        let province = col("new_province_code");
        let legal = col("legal_basis");
        let rows = records
            .into_iter()
            .map(|(line, f)| MapLine {
                line,
                old_code: f[old].clone(),
                new_code: f[new].clone(),
                portion: portion.map(|i| f[i].clone()),
                split: split.map(|i| f[i].clone()),
                new_province: province.map(|i| f[i].clone()),
                legal_basis: legal.map(|i| f[i].clone()).filter(|s| !s.is_empty()),
            })
            .collect();
        import_mapping(store, actor, rows, opts).await
    } else {
        Err(Error::invalid(
            "line 1",
            "unknown header: expected `code,name,type,parent_code,level` (a unit list) or \
             `old_code,…,new_code,…,portion` (a mapping)",
        ))
    }
}

struct UnitLine {
    line: u64,
    code: String,
    name: String,
    unit_type: String,
    parent_code: String,
    level: String,
}

struct MapLine {
    line: u64,
    old_code: String,
    new_code: String,
    portion: Option<String>,
    split: Option<String>,
    new_province: Option<String>,
    legal_basis: Option<String>,
}

/// Units already stored, by code, for resolving many codes without a query each.
struct Known(HashMap<String, Vec<(String, Validity)>>);

impl Known {
    async fn load(store: &Store) -> Result<Known> {
        let mut conn = store.read().await?;
        let mut map: HashMap<String, Vec<(String, Validity)>> = HashMap::new();
        let d = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        for (id, code, from, to) in units::all_periods(&mut conn).await? {
            map.entry(code).or_default().push((
                id,
                Validity {
                    from: d(from),
                    to: d(to),
                },
            ));
        }
        Ok(Known(map))
    }

    fn on(&self, code: &str, day: NaiveDate) -> Option<&str> {
        self.0
            .get(code)?
            .iter()
            .find(|(_, v)| v.contains(day))
            .map(|(id, _)| id.as_str())
    }

    fn periods(&self, code: &str) -> &[(String, Validity)] {
        self.0.get(code).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn fmt_validity(v: &Validity) -> String {
    let f = v.from.map(|d| d.to_string()).unwrap_or_else(|| "…".into());
    let t = v.to.map(|d| d.to_string()).unwrap_or_else(|| "…".into());
    format!("{f} to {t}")
}

async fn import_units(
    store: &Store,
    actor: &Actor,
    rows: Vec<UnitLine>,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let validity = Validity {
        from: opts.valid_from,
        to: opts.valid_to,
    };
    if let (Some(f), Some(t)) = (validity.from, validity.to) {
        if f > t {
            return Err(Error::invalid("valid_from", "valid_from is after valid_to"));
        }
    }
    // The day on which parents already stored must exist.
    let reference_day = validity
        .from
        .or(validity.to)
        .unwrap_or_else(xaso_domain::time::today_vn);

    // Keep only one province's rows when asked: follow parent codes inside the file.
    let parent_of: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.code.as_str(), r.parent_code.as_str()))
        .collect();
    let province_of = |code: &str| -> String {
        let mut c = code;
        for _ in 0..6 {
            match parent_of.get(c) {
                Some(p) if !p.is_empty() => c = p,
                _ => break,
            }
        }
        c.to_string()
    };
    let rows: Vec<&UnitLine> = match &opts.province {
        Some(p) => rows.iter().filter(|r| &province_of(&r.code) == p).collect(),
        None => rows.iter().collect(),
    };
    if rows.is_empty() {
        return Err(Error::invalid("file", "the file has no units to import"));
    }

    let known = Known::load(store).await?;
    let mut problems = Vec::new();
    let mut in_file: HashMap<&str, Level> = HashMap::new();
    let mut seen = HashSet::new();
    for r in &rows {
        if !seen.insert(r.code.as_str()) {
            problems.push(Problem::new(
                format!("line {}", r.line),
                format!("code {} appears twice in the file", r.code),
            ));
        }
        if let Some(level) = Level::parse(&r.level) {
            in_file.insert(r.code.as_str(), level);
        }
    }
    for r in &rows {
        let at = format!("line {}", r.line);
        let Some(level) = Level::parse(&r.level) else {
            problems.push(Problem::new(
                &at,
                format!(
                    "unknown level `{}`; use province, district, commune or village",
                    r.level
                ),
            ));
            continue;
        };
        match level_of_type(&r.unit_type) {
            None => problems.push(Problem::new(
                &at,
                format!("unknown unit type `{}`", r.unit_type),
            )),
            Some(l) if l != level => problems.push(Problem::new(
                &at,
                format!("type `{}` is not a {} type", r.unit_type, level.as_str()),
            )),
            _ => {}
        }
        if !code_is_valid(&r.code, level) {
            problems.push(Problem::new(
                &at,
                format!("code `{}` is not a valid {} code", r.code, level.as_str()),
            ));
        }
        if r.name.is_empty() {
            problems.push(Problem::new(&at, "name is empty"));
        }
        if level == Level::Province {
            if !r.parent_code.is_empty() {
                problems.push(Problem::new(&at, "a province has no parent"));
            }
        } else if r.parent_code.is_empty() {
            problems.push(Problem::new(
                &at,
                format!("a {} needs a parent_code", level.as_str()),
            ));
        } else if let Some(parent_level) = in_file.get(r.parent_code.as_str()) {
            if !level.allowed_parents().contains(parent_level) {
                problems.push(Problem::new(
                    &at,
                    format!(
                        "parent {} is a {}, which cannot hold a {}",
                        r.parent_code,
                        parent_level.as_str(),
                        level.as_str()
                    ),
                ));
            }
        } else if known.on(&r.parent_code, reference_day).is_none() {
            problems.push(Problem::new(
                &at,
                format!(
                    "parent {} is neither in the file nor stored for {reference_day}",
                    r.parent_code
                ),
            ));
        }
        for (_, v) in known.periods(&r.code) {
            if v.from != validity.from && v.overlaps(&validity) {
                problems.push(Problem::new(
                    &at,
                    format!(
                        "code {} is already used from {}, which overlaps this import",
                        r.code,
                        fmt_validity(v)
                    ),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }

    // Parents before children.
    let mut rows = rows;
    let rank = |l: &str| match Level::parse(l) {
        Some(Level::Province) => 0,
        Some(Level::District) => 1,
        Some(Level::Commune) => 2,
        _ => 3,
    };
    rows.sort_by_key(|r| rank(&r.level));

    let mut ids: HashMap<String, String> = HashMap::new();
    let (mut inserted, mut updated) = (0, 0);
    let mut tx = store.begin().await?;
    for r in &rows {
        let level = Level::parse(&r.level).expect("checked");
        let existing = known
            .periods(&r.code)
            .iter()
            .find(|(_, v)| v.from == validity.from)
            .map(|(id, _)| id.clone());
        let id = existing.clone().unwrap_or_else(xaso_storage::new_id);
        let parent_id = if r.parent_code.is_empty() {
            None
        } else {
            ids.get(&r.parent_code)
                .cloned()
                .or_else(|| known.on(&r.parent_code, reference_day).map(str::to_string))
        };
        let full = full_name(&r.unit_type, &r.name);
        let key = text::fold(&full);
        let new = units::NewUnit {
            id: &id,
            code: &r.code,
            name: &r.name,
            full_name: &full,
            unit_type: &r.unit_type,
            level,
            parent_id: parent_id.as_deref(),
            valid_from: validity.from,
            valid_to: validity.to,
            search_key: &key,
            source: &opts.source,
        };
        if existing.is_some() {
            units::update(tx.conn(), &new).await?;
            updated += 1;
        } else {
            units::insert(tx.conn(), &new).await?;
            inserted += 1;
        }
        ids.insert(r.code.clone(), id);
    }
    let report = ImportReport {
        kind: ImportKind::Units,
        rows: rows.len(),
        inserted,
        updated,
    };
    record(&mut tx, actor, opts, &report).await?;
    tx.commit().await?;
    Ok(report)
}

async fn import_mapping(
    store: &Store,
    actor: &Actor,
    rows: Vec<MapLine>,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let rows: Vec<&MapLine> = match &opts.province {
        Some(p) => rows
            .iter()
            .filter(|r| r.new_province.as_deref() == Some(p.as_str()))
            .collect(),
        None => rows.iter().collect(),
    };
    if rows.is_empty() {
        return Err(Error::invalid(
            "file",
            "the file has no mapping rows to import",
        ));
    }
    let before = opts
        .effective
        .pred_opt()
        .ok_or_else(|| Error::invalid("effective", "date out of range"))?;
    let known = Known::load(store).await?;
    let mut problems = Vec::new();
    let mut links = Vec::new();
    let mut seen = HashSet::new();
    for r in &rows {
        let at = format!("line {}", r.line);
        let old = known.on(&r.old_code, before);
        let new = known.on(&r.new_code, opts.effective);
        if old.is_none() {
            problems.push(Problem::new(
                &at,
                format!(
                    "no unit has code {} on {before}; import the old unit list first",
                    r.old_code
                ),
            ));
        }
        if new.is_none() {
            problems.push(Problem::new(
                &at,
                format!(
                    "no unit has code {} on {}; import the new unit list first",
                    r.new_code, opts.effective
                ),
            ));
        }
        let portion = match (&r.portion, &r.split) {
            (Some(p), _) => Portion::parse(p),
            (None, Some(s)) => match s.as_str() {
                "yes" => Some(Portion::Part),
                "no" => Some(Portion::Whole),
                _ => None,
            },
            (None, None) => None,
        };
        if portion.is_none() {
            problems.push(Problem::new(
                &at,
                "portion must be whole, part or remainder (split: yes or no)",
            ));
        }
        if !seen.insert((r.old_code.clone(), r.new_code.clone())) {
            problems.push(Problem::new(
                &at,
                format!("{} → {} appears twice", r.old_code, r.new_code),
            ));
        }
        if let (Some(o), Some(n), Some(p)) = (old, new, portion) {
            links.push((o.to_string(), n.to_string(), p, r.legal_basis.clone()));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let (mut inserted, mut updated) = (0, 0);
    let mut tx = store.begin().await?;
    for (o, n, p, legal) in &links {
        if units::upsert_link(tx.conn(), o, n, *p, opts.effective, legal.as_deref()).await? {
            inserted += 1;
        } else {
            updated += 1;
        }
    }
    let report = ImportReport {
        kind: ImportKind::Mapping,
        rows: links.len(),
        inserted,
        updated,
    };
    record(&mut tx, actor, opts, &report).await?;
    tx.commit().await?;
    Ok(report)
}

/// One audit entry per import (not one per row: a national list has 10,000 rows).
async fn record(
    tx: &mut xaso_storage::Tx,
    actor: &Actor,
    opts: &ImportOptions,
    report: &ImportReport,
) -> Result<()> {
    let after = json!({
        "source": opts.source,
        "kind": report.kind,
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "valid_from": opts.valid_from,
        "valid_to": opts.valid_to,
        "effective": opts.effective,
        "province": opts.province,
    });
    crate::audit::record(
        tx,
        actor,
        crate::audit::Change {
            action: "import",
            record_type: "unit_import",
            record_id: &xaso_storage::new_id(),
            unit_id: None,
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(())
}
