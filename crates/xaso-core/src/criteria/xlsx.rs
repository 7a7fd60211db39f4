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

use super::{check_year, sets_for_year, Checked, SetVersion};
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
    let (unit, day) = super::unit_in_year(store, code, year).await?;
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
    let head = header_format();
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

/// The look of column titles in every workbook.
fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color("#DDEBDD")
        .set_text_wrap()
        .set_align(FormatAlign::Top)
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
    let head = header_format();
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
        let level = super::pdf::level_name(a.level);
        ws.write_string(row, after + 1, level).map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(3, 2).map_err(xlsx_error)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(Template {
        filename: format!("xaso-ma-tran-{}-{}.xlsx", r.unit.code, r.year),
        bytes,
    })
}

const SET_SHEET: &str = "Bo tieu chi";
const SET_MARKER: &str = "xaso-set:v1";
const SET_HEADER_ROW: u32 = 4;
const SET_FIRST_ROW: u32 = 5;
const SET_FIXED_COLS: u16 = 12; // A..L, thresholds from M
/// Column L: the DT-plan indicator an indicator takes its value from. Workbooks exported before
/// it existed have thresholds from L, and are still read.
const SET_DT_COL: u16 = 11;
const SET_DT_HEADER: &str = "Chỉ tiêu CĐS (mã)";
const KINDS: &[(Kind, &str)] = &[
    (Kind::Judged, "judged"),
    (Kind::AtLeast, "at_least"),
    (Kind::AtMost, "at_most"),
    (Kind::PercentAtLeast, "percent_at_least"),
    (Kind::PercentAtMost, "percent_at_most"),
];

