//! The first sheet of an uploaded workbook (or a CSV file) as text, for imports (team lists,
//! attendance, the ICT register): headings folded ("Họ và tên" → "ho va ten") so they match however they are
//! typed, cells as people read them (whole numbers without ".0", dates as dd/mm/yyyy), empty
//! rows skipped.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::NaiveDate;
use xaso_domain::text;

use crate::{Error, Result};

pub(crate) struct Sheet {
    headings: Vec<String>,
    /// (spreadsheet row number, cells)
    pub rows: Vec<(usize, Vec<String>)>,
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        // Spreadsheet dates are days since 30/12/1899.
        Data::DateTime(dt) => NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|d| d.checked_add_signed(chrono::Duration::days(dt.as_f64() as i64)))
            .map(xaso_domain::time::format_date_vn)
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

impl Sheet {
    pub fn read(bytes: &[u8]) -> Result<Sheet> {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e| Error::invalid("file", format!("not an .xlsx workbook: {e}")))?;
        let name = wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| Error::invalid("file", "the workbook has no sheet"))?;
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| Error::invalid("file", format!("unreadable sheet: {e}")))?;
        let mut it = range.rows();
        let headings = it
            .next()
            .map(|r| r.iter().map(|d| text::fold(&cell(d))).collect())
            .unwrap_or_default();
        let rows = it
            .enumerate()
            .map(|(i, r)| (i + 2, r.iter().map(cell).collect::<Vec<_>>()))
            .filter(|(_, v)| v.iter().any(|c| !c.trim().is_empty()))
            .collect();
        Ok(Sheet { headings, rows })
    }

    /// A workbook (.xlsx, told by its zip signature) or else a CSV file in UTF-8 (a byte-order
    /// mark is skipped; commas or semicolons, as Excel writes them with Vietnamese settings).
    pub fn read_any(bytes: &[u8]) -> Result<Sheet> {
        if bytes.starts_with(b"PK\x03\x04") {
            Sheet::read(bytes)
        } else {
            Sheet::read_csv(bytes)
        }
    }

    /// A CSV file as a sheet (see [`Sheet::read_any`]).
    pub fn read_csv(bytes: &[u8]) -> Result<Sheet> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::invalid("file", "the CSV file is not UTF-8 text"))?;
        let first = text.lines().next().unwrap_or("");
        let delimiter = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| Error::invalid("file", format!("unreadable CSV: {e}")))?;
            records.push(r.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>());
        }
        let mut it = records.into_iter();
        let headings = it
            .next()
            .map(|r| r.iter().map(|h| text::fold(h)).collect())
            .unwrap_or_default();
        let rows = it
            .enumerate()
            .map(|(i, r)| (i + 2, r))
            .filter(|(_, v)| v.iter().any(|c| !c.is_empty()))
            .collect();
        Ok(Sheet { headings, rows })
    }

    /// The column of a folded heading.
    pub fn column(&self, heading: &str) -> Option<usize> {
        self.headings.iter().position(|h| h == heading)
    }

    /// Headings of `wanted` the sheet lacks.
    pub fn missing<'a>(&self, wanted: &[&'a str]) -> Vec<&'a str> {
        wanted
            .iter()
            .copied()
            .filter(|w| self.column(w).is_none())
            .collect()
    }

    /// A row's cell under a heading ("" when the heading or the cell is absent).
    pub fn get(&self, row: &[String], heading: &str) -> String {
        self.column(heading)
            .and_then(|c| row.get(c))
            .cloned()
            .unwrap_or_default()
    }
}
