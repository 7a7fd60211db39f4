//! The season statistics as a workbook laid out like the statistics office's forms. The layout
//! (title, columns, which crops get a row and in what order) is a TOML file the province keeps
//! in the platform and may replace; Xã Số ships a plain default.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use serde::{Deserialize, Serialize};
use serde_json::json;
use xaso_domain::agri::farming::Crop;
use xaso_domain::agri::stats::CropLine;
use xaso_storage::Store;

use super::stats::Stats;
use crate::error::Problem;
use crate::{Actor, Error, Result};

/// Where the province's layout is kept.
pub const LAYOUT_SETTING: &str = "agri.stats_layout";
/// The layout Xã Số ships.
pub const DEFAULT_LAYOUT: &str = include_str!("stats_layout.toml");

/// What a column shows.
pub const VALUES: &[&str] = &[
    "crop",
    "plantings",
    "sown_ha",
    "harvested_ha",
    "output_t",
    "yield_ta_per_ha",
];

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub header: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CropRow {
    pub crop: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    pub total_sheet: String,
    pub parts_sheet: String,
    /// The heading of plots with no village on the details sheet.
    #[serde(default = "no_village")]
    pub no_village: String,
    pub columns: Vec<Column>,
    /// The crops with a row, in order; empty: the crops planted, in the platform's order.
    #[serde(default)]
    pub crops: Vec<CropRow>,
}

fn no_village() -> String {
    "Chưa gắn ấp".into()
}

