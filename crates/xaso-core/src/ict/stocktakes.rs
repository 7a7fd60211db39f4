//! Stocktakes: a commune's (or one office's) assets checked by scanning their labels on a phone.
//! While a stocktake is open its page shows what was found, what is still missing and what was
//! scanned but not expected (another office's, or retired); closing it freezes the outcome,
//! marks the missing assets "missing" (audited, one entry each) and writes a report as PDF and
//! xlsx. One stocktake is open per commune at a time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use xaso_domain::ict::Status;
use xaso_domain::time::{format_datetime_vn, from_storage, to_storage};
use xaso_domain::units::Unit;
use xaso_storage::ict::stocktakes::{self as db, ItemRow, StocktakeRow};
use xaso_storage::Store;

use super::{assemble, authz_commune, Asset, MANAGERS};
use crate::{authz, Actor, Error, Result};

/// What became of an asset in a stocktake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Found,
    Missing,
    /// Scanned but not on the list (another office's, or retired).
    Unexpected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Found => "found",
            Outcome::Missing => "missing",
            Outcome::Unexpected => "unexpected",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Outcome::Found => "Có",
            Outcome::Missing => "Không thấy",
            Outcome::Unexpected => "Ngoài danh sách",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "found" => Some(Outcome::Found),
            "missing" => Some(Outcome::Missing),
            "unexpected" => Some(Outcome::Unexpected),
            _ => None,
        }
    }
}

/// One asset's line in a stocktake.
#[derive(Debug, Clone)]
pub struct Line {
    pub asset: Asset,
    pub outcome: Outcome,
    pub scanned_by: Option<String>,
    pub scanned_at: Option<DateTime<Utc>>,
}

/// A stocktake with its lines.
#[derive(Debug, Clone)]
pub struct Stocktake {
    pub row: StocktakeRow,
    pub commune: Unit,
    /// The office (place) it covers, when it covers one.
    pub place_name: Option<String>,
    pub lines: Vec<Line>,
}

impl Stocktake {
    pub fn is_open(&self) -> bool {
        self.row.closed_at.is_none()
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == o).count()
    }

    pub fn started(&self) -> Option<DateTime<Utc>> {
        from_storage(&self.row.started_at)
    }

    pub fn closed(&self) -> Option<DateTime<Utc>> {
        self.row.closed_at.as_deref().and_then(from_storage)
    }
}

/// Whether an asset belongs on a stocktake's list: the commune's (at its office, when it covers
/// one) and not retired.
fn expected(row: &StocktakeRow, a: &Asset) -> bool {
    a.row.unit_id == row.unit_id
        && a.status() != Status::Retired
        && row
            .place_id
            .as_ref()
            .is_none_or(|p| a.row.place_id.as_ref() == Some(p))
}

async fn place_name(store: &Store, place_id: Option<&str>) -> Result<Option<String>> {
    let Some(p) = place_id else { return Ok(None) };
    let mut conn = store.read().await?;
    Ok(xaso_storage::places::by_id(&mut conn, p)
        .await?
        .map(|p| p.name))
}

/// Builds a stocktake's lines: from the frozen outcomes once closed, live while open.
async fn build(store: &Store, row: StocktakeRow, commune: Unit) -> Result<Stocktake> {
    let (items, assets) = {
        let mut conn = store.read().await?;
        let items = db::items(&mut conn, &row.id).await?;
        let mut rows = super::db::assets_of(&mut conn, &row.unit_id).await?;
        // Scanned assets of other communes (an area officer's) are read one by one.
        let known: HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
        for it in &items {
            if !known.contains(&it.asset_id) {
                if let Some(r) = super::db::asset(&mut conn, &it.asset_id).await? {
                    rows.push(r);
                }
            }
        }
        (items, rows)
    };
    let assets = assemble(store, assets, &commune).await?;
    let by_id: HashMap<&str, &ItemRow> = items.iter().map(|i| (i.asset_id.as_str(), i)).collect();
    let open = row.closed_at.is_none();
    let mut lines = Vec::new();
    for a in assets {
        let item = by_id.get(a.row.id.as_str()).copied();
        let outcome = if open {
            match (item.is_some(), expected(&row, &a)) {
                (true, true) => Some(Outcome::Found),
                (true, false) => Some(Outcome::Unexpected),
                (false, true) => Some(Outcome::Missing),
                (false, false) => None,
            }
        } else {
            item.and_then(|i| i.outcome.as_deref())
                .and_then(Outcome::parse)
        };
        if let Some(outcome) = outcome {
            lines.push(Line {
                outcome,
                scanned_by: item.and_then(|i| i.scanned_by.clone()),
                scanned_at: item
                    .and_then(|i| i.scanned_at.as_deref())
                    .and_then(from_storage),
                asset: a,
            });
        }
    }
    // Newest scans first, then the missing by tag.
    lines.sort_by(|a, b| {
        b.scanned_at
            .cmp(&a.scanned_at)
            .then_with(|| a.asset.row.tag.cmp(&b.asset.row.tag))
    });
    Ok(Stocktake {
        place_name: place_name(store, row.place_id.as_deref()).await?,
        row,
        commune,
        lines,
    })
}

