//! The Excel round trip: a template for one commune (or one sheet for every xã of an area) with
//! codes, names, thresholds and blank value cells; the filled file uploaded back. An upload is
//! all or nothing: every bad cell is reported with its sheet and address, and nothing is saved.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use rust_xlsxwriter::{DataValidation, Format, FormatAlign, Workbook};
use xaso_domain::criteria::{Indicator, Kind, Value};
use xaso_domain::units::{Level, Unit};
use xaso_storage::{units, Store};

use super::{check_year, default_day, sets_for_year, Checked, SetVersion};
use crate::error::Problem;
use crate::{Actor, Error, Result};

const SHEET: &str = "So lieu";
/// Written in A3 so an upload can tell a Xã Số template from any spreadsheet.
const MARKER: &str = "xaso-template:v1";
const CODES_ROW: u32 = 3; // row 4: commune codes above their value columns
const HEADER_ROW: u32 = 4; // row 5: column titles
const FIRST_DATA_ROW: u32 = 5; // row 6
const FIRST_VALUE_COL: u16 = 6; // column G
const NOTE_CODE: &str = "ghi_chu";

pub struct Template {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// What an upload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub communes: usize,
    pub changed: usize,
}

/// The communes a code stands for in a year: the commune itself, or every xã under an area.
async fn communes_of(store: &Store, code: &str, year: i32) -> Result<(Unit, Vec<Unit>)> {
    let day = default_day(year);
    let unit = crate::units::by_code(store, code, day).await?;
    if unit.level == Level::Commune {
        return Ok((unit.clone(), vec![unit]));
    }
    if unit.level == Level::Village {
        return Err(Error::invalid(
            "unit",
            format!(
                "{} is a village; templates are per commune or area",
                unit.full_name
            ),
        ));
    }
    let mut conn = store.read().await?;
    let communes: Vec<Unit> = units::subtree(&mut conn, &unit.id)
        .await?
        .into_iter()
        .filter(|u| u.level == Level::Commune && u.unit_type == "Xã" && u.validity().contains(day))
        .collect();
    if communes.is_empty() {
        return Err(Error::invalid(
            "unit",
            format!("{} has no xã in {year}", unit.full_name),
        ));
    }
    Ok((unit, communes))
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Internal(format!("spreadsheet: {e}"))
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Judged => "Đạt / Không đạt",
        Kind::AtLeast => "số, tối thiểu",
        Kind::AtMost => "số, tối đa",
        Kind::PercentAtLeast => "tỷ lệ %, tối thiểu",
        Kind::PercentAtMost => "tỷ lệ %, tối đa",
    }
}

/// The thresholds an indicator has, as text ("DBSCL: ≤ 19"), or why there is none.
fn thresholds_text(i: &Indicator, keys: &[String], year: i32) -> String {
    if i.kind == Kind::Judged {
        return "Đạt".into();
    }
    let sign = match i.kind {
        Kind::AtLeast | Kind::PercentAtLeast => "≥",
        _ => "≤",
    };
    let mut parts = Vec::new();
    for k in keys {
        if let Some(t) = i.threshold(k, year) {
            parts.push(format!("{k}: {sign} {t}"));
        }
    }
    if parts.is_empty() {
        "chưa có ngưỡng".into()
    } else {
        parts.join("; ")
    }
}