/// Reads and checks a layout; every problem is named.
pub fn parse_layout(text: &str) -> Result<Layout> {
    let layout: Layout = toml::from_str(text).map_err(|e| {
        Error::invalid(
            "text",
            format!("the layout is not valid TOML: {}", e.message()),
        )
    })?;
    let mut problems = Vec::new();
    if layout.title.trim().is_empty() {
        problems.push(Problem::new("title", "the workbook needs a title"));
    }
    for (name, field) in [
        (&layout.total_sheet, "total_sheet"),
        (&layout.parts_sheet, "parts_sheet"),
    ] {
        let n = name.trim();
        if n.is_empty()
            || n.chars().count() > 31
            || n.contains(['[', ']', ':', '*', '?', '/', '\\'])
        {
            problems.push(Problem::new(
                field,
                "a sheet name of 1 to 31 characters without [ ] : * ? / \\",
            ));
        }
    }
    if layout.total_sheet.trim() == layout.parts_sheet.trim() {
        problems.push(Problem::new(
            "parts_sheet",
            "the two sheets need different names",
        ));
    }
    if layout.columns.is_empty() || layout.columns.len() > 20 {
        problems.push(Problem::new("columns", "give 1 to 20 columns"));
    }
    for (i, c) in layout.columns.iter().enumerate() {
        if !VALUES.contains(&c.value.as_str()) {
            problems.push(Problem::new(
                format!("columns[{i}].value"),
                format!("a column shows one of {}", VALUES.join(", ")),
            ));
        }
    }
    for (i, c) in layout.crops.iter().enumerate() {
        if Crop::parse(&c.crop).is_none() {
            problems.push(Problem::new(
                format!("crops[{i}].crop"),
                "not a crop of the platform (rice, peanut, maize, vegetables, sugarcane, cassava, fruit, other)",
            ));
        }
    }
    if problems.is_empty() {
        Ok(layout)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The layout in force (as text): the province's, or the default.
pub async fn layout_text(store: &Store) -> Result<String> {
    let mut conn = store.read().await?;
    Ok(xaso_storage::settings::get(&mut conn, LAYOUT_SETTING)
        .await?
        .unwrap_or_else(|| DEFAULT_LAYOUT.to_string()))
}

/// Replaces the layout (administrators and the province's officers); an empty text goes back to
/// the default. Audited.
pub async fn set_layout(store: &Store, actor: Option<&Actor>, text: &str) -> Result<()> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !crate::authz::is_province_wide(store, actor).await? {
        return Err(Error::Forbidden);
    }
    let text = text.replace("\r\n", "\n");
    let text = if text.trim().is_empty() {
        DEFAULT_LAYOUT.to_string()
    } else {
        parse_layout(&text)?;
        text
    };
    let mut tx = store.begin().await?;
    xaso_storage::settings::set(tx.conn(), LAYOUT_SETTING, &text).await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "update",
            record_type: "agri_stats_layout",
            record_id: LAYOUT_SETTING,
            unit_id: None,
            before: None,
            after: Some(json!({"bytes": text.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn fill(template: &str, s: &Stats) -> String {
    template
        .replace("{unit}", &s.unit.full_name)
        .replace("{season}", &s.season_name)
        .replace(
            "{date}",
            &xaso_domain::time::format_date_vn(xaso_domain::time::today_vn()),
        )
}

/// The rows of a table: (label, line) in the layout's crop order.
fn rows<'a>(layout: &'a Layout, lines: &'a [CropLine]) -> Vec<(String, Option<&'a CropLine>)> {
    if layout.crops.is_empty() {
        return lines
            .iter()
            .map(|l| (l.crop.vi().to_string(), Some(l)))
            .collect();
    }
    layout
        .crops
        .iter()
        .filter_map(|c| {
            let crop = Crop::parse(&c.crop)?;
            Some((c.label.clone(), lines.iter().find(|l| l.crop == crop)))
        })
        .collect()
}

enum Cell {
    Text(String),
    Number(f64),
    Blank,
}

fn cell(value: &str, label: &str, l: Option<&CropLine>) -> Cell {
    let round = |v: f64, p: i32| {
        let f = 10f64.powi(p);
        (v * f).round() / f
    };
    match (value, l) {
        ("crop", _) => Cell::Text(label.to_string()),
        (_, None) => Cell::Number(0.0),
        ("plantings", Some(l)) => Cell::Number(l.plantings as f64),
        ("sown_ha", Some(l)) => Cell::Number(round(l.sown_m2 / 10_000.0, 2)),
        ("harvested_ha", Some(l)) => Cell::Number(round(l.harvested_m2 / 10_000.0, 2)),
        ("output_t", Some(l)) => Cell::Number(round(l.output_kg / 1000.0, 2)),
        ("yield_ta_per_ha", Some(l)) => match l.yield_ta_per_ha() {
            Some(y) => Cell::Number(round(y, 1)),
            None => Cell::Blank,
        },
        _ => Cell::Blank,
    }
}

/// The statistics as an .xlsx workbook in the layout given: a sheet with the unit's lines and
/// one with its villages' (or communes') lines, one block after the other.
pub fn workbook(s: &Stats, layout: &Layout) -> Result<Vec<u8>> {
    let xerr = |e: rust_xlsxwriter::XlsxError| Error::Internal(e.to_string());
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#EAF2EC");
    let text = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00");
    let whole = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let part_title = Format::new().set_bold();
    let write_table = |ws: &mut rust_xlsxwriter::Worksheet,
                       mut row: u32,
                       lines: &[CropLine]|
     -> std::result::Result<u32, rust_xlsxwriter::XlsxError> {
        for (c, col) in layout.columns.iter().enumerate() {
            ws.write_with_format(row, c as u16, col.header.as_str(), &header)?;
        }
        row += 1;
        for (label, line) in rows(layout, lines) {
            for (c, col) in layout.columns.iter().enumerate() {
                match cell(&col.value, &label, line) {
                    Cell::Text(t) => ws.write_with_format(row, c as u16, t, &text)?,
                    Cell::Number(n) if col.value == "plantings" => {
                        ws.write_with_format(row, c as u16, n, &whole)?
                    }
                    Cell::Number(n) => ws.write_with_format(row, c as u16, n, &number)?,
                    Cell::Blank => ws.write_blank(row, c as u16, &text)?,
                };
            }
            row += 1;
        }
        Ok(row)
    };
    let ws = wb.add_worksheet();
    ws.set_name(layout.total_sheet.trim()).map_err(xerr)?;
    ws.write_with_format(0, 0, fill(&layout.title, s), &title)
        .map_err(xerr)?;
    ws.write(1, 0, fill(&layout.subtitle, s)).map_err(xerr)?;
    ws.set_column_width(0, 22).map_err(xerr)?;
    for c in 1..layout.columns.len() as u16 {
        ws.set_column_width(c, 16).map_err(xerr)?;
    }
    write_table(ws, 3, &s.total).map_err(xerr)?;
    let ws = wb.add_worksheet();
    ws.set_name(layout.parts_sheet.trim()).map_err(xerr)?;
    ws.write_with_format(0, 0, fill(&layout.title, s), &title)
        .map_err(xerr)?;
    ws.set_column_width(0, 22).map_err(xerr)?;
    for c in 1..layout.columns.len() as u16 {
        ws.set_column_width(c, 16).map_err(xerr)?;
    }
    let mut row = 2;
    for (code, name, lines) in &s.parts {
        let label = match (name.is_empty(), code.is_empty()) {
            (false, _) => name.clone(),
            (true, false) => code.clone(),
            (true, true) => layout.no_village.clone(),
        };
        ws.write_with_format(row, 0, label, &part_title)
            .map_err(xerr)?;
        row = write_table(ws, row + 1, lines).map_err(xerr)? + 1;
    }
    wb.save_to_buffer().map_err(xerr)
}
