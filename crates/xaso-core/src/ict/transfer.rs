//! A commune's register as a spreadsheet: the export (xlsx or CSV) staff keep and send on, and
//! an import of the same layout that is all or nothing. A row with a tag of the commune updates
//! that asset; a row without a tag adds one with the commune's next tag. Network details are in
//! both (only the register's keepers may export or import).

use xaso_domain::ict::{AssetInput, Funding, Status};
use xaso_domain::text;
use xaso_storage::ict as db;
use xaso_storage::Store;

use super::{authz_commune, kinds, list, place_choices, row_of, snapshot};
use crate::error::Problem;
use crate::sheet::Sheet;
use crate::{Actor, Error, Result};

/// The spreadsheet's columns, in order (the import reads them by heading, in any order; only
/// "Loại" and "Tên thiết bị" are required).
pub const COLUMNS: &[&str] = &[
    "Mã thiết bị",
    "Loại",
    "Tên thiết bị",
    "Địa điểm",
    "Vị trí",
    "Người giữ",
    "Số sê-ri",
    "Model",
    "Ngày mua",
    "Nguồn kinh phí",
    "Giá trị (đồng)",
    "Hết bảo hành",
    "Tình trạng",
    "Địa chỉ IP",
    "Địa chỉ MAC",
    "VLAN",
    "Trang quản trị",
    "Tên Wi-Fi",
    "Giờ phát",
    "Cách kết nối",
    "Ghi chú",
];