/// Builds the template workbook.
pub async fn template(store: &Store, code: &str, year: i32) -> Result<Template> {
    check_year(year)?;
    let (area, communes) = communes_of(store, code, year).await?;
    let sets = sets_for_year(store, year).await?;
    if sets.is_empty() {
        return Err(Error::invalid(
            "year",
            format!("no criteria set applies to {year}"),
        ));
    }
    // The keys (region or group) of the communes, for showing their thresholds.
    let mut conn = store.read().await?;
    let mut keys: Vec<String> = Vec::new();
    for c in &communes {
        if let Some(p) = xaso_storage::criteria::profile(&mut conn, &c.id, year as i64).await? {
            if !keys.contains(&p.threshold_key) {
                keys.push(p.threshold_key);
            }
        }
    }
    drop(conn);
    if keys.is_empty() {
        keys = sets[0].set.keys.clone();
    }
    let single = communes.len() == 1 && area.level == Level::Commune;

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET).map_err(xlsx_error)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBDD")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let input = Format::new().set_background_color("#FFF8DC").set_unlocked();
    let muted = Format::new().set_font_color("#888888");
    ws.write_string_with_format(
        0,
        0,
        format!(
            "Số liệu tiêu chí nông thôn mới năm {year} — {}",
            area.full_name
        ),
        &title,
    )
    .map_err(xlsx_error)?;
    ws.write_string(
        1,
        0,
        "Điền vào các ô màu vàng: chỉ tiêu Đạt/Không đạt chọn trong danh sách; chỉ tiêu số ghi số (dấu phẩy cho phần thập phân). \
         Ô để trống: giữ nguyên số liệu đã có. Ghi - để xóa một giá trị. Không sửa các cột A–F và dòng 4.",
    )
    .map_err(xlsx_error)?;
    ws.write_string_with_format(
        2,
        0,
        format!("{MARKER};year={year};unit={}", area.code),
        &muted,
    )
    .map_err(xlsx_error)?;
    let headers = [
        "Mã bộ tiêu chí",
        "Tiêu chí",
        "Mã chỉ tiêu",
        "Chỉ tiêu",
        "Loại / đơn vị",
        "Ngưỡng",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *h, &head)
            .map_err(xlsx_error)?;
    }
    let mut value_cols: Vec<(u16, String)> = Vec::new();
    if single {
        ws.write_string_with_format(CODES_ROW, FIRST_VALUE_COL, &communes[0].code, &muted)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(CODES_ROW, FIRST_VALUE_COL + 1, NOTE_CODE, &muted)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(HEADER_ROW, FIRST_VALUE_COL, "Giá trị", &head)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(HEADER_ROW, FIRST_VALUE_COL + 1, "Ghi chú", &head)
            .map_err(xlsx_error)?;
        value_cols.push((FIRST_VALUE_COL, communes[0].code.clone()));
        ws.set_column_width(FIRST_VALUE_COL + 1, 40)
            .map_err(xlsx_error)?;
    } else {
        for (n, c) in communes.iter().enumerate() {
            let col = FIRST_VALUE_COL + n as u16;
            ws.write_string_with_format(CODES_ROW, col, &c.code, &muted)
                .map_err(xlsx_error)?;
            ws.write_string_with_format(HEADER_ROW, col, &c.full_name, &head)
                .map_err(xlsx_error)?;
            ws.set_column_width(col, 14).map_err(xlsx_error)?;
            value_cols.push((col, c.code.clone()));
        }
    }
    ws.set_column_width(0, 26).map_err(xlsx_error)?;
    ws.set_column_width(1, 8).map_err(xlsx_error)?;
    ws.set_column_width(2, 9).map_err(xlsx_error)?;
    ws.set_column_width(3, 60).map_err(xlsx_error)?;
    ws.set_column_width(4, 18).map_err(xlsx_error)?;
    ws.set_column_width(5, 22).map_err(xlsx_error)?;
    ws.set_column_width(FIRST_VALUE_COL, 14)
        .map_err(xlsx_error)?;
    let judged = DataValidation::new()
        .allow_list_strings(&["Đạt", "Không đạt", "-"])
        .map_err(xlsx_error)?
        .set_error_title("Giá trị không hợp lệ")
        .map_err(xlsx_error)?
        .set_error_message("Chọn Đạt, Không đạt, hoặc - để xóa.")
        .map_err(xlsx_error)?;
    let mut row = FIRST_DATA_ROW;
    for v in &sets {
        for c in &v.set.criteria {
            for i in &c.indicators {
                ws.write_string(row, 0, &v.set.key).map_err(xlsx_error)?;
                ws.write_string(row, 1, &c.no).map_err(xlsx_error)?;
                ws.write_string(row, 2, &i.code).map_err(xlsx_error)?;
                ws.write_string_with_format(row, 3, &i.name_vi, &wrap)
                    .map_err(xlsx_error)?;
                let unit = i
                    .unit
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                ws.write_string(row, 4, format!("{}{unit}", kind_label(i.kind)))
                    .map_err(xlsx_error)?;
                ws.write_string_with_format(row, 5, thresholds_text(i, &keys, year), &wrap)
                    .map_err(xlsx_error)?;
                for (col, _) in &value_cols {
                    ws.write_blank(row, *col, &input).map_err(xlsx_error)?;
                    if i.kind == Kind::Judged {
                        ws.add_data_validation(row, *col, row, *col, &judged)
                            .map_err(xlsx_error)?;
                    }
                }
                if single {
                    ws.write_blank(row, FIRST_VALUE_COL + 1, &input)
                        .map_err(xlsx_error)?;
                }
                row += 1;
            }
        }
    }
    ws.set_freeze_panes(FIRST_DATA_ROW, 4).map_err(xlsx_error)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(Template {
        filename: format!("xaso-tieu-chi-{}-{year}.xlsx", area.code),
        bytes,
    })
}

/// "G12" for row index 11, column index 6.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        letters.insert(0, (b'A' + r) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

fn text_of(d: &Data) -> Option<String> {
    match d {
        Data::Empty => None,
        Data::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Data::Float(f) => Some(f.to_string()),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(if *b {
            "Đạt".into()
        } else {
            "Không đạt".into()
        }),
        other => Some(other.to_string()),
    }
}

