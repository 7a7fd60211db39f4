//! A commune's team lists as spreadsheets: the export officers keep and send on, and an
//! import that is all or nothing.

use chrono::NaiveDate;
use xaso_domain::dt::{MemberInput, NewMember};
use xaso_domain::text;
use xaso_domain::units::Unit;
use xaso_storage::dt::{self as db, TeamRow};
use xaso_storage::Store;

use super::{member_row, overview};
use crate::dt::{commune, villages, MANAGERS};
use crate::error::Problem;
use crate::sheet::Sheet;
use crate::{authz, Actor, Error, Result};

/// The spreadsheet's columns, in order (import reads them by heading, in any order).
pub const COLUMNS: &[&str] = &[
    "Mã ấp",
    "Ấp",
    "Họ và tên",
    "Vai trò",
    "Điện thoại",
    "Liên hệ khác",
    "Đang hoạt động",
    "Ngày tham gia",
    "Ngày rời tổ",
];

fn fmt_date(d: Option<NaiveDate>) -> String {
    d.map(xaso_domain::time::format_date_vn).unwrap_or_default()
}

/// Every member of a commune's teams as an xlsx workbook (contacts included: managers only).
pub async fn export_xlsx(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
) -> Result<Vec<u8>> {
    let o = overview(store, actor, commune_code).await?;
    if !o.staff {
        return Err(if actor.is_some() {
            Error::Forbidden
        } else {
            Error::Unauthenticated
        });
    }
    let mut rows = vec![COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    for t in o.teams() {
        for m in &t.members {
            rows.push(vec![
                t.village.code.clone(),
                t.village.name.clone(),
                m.name.clone(),
                m.role.name_vi().into(),
                m.phone.clone().unwrap_or_default(),
                m.contact.clone(),
                if m.active { "Có" } else { "Không" }.into(),
                fmt_date(m.joined_on),
                fmt_date(m.left_on),
            ]);
        }
    }
    write_xlsx(&rows)
}

fn write_xlsx(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("To CNS").map_err(err)?;
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if r == 0 {
                ws.write_string_with_format(r as u32, c as u16, v, &bold)
                    .map_err(err)?;
            } else {
                ws.write_string(r as u32, c as u16, v).map_err(err)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    for (c, w) in [12, 22, 28, 14, 14, 24, 14, 14, 14].iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub teams_created: usize,
    pub members_added: usize,
    pub members_updated: usize,
}

/// Imports members from an xlsx laid out like the export: a member of the same team with the
/// same name and phone is updated, anyone else added; a village without a team gets one. All
/// or nothing: one bad row refuses the file, with every problem listed by row.
pub async fn import_xlsx(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    bytes: &[u8],
) -> Result<ImportReport> {
    let commune = commune(store, commune_code).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &commune.id).await?;
    let sheet = Sheet::read(bytes)?;
    let missing = sheet.missing(&["ma ap", "ho va ten", "vai tro"]);
    if !missing.is_empty() {
        return Err(Error::invalid(
            "file",
            format!(
                "the first row must have the headings Mã ấp, Họ và tên and Vai trò (missing: {})",
                missing.join(", ")
            ),
        ));
    }
    if sheet.rows.is_empty() {
        return Err(Error::invalid("file", "the sheet has no member rows"));
    }
    let villages = villages(store, &commune).await?;
    let get = |r: &[String], k: &str| sheet.get(r, k);
    let mut problems = Vec::new();
    let mut parsed: Vec<(Unit, NewMember)> = Vec::new();
    for (line, r) in &sheet.rows {
        let code = get(r, "ma ap").trim().to_string();
        let Some(v) = villages.iter().find(|v| v.code == code) else {
            problems.push(Problem::new(
                format!("row {line}"),
                format!("no village of {} has the code {code:?}", commune.full_name),
            ));
            continue;
        };
        let active = text::fold(&get(r, "dang hoat dong"));
        let input = MemberInput {
            name: get(r, "ho va ten"),
            role: get(r, "vai tro"),
            phone: get(r, "dien thoai"),
            contact: get(r, "lien he khac"),
            active: !matches!(active.as_str(), "khong" | "no" | "0" | "false"),
            joined_on: get(r, "ngay tham gia"),
            left_on: get(r, "ngay roi to"),
        };
        match input.check() {
            Ok(m) => parsed.push((v.clone(), m)),
            Err(ps) => problems.extend(ps.into_iter().map(|p| {
                Problem::new(format!("row {line}"), format!("{}: {}", p.field, p.detail))
            })),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut report = ImportReport::default();
    let now = xaso_storage::now();
    let mut tx = store.begin().await?;
    let mut teams: std::collections::HashMap<String, TeamRow> = Default::default();
    for (v, m) in &parsed {
        if !teams.contains_key(&v.id) {
            let t = match db::team_of_unit(tx.conn(), &v.id).await? {
                Some(t) => t,
                None => {
                    let t = TeamRow {
                        id: xaso_storage::new_id(),
                        unit_id: v.id.clone(),
                        commune_id: commune.id.clone(),
                        decision_no: String::new(),
                        decision_date: None,
                        decision_file: None,
                        decision_file_name: String::new(),
                        show_leader: 0,
                        created_by: actor.username.clone(),
                        created_at: now.clone(),
                        updated_by: actor.username.clone(),
                        updated_at: now.clone(),
                    };
                    db::save_team(tx.conn(), &t).await?;
                    report.teams_created += 1;
                    t
                }
            };
            teams.insert(v.id.clone(), t);
        }
        let team = &teams[&v.id];
        let existing = db::members_of(tx.conn(), std::slice::from_ref(&team.id))
            .await?
            .into_iter()
            .find(|e| e.name_key == text::fold(&m.name) && e.phone == m.phone);
        let row = match &existing {
            Some(e) => member_row(team, e.id.clone(), m, &actor, Some(e)),
            None => member_row(team, xaso_storage::new_id(), m, &actor, None),
        };
        db::save_member(tx.conn(), &row).await?;
        if existing.is_some() {
            report.members_updated += 1;
        } else {
            report.members_added += 1;
        }
    }
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "import",
            record_type: "dt_member",
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