/// The register's rows as text: the headings, then one row per asset.
async fn rows(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Vec<Vec<String>>> {
    let (commune, assets) = list(store, actor, code).await?;
    let places = place_choices(store, &commune).await?;
    let mut out = vec![COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    for a in assets {
        let i = a.input();
        let place = a
            .row
            .place_id
            .as_ref()
            .and_then(|p| places.iter().find(|(id, _)| id == p))
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        out.push(vec![
            a.row.tag.clone(),
            a.kind.name_vi.clone(),
            i.name,
            place,
            i.location,
            i.custodian,
            i.serial,
            i.model,
            i.purchased_on,
            a.funding()
                .map(|f| f.name_vi().to_string())
                .unwrap_or_default(),
            a.row.value_vnd.map(|v| v.to_string()).unwrap_or_default(),
            i.warranty_until,
            a.status().name_vi().to_string(),
            i.ip,
            i.mac,
            i.vlan,
            i.admin_url,
            i.wifi_ssid,
            i.wifi_hours,
            i.wifi_howto,
            i.note,
        ]);
    }
    Ok(out)
}

/// The register as an xlsx workbook.
pub async fn export_xlsx(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let rows = rows(store, actor, code).await?;
    let err = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("So thiet bi").map_err(err)?;
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if r == 0 {
                ws.write_string_with_format(r as u32, c as u16, v, &bold)
                    .map_err(err)?;
            } else if c == 10 && !v.is_empty() {
                // The value as a number, so sums work in the spreadsheet.
                let n: f64 = v.parse().unwrap_or_default();
                ws.write_number(r as u32, c as u16, n).map_err(err)?;
            } else {
                ws.write_string(r as u32, c as u16, v).map_err(err)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    for (c, w) in [
        14, 18, 30, 30, 22, 20, 16, 18, 12, 26, 14, 12, 16, 16, 20, 8, 24, 20, 18, 24, 30,
    ]
    .iter()
    .enumerate()
    {
        ws.set_column_width(c as u16, *w).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}

/// The register as CSV in UTF-8 with a byte-order mark (so Excel reads the Vietnamese).
pub async fn export_csv(store: &Store, actor: Option<&Actor>, code: &str) -> Result<Vec<u8>> {
    let rows = rows(store, actor, code).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for r in &rows {
        w.write_record(r)
            .map_err(|e| Error::Internal(format!("csv: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports assets from an xlsx or CSV laid out like the export. All or nothing: one bad row
/// refuses the file, with every problem listed by row. Every added or changed asset is audited
/// as if edited by hand.
pub async fn import(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    bytes: &[u8],
) -> Result<ImportReport> {
    let commune = authz_commune(store, actor, code).await?;
    let actor = actor.expect("authz_commune checked the actor");
    let sheet = Sheet::read_any(bytes)?;
    let missing = sheet.missing(&["loai", "ten thiet bi"]);
    if !missing.is_empty() {
        return Err(Error::invalid(
            "file",
            format!(
                "the first row must have the headings Loại and Tên thiết bị (missing: {})",
                missing.join(", ")
            ),
        ));
    }
    if sheet.rows.is_empty() {
        return Err(Error::invalid("file", "the sheet has no asset rows"));
    }
    if sheet.rows.len() > 5000 {
        return Err(Error::invalid(
            "file",
            "a file holds at most 5000 assets; split it",
        ));
    }
    let kinds = kinds(store).await?;
    let places = place_choices(store, &commune).await?;
    let existing = {
        let mut conn = store.read().await?;
        db::assets_of(&mut conn, &commune.id).await?
    };
    let get = |r: &[String], k: &str| sheet.get(r, k);
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let mut tags_seen = std::collections::HashSet::new();
    for (line, r) in &sheet.rows {
        let at = format!("row {line}");
        let tag = get(r, "ma thiet bi").trim().to_uppercase();
        let current = if tag.is_empty() {
            None
        } else {
            if !tags_seen.insert(tag.clone()) {
                problems.push(Problem::new(
                    at.clone(),
                    format!("the tag {tag} is on more than one row"),
                ));
                continue;
            }
            match existing.iter().find(|a| a.tag == tag) {
                Some(a) => Some(a.clone()),
                None => {
                    problems.push(Problem::new(
                        at.clone(),
                        format!(
                            "no asset of {} has the tag {tag}; leave the tag empty to add one",
                            commune.full_name
                        ),
                    ));
                    continue;
                }
            }
        };
        let place_cell = get(r, "dia diem");
        let place_id = match place_cell.trim() {
            "" => String::new(),
            p => {
                let key = text::fold(p);
                let found: Vec<&(String, String)> = places
                    .iter()
                    .filter(|(_, l)| {
                        let l = text::fold(l);
                        l == key || l.starts_with(&format!("{key} — "))
                    })
                    .collect();
                match found.as_slice() {
                    [one] => one.0.clone(),
                    [] => {
                        problems.push(Problem::new(
                            at.clone(),
                            format!("choose a place registered in this commune (no place is called {p:?})"),
                        ));
                        continue;
                    }
                    _ => {
                        problems.push(Problem::new(
                            at.clone(),
                            format!("several places are called {p:?}: write the name and address as the export does"),
                        ));
                        continue;
                    }
                }
            }
        };
        let status = get(r, "tinh trang");
        let funding = get(r, "nguon kinh phi");
        let input = AssetInput {
            kind: get(r, "loai"),
            name: get(r, "ten thiet bi"),
            place_id,
            location: get(r, "vi tri"),
            custodian: get(r, "nguoi giu"),
            serial: get(r, "so se-ri"),
            model: get(r, "model"),
            purchased_on: get(r, "ngay mua"),
            funding: Funding::parse(&funding)
                .map(|f| f.as_str().to_string())
                .unwrap_or(funding),
            value_vnd: get(r, "gia tri (dong)"),
            warranty_until: get(r, "het bao hanh"),
            status: Status::parse(&status)
                .map(|s| s.as_str().to_string())
                .unwrap_or(status),
            ip: get(r, "dia chi ip"),
            mac: get(r, "dia chi mac"),
            vlan: get(r, "vlan"),
            admin_url: get(r, "trang quan tri"),
            wifi_ssid: get(r, "ten wi-fi"),
            wifi_hours: get(r, "gio phat"),
            wifi_howto: get(r, "cach ket noi"),
            note: get(r, "ghi chu"),
        };
        match input.check(&kinds) {
            Ok(a) => parsed.push((current, a)),
            Err(ps) => problems.extend(
                ps.into_iter()
                    .map(|p| Problem::new(at.clone(), format!("{}: {}", p.field, p.detail))),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut report = ImportReport::default();
    let now = xaso_storage::now();
    let mut tx = store.begin().await?;
    for (current, a) in parsed {
        let (row, before) = match current {
            Some(c) => {
                let mut row = row_of(
                    a,
                    c.id.clone(),
                    c.unit_id.clone(),
                    c.tag.clone(),
                    &actor.username,
                    &now,
                );
                row.created_by = c.created_by.clone();
                row.created_at = c.created_at.clone();
                if snapshot(&row) == snapshot(&c) {
                    report.unchanged += 1;
                    continue;
                }
                (row, Some(c))
            }
            None => {
                let n = db::next_tag_number(tx.conn(), &commune.id).await?;
                let row = row_of(
                    a,
                    xaso_storage::new_id(),
                    commune.id.clone(),
                    xaso_domain::ict::tag(&commune.code, n),
                    &actor.username,
                    &now,
                );
                (row, None)
            }
        };
        db::save_asset(tx.conn(), &row).await?;
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: if before.is_some() { "update" } else { "create" },
                record_type: "ict_asset",
                record_id: &row.id,
                unit_id: Some(&commune.id),
                before: before.as_ref().map(snapshot),
                after: Some(snapshot(&row)),
            },
        )
        .await?;
        if before.is_some() {
            report.updated += 1;
        } else {
            report.added += 1;
        }
    }
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "import",
            record_type: "ict_register",
            record_id: &commune.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(serde_json::to_value(&report).unwrap_or_default()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