/// Reads a cell as a value for `kind`: `Ok(None)` for an empty cell (keep what is stored),
/// `Ok(Some(None))` for "-" (clear).
fn read_value(d: &Data, kind: Kind) -> std::result::Result<Option<Option<Value>>, &'static str> {
    let problem = |e: xaso_domain::criteria::ValueError| super::value_problem(&e);
    match d {
        Data::Empty => Ok(None),
        Data::Float(f) => Value::Number(*f)
            .check(kind)
            .map(|v| Some(Some(v)))
            .map_err(problem),
        Data::Int(i) => Value::Number(*i as f64)
            .check(kind)
            .map(|v| Some(Some(v)))
            .map_err(problem),
        other => {
            let Some(text) = text_of(other) else {
                return Ok(None);
            };
            if text == "-" || xaso_domain::text::fold(&text) == "xoa" {
                return Ok(Some(None));
            }
            Value::parse(&text, kind).map(Some).map_err(problem)
        }
    }
}

/// Reads a filled template and saves it: all or nothing.
pub async fn upload(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    bytes: &[u8],
) -> Result<Uploaded> {
    check_year(year)?;
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let (area, communes) = communes_of(store, code, year).await?;
    let sets = sets_for_year(store, year).await?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::invalid("file", format!("not an .xlsx workbook: {e}")))?;
    let sheet = wb
        .sheet_names()
        .iter()
        .find(|n| n.as_str() == SHEET)
        .cloned()
        .ok_or_else(|| {
            Error::invalid(
                "file",
                format!("no sheet named `{SHEET}`; use the template Xã Số gives"),
            )
        })?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| Error::invalid("file", format!("sheet unreadable: {e}")))?;
    let at = |r: u32, c: u32| -> &Data { range.get_value((r, c)).unwrap_or(&Data::Empty) };
    let loc = |r: u32, c: u32| format!("{sheet}!{}", cell_name(r, c));

    let marker = text_of(at(2, 0)).unwrap_or_default();
    let expected = format!("{MARKER};year={year};unit={}", area.code);
    if marker != expected {
        let detail = if marker.starts_with(MARKER) {
            format!(
                "this template is `{marker}`, not for {} in {year}",
                area.full_name
            )
        } else {
            "cell A3 does not hold the Xã Số template marker; download the template again"
                .to_string()
        };
        return Err(Error::Invalid(vec![Problem::new(loc(2, 0), detail)]));
    }

    // Which column holds which commune (and which holds notes).
    let by_code: HashMap<&str, &Unit> = communes.iter().map(|u| (u.code.as_str(), u)).collect();
    let (_, width) = range.end().unwrap_or((0, 0));
    let mut columns: Vec<(u32, &Unit)> = Vec::new();
    let mut note_col: Option<u32> = None;
    let mut problems = Vec::new();
    for col in FIRST_VALUE_COL as u32..=width {
        match text_of(at(CODES_ROW, col)) {
            None => {}
            Some(c) if c == NOTE_CODE => note_col = Some(col),
            Some(c) => match by_code.get(c.as_str()) {
                Some(u) => columns.push((col, u)),
                None => problems.push(Problem::new(
                    loc(CODES_ROW, col),
                    format!("{c} is not a xã of {} in {year}", area.full_name),
                )),
            },
        }
    }
    if columns.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            loc(CODES_ROW, FIRST_VALUE_COL as u32),
            "row 4 names no commune",
        ));
    }

    let index: HashMap<(&str, &str), (&Arc<SetVersion>, &Indicator)> = sets
        .iter()
        .flat_map(|v| {
            v.set.criteria.iter().flat_map(move |c| {
                c.indicators
                    .iter()
                    .map(move |i| ((v.set.key.as_str(), i.code.as_str()), (v, i)))
            })
        })
        .collect();
    let mut batches: HashMap<String, Vec<Checked>> = HashMap::new();
    let (height, _) = range.end().unwrap_or((0, 0));
    for row in FIRST_DATA_ROW..=height {
        let set_key = text_of(at(row, 0));
        let code = text_of(at(row, 2));
        let (set_key, code) = match (set_key, code) {
            (None, None) => continue,
            (Some(s), Some(c)) => (s, c),
            _ => {
                problems.push(Problem::new(
                    loc(row, 0),
                    "columns A and C must both hold codes",
                ));
                continue;
            }
        };
        let Some((_, ind)) = index.get(&(set_key.as_str(), code.as_str())) else {
            problems.push(Problem::new(
                loc(row, 2),
                format!("indicator {code} of {set_key} does not apply to {year}"),
            ));
            continue;
        };
        let note = note_col.and_then(|c| text_of(at(row, c)));
        for (col, unit) in &columns {
            match read_value(at(row, *col), ind.kind) {
                Ok(None) => {
                    if note.is_some() {
                        problems.push(Problem::new(
                            loc(row, *col),
                            "a note needs a value beside it",
                        ));
                    }
                }
                Ok(Some(value)) => batches.entry(unit.code.clone()).or_default().push(Checked {
                    set_key: set_key.clone(),
                    code: code.clone(),
                    value,
                    note: note.clone(),
                }),
                Err(reason) => {
                    problems.push(Problem::new(loc(row, *col), format!("{code}: {reason}")))
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let batches: Vec<(Unit, Vec<Checked>)> = columns
        .iter()
        .filter_map(|(_, u)| batches.remove(&u.code).map(|b| ((*u).clone(), b)))
        .collect();
    let changed = super::save_many(store, Some(actor), year, &batches).await?;
    Ok(Uploaded {
        communes: batches.len(),
        changed,
    })
}

/// The area matrix of a roll-up: one row per xã, one column per criterion of the NTM set, the
/// status in words (colour is never the only signal), then the level and criteria met.
pub fn matrix(r: &super::Rollup) -> Result<Template> {
    use xaso_domain::criteria::Status;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Ma tran").map_err(xlsx_error)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBDD")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let ok = Format::new().set_background_color("#E6F4EA");
    let bad = Format::new().set_background_color("#FDE8E8");
    let warn = Format::new().set_background_color("#FFF4D6");
    let none = Format::new().set_font_color("#777777");
    ws.write_string_with_format(
        0,
        0,
        format!(
            "Tiêu chí nông thôn mới năm {} — {}",
            r.year, r.unit.full_name
        ),
        &title,
    )
    .map_err(xlsx_error)?;
    let criteria: Vec<(String, String)> = r
        .communes
        .first()
        .and_then(|a| a.sets.first())
        .map(|o| {
            o.version
                .set
                .criteria
                .iter()
                .map(|c| (c.no.clone(), c.name_vi.clone()))
                .collect()
        })
        .unwrap_or_default();
    ws.write_string_with_format(2, 0, "Mã xã", &head)
        .map_err(xlsx_error)?;
    ws.write_string_with_format(2, 1, "Xã", &head)
        .map_err(xlsx_error)?;
    for (n, (no, name)) in criteria.iter().enumerate() {
        ws.write_string_with_format(2, 2 + n as u16, format!("{no}. {name}"), &head)
            .map_err(xlsx_error)?;
        ws.set_column_width(2 + n as u16, 12).map_err(xlsx_error)?;
    }
    let after = 2 + criteria.len() as u16;
    ws.write_string_with_format(2, after, "Số tiêu chí đạt", &head)
        .map_err(xlsx_error)?;
    ws.write_string_with_format(2, after + 1, "Mức đạt", &head)
        .map_err(xlsx_error)?;
    ws.set_column_width(1, 24).map_err(xlsx_error)?;
    ws.set_column_width(after + 1, 18).map_err(xlsx_error)?;
    for (i, a) in r.communes.iter().enumerate() {
        let row = 3 + i as u32;
        ws.write_string(row, 0, &a.unit.code).map_err(xlsx_error)?;
        ws.write_string(row, 1, &a.unit.full_name)
            .map_err(xlsx_error)?;
        if let Some(o) = a.sets.first() {
            for (n, c) in o.result.criteria.iter().enumerate() {
                let (text, fmt) = match c.status {
                    Status::Met => ("Đạt", &ok),
                    Status::NotMet => ("Chưa đạt", &bad),
                    Status::NoThreshold => ("Chưa có ngưỡng", &warn),
                    Status::NoData => ("Chưa có số liệu", &none),
                };
                ws.write_string_with_format(row, 2 + n as u16, text, fmt)
                    .map_err(xlsx_error)?;
            }
            ws.write_number(row, after, o.result.criteria_met as f64)
                .map_err(xlsx_error)?;
        }
        let level = match a.level {
            Some(xaso_domain::criteria::NtmLevel::Ntm) => "Đạt chuẩn NTM",
            Some(xaso_domain::criteria::NtmLevel::NangCao) => "NTM nâng cao",
            Some(xaso_domain::criteria::NtmLevel::KieuMau) => "NTM kiểu mẫu",
            Some(xaso_domain::criteria::NtmLevel::HienDai) => "NTM hiện đại",
            None => "Chưa đạt chuẩn",
        };
        ws.write_string(row, after + 1, level).map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(3, 2).map_err(xlsx_error)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(Template {
        filename: format!("xaso-ma-tran-{}-{}.xlsx", r.unit.code, r.year),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_follow_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(11, 6), "G12");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(4, 27), "AB5");
    }
}