/// A commune's stocktakes, newest first (its keepers).
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<StocktakeRow>)> {
    let commune = authz_commune(store, actor, code).await?;
    let mut conn = store.read().await?;
    let rows = db::of_unit(&mut conn, &commune.id).await?;
    Ok((commune, rows))
}

/// One stocktake with its lines (its commune's keepers).
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Stocktake> {
    actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    authz::require_role_over(store, actor, MANAGERS, &row.unit_id).await?;
    let commune = super::unit_by_id(store, &row.unit_id).await?;
    build(store, row, commune).await
}

/// Starts a stocktake of a commune, or of one of its places (an office). Refused while another
/// is open. Audited.
pub async fn start(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    place_id: Option<&str>,
    note: &str,
) -> Result<StocktakeRow> {
    let commune = authz_commune(store, actor, code).await?;
    let actor = actor.expect("authz_commune checked the actor");
    let place_id = place_id.map(str::trim).filter(|p| !p.is_empty());
    super::check_place(store, place_id, &commune).await?;
    let note = xaso_domain::text::clean(note);
    if note.chars().count() > 500 {
        return Err(Error::invalid(
            "note",
            "the note is longer than 500 characters",
        ));
    }
    let mut tx = store.begin().await?;
    if db::open_of(tx.conn(), &commune.id).await?.is_some() {
        return Err(Error::Conflict(
            "a stocktake of this commune is open; close it before starting another".into(),
        ));
    }
    let row = StocktakeRow {
        id: xaso_storage::new_id(),
        number: db::next_number(tx.conn(), &commune.id).await?,
        unit_id: commune.id.clone(),
        place_id: place_id.map(String::from),
        note,
        started_by: actor.username.clone(),
        started_at: xaso_storage::now(),
        closed_by: None,
        closed_at: None,
    };
    db::insert(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "ict_stocktake",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(json!({"number": row.number, "place_id": row.place_id, "note": row.note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The open stocktake an asset's scan would count in: its commune's.
pub async fn open_for(store: &Store, asset: &Asset) -> Result<Option<StocktakeRow>> {
    let mut conn = store.read().await?;
    Ok(db::open_of(&mut conn, &asset.row.unit_id).await?)
}

/// The id of the asset with a typed tag (case and spaces ignored), for a label that cannot be
/// read; `None` when no asset has it. The caller must keep the stocktake.
pub async fn asset_by_tag(
    store: &Store,
    actor: Option<&Actor>,
    stocktake_id: &str,
    tag: &str,
) -> Result<Option<String>> {
    let row = get(store, actor, stocktake_id).await?.row;
    let tag: String = tag.split_whitespace().collect::<String>().to_uppercase();
    if tag.is_empty() {
        return Ok(None);
    }
    let mut conn = store.read().await?;
    let found = super::db::asset_by_tag(&mut conn, &tag).await?;
    // A short tag ("TB-0007" or "7") is read as one of this commune's.
    let found = match found {
        Some(a) => Some(a),
        None => {
            let commune = super::unit_by_id(store, &row.unit_id).await?;
            let n = tag.rsplit('-').next().and_then(|n| n.parse::<i64>().ok());
            match n {
                Some(n) => {
                    super::db::asset_by_tag(&mut conn, &xaso_domain::ict::tag(&commune.code, n))
                        .await?
                }
                None => None,
            }
        }
    };
    Ok(found.map(|a| a.id))
}

/// Whether an asset was scanned in a stocktake.
pub async fn was_scanned(store: &Store, stocktake_id: &str, asset_id: &str) -> Result<bool> {
    let mut conn = store.read().await?;
    Ok(db::items(&mut conn, stocktake_id)
        .await?
        .iter()
        .any(|i| i.asset_id == asset_id && i.scanned_at.is_some()))
}

/// What a scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned {
    Found,
    Unexpected,
    /// Scanned before in this stocktake: nothing changed.
    Again,
}

/// Confirms an asset in an open stocktake (the keepers of both). Audited.
pub async fn scan(
    store: &Store,
    actor: Option<&Actor>,
    stocktake_id: &str,
    asset_id: &str,
    now: DateTime<Utc>,
) -> Result<Scanned> {
    let asset = super::get(store, actor, asset_id).await?;
    let actor = actor.expect("get checked the actor");
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, stocktake_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    authz::require_role_over(store, Some(actor), MANAGERS, &row.unit_id).await?;
    if row.closed_at.is_some() {
        return Err(Error::Conflict("this stocktake is closed".into()));
    }
    let mut tx = store.begin().await?;
    if !db::scan(
        tx.conn(),
        &row.id,
        &asset.row.id,
        &actor.username,
        &to_storage(now),
    )
    .await?
    {
        return Ok(Scanned::Again);
    }
    let outcome = if expected(&row, &asset) {
        Scanned::Found
    } else {
        Scanned::Unexpected
    };
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "ict_stocktake",
            record_id: &row.id,
            unit_id: Some(&row.unit_id),
            before: None,
            after: Some(json!({"scanned": asset.row.tag})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Closes a stocktake: freezes each line's outcome and marks the missing assets "missing"
/// (each change audited). Returns the closed stocktake.
pub async fn close(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Stocktake> {
    let open = get(store, actor, id).await?;
    let actor = actor.expect("get checked the actor");
    if !open.is_open() {
        return Err(Error::Conflict("this stocktake is already closed".into()));
    }
    let now = xaso_storage::now();
    let mut tx = store.begin().await?;
    if !db::close(tx.conn(), id, &actor.username, &now).await? {
        return Err(Error::Conflict("this stocktake is already closed".into()));
    }
    for line in &open.lines {
        db::set_outcome(tx.conn(), id, &line.asset.row.id, line.outcome.as_str()).await?;
        if line.outcome == Outcome::Missing && line.asset.status() != Status::Missing {
            let before = super::snapshot(&line.asset.row);
            db::set_asset_status(
                tx.conn(),
                &line.asset.row.id,
                Status::Missing.as_str(),
                &actor.username,
                &now,
            )
            .await?;
            let mut after = before.clone();
            after["status"] = json!(Status::Missing.as_str());
            crate::audit::record(
                &mut tx,
                actor,
                crate::audit::Change {
                    action: "update",
                    record_type: "ict_asset",
                    record_id: &line.asset.row.id,
                    unit_id: Some(&line.asset.row.unit_id),
                    before: Some(before),
                    after: Some(after),
                },
            )
            .await?;
        }
    }
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "ict_stocktake",
            record_id: id,
            unit_id: Some(&open.row.unit_id),
            before: None,
            after: Some(json!({
                "closed": true,
                "found": open.count(Outcome::Found),
                "missing": open.count(Outcome::Missing),
                "unexpected": open.count(Outcome::Unexpected),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, Some(actor), id).await
}

fn title(s: &Stocktake) -> String {
    format!(
        "Biên bản kiểm kê thiết bị CNTT số {} — {}{}",
        s.row.number,
        s.commune.full_name,
        s.place_name
            .as_deref()
            .map(|p| format!(" — {p}"))
            .unwrap_or_default()
    )
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(format_datetime_vn).unwrap_or_default()
}

/// The report's rows: a heading, then one row per line (missing first, then unexpected, then
/// found), each with the asset's tag, kind, name, place and who scanned it when.
fn rows(s: &Stocktake) -> Vec<Vec<String>> {
    let mut lines: Vec<&Line> = s.lines.iter().collect();
    let rank = |o: Outcome| match o {
        Outcome::Missing => 0,
        Outcome::Unexpected => 1,
        Outcome::Found => 2,
    };
    lines.sort_by(|a, b| {
        rank(a.outcome)
            .cmp(&rank(b.outcome))
            .then_with(|| a.asset.row.tag.cmp(&b.asset.row.tag))
    });
    let mut out = vec![vec![
        "Kết quả".to_string(),
        "Số hiệu".into(),
        "Loại".into(),
        "Tên thiết bị".into(),
        "Vị trí".into(),
        "Người quản lý".into(),
        "Người quét".into(),
        "Lúc quét".into(),
    ]];
    for l in lines {
        out.push(vec![
            l.outcome.name_vi().to_string(),
            l.asset.row.tag.clone(),
            l.asset.kind.name_vi.clone(),
            l.asset.row.name.clone(),
            l.asset.row.location.clone(),
            l.asset.row.custodian.clone(),
            l.scanned_by.clone().unwrap_or_default(),
            when(l.scanned_at),
        ]);
    }
    out
}

/// The report as an xlsx workbook.
pub fn xlsx(s: &Stocktake) -> Result<Vec<u8>> {
    crate::catalogue::to_xlsx(&rows(s), "Kiem ke")
}

/// The report as an A4 PDF: the heading, the counts, then the missing, unexpected and found
/// assets, with room for signatures.
pub fn pdf(s: &Stocktake, generated: &str) -> Result<Vec<u8>> {
    let mut w = crate::criteria::pdf::Writer::new(
        &title(s),
        format!("Xã Số · {} · lập lúc {generated}", title(s)),
    )?;
    w.text(
        "BIÊN BẢN KIỂM KÊ THIẾT BỊ CÔNG NGHỆ THÔNG TIN",
        14.0,
        true,
        0.0,
    );
    w.text(&title(s), 12.0, true, 0.0);
    w.gap(2.0);
    w.text(
        &format!(
            "Bắt đầu: {} ({}). {}",
            when(s.started()),
            s.row.started_by,
            match (s.closed(), &s.row.closed_by) {
                (Some(t), Some(by)) => format!("Kết thúc: {} ({by}).", format_datetime_vn(t)),
                _ => "Đang kiểm kê, chưa kết thúc.".into(),
            }
        ),
        10.0,
        false,
        0.0,
    );
    if !s.row.note.is_empty() {
        w.text(&format!("Ghi chú: {}", s.row.note), 10.0, false, 0.0);
    }
    w.text(
        &format!(
            "Có: {} · Không thấy: {} · Ngoài danh sách: {}",
            s.count(Outcome::Found),
            s.count(Outcome::Missing),
            s.count(Outcome::Unexpected)
        ),
        11.0,
        true,
        0.0,
    );
    for (outcome, heading) in [
        (
            Outcome::Missing,
            "Thiết bị không thấy (đã ghi tình trạng “Thất lạc”)",
        ),
        (Outcome::Unexpected, "Thiết bị ngoài danh sách"),
        (Outcome::Found, "Thiết bị có mặt"),
    ] {
        let mut lines: Vec<&Line> = s.lines.iter().filter(|l| l.outcome == outcome).collect();
        if lines.is_empty() {
            continue;
        }
        lines.sort_by(|a, b| a.asset.row.tag.cmp(&b.asset.row.tag));
        w.gap(3.0);
        w.text(&format!("{heading} ({})", lines.len()), 11.0, true, 0.0);
        for l in lines {
            let mut text = format!(
                "{} · {} · {}",
                l.asset.row.tag, l.asset.kind.name_vi, l.asset.row.name
            );
            if !l.asset.row.location.is_empty() {
                text.push_str(&format!(" · {}", l.asset.row.location));
            }
            if let (Some(by), Some(at)) = (&l.scanned_by, l.scanned_at) {
                text.push_str(&format!(" — quét bởi {by} lúc {}", format_datetime_vn(at)));
            }
            w.text(&text, 9.0, false, 4.0);
        }
    }
    w.gap(10.0);
    // Two signature blocks, one under the other (the writer wraps words, so columns made of
    // spaces would collapse).
    for (who, how) in [
        ("NGƯỜI KIỂM KÊ", "(Ký, ghi rõ họ tên)"),
        ("XÁC NHẬN CỦA UBND XÃ", "(Ký, đóng dấu)"),
    ] {
        w.text(who, 10.0, true, 0.0);
        w.text(how, 9.0, false, 0.0);
        w.gap(18.0);
    }
    w.finish()
}

/// The report's file name (ASCII).
pub fn file_name(s: &Stocktake, ext: &str) -> String {
    format!("kiem-ke-{}-{}.{ext}", s.commune.code, s.row.number)
}