/// A criteria set as a workbook a province office can edit: one row per indicator, one column per
/// threshold key (region or group; `KEY@YEAR` columns may be added for one year's value).
pub fn export_set(v: &SetVersion) -> Result<Template> {
    let set = &v.set;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SET_SHEET).map_err(xlsx_error)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = header_format();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let input = Format::new().set_background_color("#FFF8DC");
    let muted = Format::new().set_font_color("#888888");
    ws.write_string_with_format(
        0,
        0,
        format!("{} — phiên bản {}", set.name_vi, v.version),
        &title,
    )
    .map_err(xlsx_error)?;
    ws.write_string(
        1,
        0,
        "Sửa tên, loại, nguồn, chỉ tiêu CĐS liên kết (cột L, mã trong danh mục chỉ tiêu CĐS) và ngưỡng (các cột từ M; thêm cột KHÓA@NĂM, ví dụ DBSCL@2024, cho ngưỡng riêng một năm). \
         Ô ngưỡng để trống = chưa có ngưỡng. Loại: judged (Đạt/Không đạt), at_least, at_most, percent_at_least, percent_at_most. \
         Tải lên sẽ tạo phiên bản mới; các phiên bản cũ vẫn được giữ.",
    )
    .map_err(xlsx_error)?;
    ws.write_string_with_format(2, 0, format!("{SET_MARKER};key={}", set.key), &muted)
        .map_err(xlsx_error)?;
    let headers = [
        "Tiêu chí (số)",
        "Tên tiêu chí",
        "Tên tiêu chí (EN)",
        "Mã chỉ tiêu",
        "Tên chỉ tiêu",
        "Tên chỉ tiêu (EN)",
        "Đơn vị",
        "Loại",
        "Cần minh chứng (có/không)",
        "Đánh giá chung cả tiêu chí (có/không)",
        "Nguồn",
        SET_DT_HEADER,
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(SET_HEADER_ROW, c as u16, *h, &head)
            .map_err(xlsx_error)?;
    }
    // Threshold columns: the set's keys, then any year-specific or wildcard keys in use.
    let mut keys: Vec<String> = set.keys.clone();
    for c in &set.criteria {
        for i in &c.indicators {
            for k in i.thresholds.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    for (n, k) in keys.iter().enumerate() {
        ws.write_string_with_format(SET_HEADER_ROW, SET_FIXED_COLS + n as u16, k, &head)
            .map_err(xlsx_error)?;
        ws.set_column_width(SET_FIXED_COLS + n as u16, 10)
            .map_err(xlsx_error)?;
    }
    for (col, w) in [
        (0u16, 8.0),
        (1, 28.0),
        (2, 20.0),
        (3, 9.0),
        (4, 50.0),
        (5, 30.0),
        (6, 14.0),
        (7, 16.0),
        (8, 12.0),
        (9, 12.0),
        (10, 40.0),
        (11, 16.0),
    ] {
        ws.set_column_width(col, w).map_err(xlsx_error)?;
    }
    let yes_no = |b: bool| if b { "có" } else { "không" };
    let mut row = SET_FIRST_ROW;
    for c in &set.criteria {
        for i in &c.indicators {
            ws.write_string(row, 0, &c.no).map_err(xlsx_error)?;
            ws.write_string_with_format(row, 1, &c.name_vi, &wrap)
                .map_err(xlsx_error)?;
            ws.write_string_with_format(row, 2, &c.name_en, &wrap)
                .map_err(xlsx_error)?;
            ws.write_string(row, 3, &i.code).map_err(xlsx_error)?;
            ws.write_string_with_format(row, 4, &i.name_vi, &wrap)
                .map_err(xlsx_error)?;
            ws.write_string_with_format(row, 5, &i.name_en, &wrap)
                .map_err(xlsx_error)?;
            ws.write_string(row, 6, i.unit.as_deref().unwrap_or(""))
                .map_err(xlsx_error)?;
            let kind = KINDS
                .iter()
                .find(|(k, _)| *k == i.kind)
                .map(|(_, n)| *n)
                .unwrap_or("judged");
            ws.write_string(row, 7, kind).map_err(xlsx_error)?;
            ws.write_string(row, 8, yes_no(i.evidence_required))
                .map_err(xlsx_error)?;
            ws.write_string(row, 9, yes_no(i.stand_in))
                .map_err(xlsx_error)?;
            ws.write_string_with_format(row, 10, i.source.as_deref().unwrap_or(""), &wrap)
                .map_err(xlsx_error)?;
            ws.write_string(row, SET_DT_COL, i.dt_indicator.as_deref().unwrap_or(""))
                .map_err(xlsx_error)?;
            for (n, k) in keys.iter().enumerate() {
                let col = SET_FIXED_COLS + n as u16;
                match i.thresholds.get(k) {
                    Some(t) => ws
                        .write_number_with_format(row, col, *t, &input)
                        .map(|_| ()),
                    None => ws.write_blank(row, col, &input).map(|_| ()),
                }
                .map_err(xlsx_error)?;
            }
            row += 1;
        }
    }
    ws.set_freeze_panes(SET_FIRST_ROW, 4).map_err(xlsx_error)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(Template {
        filename: format!("{}-v{}.xlsx", set.key, v.version),
        bytes,
    })
}

/// Reads an edited set workbook into a new version of the set (administrators only). Every bad
/// cell is reported; nothing is saved unless the whole set is valid.
pub async fn import_set(
    store: &Store,
    actor: &Actor,
    key: &str,
    bytes: &[u8],
    note: &str,
) -> Result<i64> {
    use xaso_domain::criteria::Criterion;
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let current = super::set(store, key).await?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::invalid("file", format!("not an .xlsx workbook: {e}")))?;
    let range = wb.worksheet_range(SET_SHEET).map_err(|_| {
        Error::invalid(
            "file",
            format!("no sheet named `{SET_SHEET}`; start from the exported set"),
        )
    })?;
    let at = |r: u32, c: u32| -> &Data { range.get_value((r, c)).unwrap_or(&Data::Empty) };
    let loc = |r: u32, c: u32| format!("{SET_SHEET}!{}", cell_name(r, c));
    if text_of(at(2, 0)).as_deref() != Some(format!("{SET_MARKER};key={key}").as_str()) {
        return Err(Error::Invalid(vec![Problem::new(
            loc(2, 0),
            format!("cell A3 does not mark this as set {key}"),
        )]));
    }
    let (height, width) = range.end().unwrap_or((0, 0));
    let mut problems = Vec::new();
    let mut keys: Vec<(u32, String)> = Vec::new();
    let dt_col = (text_of(at(SET_HEADER_ROW, SET_DT_COL as u32)).as_deref() == Some(SET_DT_HEADER))
        .then_some(SET_DT_COL as u32);
    let first_key = if dt_col.is_some() {
        SET_FIXED_COLS
    } else {
        SET_DT_COL
    };
    for col in first_key as u32..=width {
        if let Some(k) = text_of(at(SET_HEADER_ROW, col)) {
            keys.push((col, k));
        }
    }
    let flag = |r: u32, c: u32, problems: &mut Vec<Problem>| -> bool {
        match text_of(at(r, c))
            .map(|s| xaso_domain::text::fold(&s))
            .as_deref()
        {
            None | Some("khong") | Some("no") | Some("0") => false,
            Some("co") | Some("yes") | Some("1") | Some("x") => true,
            Some(_) => {
                problems.push(Problem::new(loc(r, c), "write có or không"));
                false
            }
        }
    };
    let mut criteria: Vec<Criterion> = Vec::new();
    for row in SET_FIRST_ROW..=height {
        let no = text_of(at(row, 0));
        let code = text_of(at(row, 3));
        let (no, code) = match (no, code) {
            (None, None) => continue,
            (Some(n), Some(c)) => (n, c),
            (None, _) => {
                problems.push(Problem::new(loc(row, 0), "the criterion number is missing"));
                continue;
            }
            (_, None) => {
                problems.push(Problem::new(loc(row, 3), "the indicator code is missing"));
                continue;
            }
        };
        let name_vi = text_of(at(row, 4)).unwrap_or_default();
        if name_vi.is_empty() {
            problems.push(Problem::new(
                loc(row, 4),
                "the indicator needs a Vietnamese name",
            ));
        }
        let kind_text = text_of(at(row, 7)).unwrap_or_default();
        let kind = match KINDS.iter().find(|(_, n)| *n == kind_text) {
            Some((k, _)) => *k,
            None => {
                problems.push(Problem::new(
                    loc(row, 7),
                    format!("unknown kind `{kind_text}`"),
                ));
                Kind::Judged
            }
        };
        let mut thresholds = std::collections::BTreeMap::new();
        for (col, k) in &keys {
            match at(row, *col) {
                Data::Empty => {}
                Data::Float(f) => {
                    thresholds.insert(k.clone(), *f);
                }
                Data::Int(i) => {
                    thresholds.insert(k.clone(), *i as f64);
                }
                other => match text_of(other)
                    .map(|t| t.replace(',', "."))
                    .and_then(|t| t.parse::<f64>().ok())
                {
                    Some(f) => {
                        thresholds.insert(k.clone(), f);
                    }
                    None => problems.push(Problem::new(
                        loc(row, *col),
                        "a threshold must be a number (or empty)",
                    )),
                },
            }
        }
        let indicator = Indicator {
            code,
            name_vi,
            name_en: text_of(at(row, 5)).unwrap_or_default(),
            unit: text_of(at(row, 6)),
            kind,
            thresholds,
            stand_in: flag(row, 9, &mut problems),
            evidence_required: flag(row, 8, &mut problems),
            source: text_of(at(row, 10)),
            dt_indicator: dt_col.and_then(|c| text_of(at(row, c))),
        };
        match criteria.last_mut() {
            Some(c) if c.no == no => c.indicators.push(indicator),
            _ => criteria.push(Criterion {
                no,
                name_vi: text_of(at(row, 1)).unwrap_or_default(),
                name_en: text_of(at(row, 2)).unwrap_or_default(),
                indicators: vec![indicator],
            }),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut set = current.set.clone();
    set.criteria = criteria;
    set.validate()
        .map_err(|e| Error::invalid("set", e.to_string()))?;
    super::save_set(store, actor, set, note).await
}

/// A commune's assessment for a year as a spreadsheet: the summary, then one row per indicator
/// with its value, threshold and status in words.
pub fn commune_report(a: &super::Assessment) -> Result<Template> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Danh gia").map_err(xlsx_error)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = header_format();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let level = |l: Option<xaso_domain::criteria::NtmLevel>| super::pdf::level_name(l);
    ws.write_string_with_format(
        0,
        0,
        format!(
            "Kết quả tiêu chí nông thôn mới năm {} — {}",
            a.year, a.unit.full_name
        ),
        &title,
    )
    .map_err(xlsx_error)?;
    let key = a
        .profile
        .as_ref()
        .map(|p| p.threshold_key.clone())
        .unwrap_or_default();
    ws.write_string(
        1,
        0,
        format!(
            "Mã đơn vị: {} · Vùng/nhóm: {key} · Mức đạt: {} · Mục tiêu: {}",
            a.unit.code,
            level(a.level),
            a.profile
                .as_ref()
                .and_then(|p| p.target)
                .map(|t| level(Some(t)))
                .unwrap_or("chưa đặt")
        ),
    )
    .map_err(xlsx_error)?;
    let headers = [
        "Bộ tiêu chí",
        "Phiên bản",
        "Tiêu chí",
        "Mã chỉ tiêu",
        "Chỉ tiêu",
        "Giá trị",
        "Ngưỡng",
        "Trạng thái",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(3, c as u16, *h, &head)
            .map_err(xlsx_error)?;
    }
    for (col, w) in [
        (0u16, 24.0),
        (1, 9.0),
        (2, 26.0),
        (3, 10.0),
        (4, 50.0),
        (5, 12.0),
        (6, 16.0),
        (7, 16.0),
    ] {
        ws.set_column_width(col, w).map_err(xlsx_error)?;
    }
    let mut row = 4;
    for o in &a.sets {
        for (c, cr) in o.version.set.criteria.iter().zip(&o.result.criteria) {
            for (i, ir) in c.indicators.iter().zip(&cr.indicators) {
                ws.write_string(row, 0, &o.version.set.key)
                    .map_err(xlsx_error)?;
                ws.write_number(row, 1, o.version.version as f64)
                    .map_err(xlsx_error)?;
                ws.write_string_with_format(row, 2, format!("{}. {}", c.no, c.name_vi), &wrap)
                    .map_err(xlsx_error)?;
                ws.write_string(row, 3, &i.code).map_err(xlsx_error)?;
                ws.write_string_with_format(row, 4, &i.name_vi, &wrap)
                    .map_err(xlsx_error)?;
                match ir.value {
                    Some(Value::Number(n)) => ws.write_number(row, 5, n).map(|_| ()),
                    Some(Value::Judged(true)) => ws.write_string(row, 5, "Đạt").map(|_| ()),
                    Some(Value::Judged(false)) => ws.write_string(row, 5, "Không đạt").map(|_| ()),
                    None => Ok(()),
                }
                .map_err(xlsx_error)?;
                let threshold = match (i.kind, ir.threshold) {
                    (Kind::Judged, _) => "Đạt".to_string(),
                    (_, None) => "chưa có ngưỡng".to_string(),
                    (Kind::AtLeast | Kind::PercentAtLeast, Some(t)) => format!(">= {t}"),
                    (_, Some(t)) => format!("<= {t}"),
                };
                ws.write_string(row, 6, threshold).map_err(xlsx_error)?;
                let status = super::pdf::status_words(ir.status);
                ws.write_string(row, 7, status).map_err(xlsx_error)?;
                row += 1;
            }
        }
    }
    ws.set_freeze_panes(4, 0).map_err(xlsx_error)?;
    let bytes = wb.save_to_buffer().map_err(xlsx_error)?;
    Ok(Template {
        filename: format!("xaso-danh-gia-{}-{}.xlsx", a.unit.code, a.year),
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
