//! The DT plan report: a workbook the province designs (its own layout, fonts, logos, signature
//! blocks) with placeholders in cells, filled with a commune's plan. The template is a file: the
//! one shipped in `data/dt/` until the province uploads its own.
//!
//! Placeholders (docs/DT-REPORT-TEMPLATE.md lists them all):
//! - `{{xa}}`, `{{ma_xa}}`, `{{nam}}`, `{{ngay_lap}}`, `{{dat}}` anywhere in a cell's text;
//! - `{{KEY.ke_hoach}}`, `{{KEY.thuc_hien}}`, `{{KEY.ty_le}}`, `{{KEY.ten}}`, `{{KEY.don_vi}}`,
//!   `{{KEY.nguon}}` for one indicator of the catalogue;
//! - a row holding `{{ct.…}}` is repeated once per indicator (`ct.stt`, `ct.ma`, `ct.ten`,
//!   `ct.don_vi`, `ct.ke_hoach`, `ct.thuc_hien`, `ct.ty_le`, `ct.nguon`), a row holding
//!   `{{ap.…}}` once per village (`ap.stt`, `ap.ma`, `ap.ten`, `ap.KEY.ke_hoach`,
//!   `ap.KEY.thuc_hien`); rows below move down, and so do merged cells.
//!
//! A cell holding only one placeholder of a number becomes a number (its style kept); everything
//! else is text. Formulas are kept and recalculated when the workbook opens.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use xaso_domain::dt::plan::format_number;
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{edits_catalogue, plan, Cell, Plan, Source};
use crate::catalogue::{Upload, MAX_UPLOAD_BYTES};
use crate::{Actor, Error, Result};

/// The template shipped with Xã Số (made by `scripts/dt-report-template.py`).
pub const DEFAULT_TEMPLATE: &[u8] =
    include_bytes!("../../../../../data/dt/bao-cao-ke-hoach-cds.xlsx");
/// The setting holding the object key of the province's own template.
const SETTING: &str = "dt.report_template";

/// A value put into a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Fill {
    Text(String),
    Number(f64),
    Empty,
}

impl Fill {
    fn as_text(&self) -> String {
        match self {
            Fill::Text(t) => t.clone(),
            Fill::Number(n) => format_number(*n),
            Fill::Empty => String::new(),
        }
    }
}

/// What a template is filled with: values for the whole workbook, and one map per repeated row.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub scalars: HashMap<String, Fill>,
    /// One map per indicator (keys without the `ct.` prefix).
    pub indicators: Vec<HashMap<String, Fill>>,
    /// One map per village (keys without the `ap.` prefix).
    pub villages: Vec<HashMap<String, Fill>>,
}

fn opt(n: Option<f64>) -> Fill {
    n.map(Fill::Number).unwrap_or(Fill::Empty)
}

fn source_text(c: &Cell) -> String {
    match &c.source {
        Source::Computed { as_of } => {
            format!("Tính từ dữ liệu Xã Số ngày {}", as_of.format("%d/%m/%Y"))
        }
        Source::Entered { evidence, .. } => evidence.clone(),
        Source::Missing => "Chưa nhập".into(),
    }
}

/// The data of a commune's plan, as placeholders name it.
pub fn data_of(p: &Plan) -> Data {
    let mut d = Data::default();
    let s = &mut d.scalars;
    s.insert("xa".into(), Fill::Text(p.commune.full_name.clone()));
    s.insert("ma_xa".into(), Fill::Text(p.commune.code.clone()));
    s.insert("nam".into(), Fill::Text(p.year.to_string()));
    s.insert(
        "ngay_lap".into(),
        Fill::Text(super::today().format("%d/%m/%Y").to_string()),
    );
    let (met, with) = p.met_count();
    s.insert("dat".into(), Fill::Text(format!("{met}/{with}")));
    for (n, (def, c)) in p.indicators.iter().zip(&p.cells).enumerate() {
        let progress = c.progress().map(|v| (v * 10.0).round() / 10.0);
        let fields = [
            ("ten", Fill::Text(def.name_vi.clone())),
            ("don_vi", Fill::Text(def.unit.clone())),
            ("ke_hoach", opt(c.target)),
            ("thuc_hien", opt(c.actual)),
            ("ty_le", opt(progress)),
            ("nguon", Fill::Text(source_text(c))),
        ];
        let mut row = HashMap::new();
        row.insert("stt".into(), Fill::Number((n + 1) as f64));
        row.insert("ma".into(), Fill::Text(def.key.clone()));
        for (name, v) in fields {
            s.insert(format!("{}.{name}", def.key), v.clone());
            row.insert(name.to_string(), v);
        }
        d.indicators.push(row);
    }
    for (n, (v, cells)) in p.villages.iter().enumerate() {
        let mut row = HashMap::new();
        row.insert("stt".into(), Fill::Number((n + 1) as f64));
        row.insert("ma".into(), Fill::Text(v.code.clone()));
        row.insert("ten".into(), Fill::Text(v.name.clone()));
        for (def, c) in p.indicators.iter().zip(cells) {
            row.insert(format!("{}.ke_hoach", def.key), opt(c.target));
            row.insert(format!("{}.thuc_hien", def.key), opt(c.actual));
        }
        d.villages.push(row);
    }
    d
}

/// The template in use: the province's upload, or the shipped one (`false`).
pub async fn template(store: &Store, files: &Files) -> Result<(Vec<u8>, bool)> {
    let key = {
        let mut conn = store.read().await?;
        xaso_storage::settings::get(&mut conn, SETTING).await?
    };
    match key {
        Some(k) => Ok((
            files
                .get(&k)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?,
            true,
        )),
        None => Ok((DEFAULT_TEMPLATE.to_vec(), false)),
    }
}

/// Replaces the template with the province's own (catalogue editors only). The file must be an
/// .xlsx workbook whose placeholders are all known; it is tried on a sample first. Audited.
pub async fn set_template(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    upload: Upload,
) -> Result<()> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    if !edits_catalogue(store, Some(actor)).await? {
        return Err(Error::Forbidden);
    }
    if upload.bytes.is_empty() {
        return Err(Error::invalid("file", "choose the file to upload"));
    }
    if upload.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid("file", "the workbook is larger than 20 MB"));
    }
    let sample = sample(store).await?;
    let (_, unknown) = fill(&upload.bytes, &sample)
        .map_err(|e| Error::invalid("file", format!("not an .xlsx workbook: {e}")))?;
    if !unknown.is_empty() {
        return Err(Error::Invalid(
            unknown
                .into_iter()
                .map(|(at, name)| {
                    crate::error::Problem::new(
                        "file",
                        format!("{at}: unknown placeholder {{{{{name}}}}}"),
                    )
                })
                .collect(),
        ));
    }
    let key = format!("dt-templates/{}.xlsx", xaso_storage::new_id());
    files
        .put(&key, upload.bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let before = xaso_storage::settings::get(tx.conn(), SETTING).await?;
    xaso_storage::settings::set(tx.conn(), SETTING, &key).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "dt_report_template",
            record_id: SETTING,
            unit_id: None,
            before: before.as_ref().map(|b| serde_json::json!({"object": b})),
            after: Some(serde_json::json!({"object": key, "name": upload.name})),
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(old) = before {
        let _ = files.delete(&old).await;
    }
    Ok(())
}

/// Data with every placeholder the catalogue knows, for checking an uploaded template.
async fn sample(store: &Store) -> Result<Data> {
    let indicators = super::active(store).await?;
    let mut d = Data::default();
    for k in ["xa", "ma_xa", "nam", "ngay_lap", "dat"] {
        d.scalars.insert(k.into(), Fill::Text(k.into()));
    }
    let mut row = HashMap::new();
    let mut village = HashMap::new();
    for k in [
        "stt",
        "ma",
        "ten",
        "don_vi",
        "ke_hoach",
        "thuc_hien",
        "ty_le",
        "nguon",
    ] {
        row.insert(k.to_string(), Fill::Empty);
    }
    for k in ["stt", "ma", "ten"] {
        village.insert(k.to_string(), Fill::Empty);
    }
    for i in &indicators {
        for f in ["ten", "don_vi", "ke_hoach", "thuc_hien", "ty_le", "nguon"] {
            d.scalars.insert(format!("{}.{f}", i.key), Fill::Empty);
        }
        for f in ["ke_hoach", "thuc_hien"] {
            village.insert(format!("{}.{f}", i.key), Fill::Empty);
        }
    }
    d.indicators.push(row);
    d.villages.push(village);
    Ok(d)
}

/// A commune's plan report for a year: (file name, bytes).
pub async fn commune_report(
    store: &Store,
    files: &Files,
    code: &str,
    year: i32,
) -> Result<(String, Vec<u8>)> {
    let p = plan(store, code, year).await?;
    let (template, _) = template(store, files).await?;
    let (bytes, _) = fill(&template, &data_of(&p))
        .map_err(|e| Error::Internal(format!("the report template cannot be filled: {e}")))?;
    Ok((
        format!("ke-hoach-cds-{}-{year}.xlsx", p.commune.code),
        bytes,
    ))
}

type Unknown = Vec<(String, String)>;

/// Fills a template workbook. Returns the new workbook and the placeholders nobody knows (with
/// the sheet and cell where they are).
pub fn fill(template: &[u8], data: &Data) -> std::result::Result<(Vec<u8>, Unknown), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(template)).map_err(|e| e.to_string())?;
    let strings = match zip.by_name("xl/sharedStrings.xml") {
        Ok(mut f) => {
            let mut xml = String::new();
            f.read_to_string(&mut xml).map_err(|e| e.to_string())?;
            shared_strings(&xml)?
        }
        Err(_) => Vec::new(),
    };
    let names = sheet_names(&mut zip);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut unknown = Vec::new();
    let mut sheets = 0;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zip.len() {
        let name = zip
            .by_index_raw(i)
            .map_err(|e| e.to_string())?
            .name()
            .map_err(|e| e.to_string())?
            .to_string();
        if name == "xl/calcChain.xml" {
            // Cell positions move: Excel rebuilds the chain.
            continue;
        }
        let edit = name.starts_with("xl/worksheets/sheet") && name.ends_with(".xml")
            || name == "xl/workbook.xml"
            || name == "[Content_Types].xml"
            || name == "xl/_rels/workbook.xml.rels";
        if !edit {
            let f = zip.by_index_raw(i).map_err(|e| e.to_string())?;
            out.raw_copy_file(f).map_err(|e| e.to_string())?;
            continue;
        }
        let mut xml = String::new();
        zip.by_index(i)
            .map_err(|e| e.to_string())?
            .read_to_string(&mut xml)
            .map_err(|e| e.to_string())?;
        let new = if name.starts_with("xl/worksheets/") {
            sheets += 1;
            let sheet = names.get(&name).cloned().unwrap_or_else(|| {
                name.trim_start_matches("xl/worksheets/")
                    .trim_end_matches(".xml")
                    .to_string()
            });
            let (xml, missing) = fill_sheet(&xml, &strings, data)?;
            unknown.extend(
                missing
                    .into_iter()
                    .map(|(at, n)| (format!("{sheet}!{at}"), n)),
            );
            xml
        } else if name == "xl/workbook.xml" {
            // Formulas are worked out again when the workbook opens.
            if xml.contains("fullCalcOnLoad") {
                xml
            } else {
                xml.replacen("<calcPr", "<calcPr fullCalcOnLoad=\"1\"", 1)
            }
        } else {
            drop_element_mentioning(&xml, "calcChain")
        };
        out.start_file(name, options).map_err(|e| e.to_string())?;
        out.write_all(new.as_bytes()).map_err(|e| e.to_string())?;
    }
    if sheets == 0 {
        return Err("the workbook has no worksheet".into());
    }
    let bytes = out.finish().map_err(|e| e.to_string())?.into_inner();
    Ok((bytes, unknown))
}

/// The names people see for each worksheet part ("xl/worksheets/sheet1.xml" → "Bao cao"), read
/// from the workbook and its relationships; empty when they cannot be read.
fn sheet_names(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> HashMap<String, String> {
    let mut read = |name: &str| -> String {
        let mut xml = String::new();
        if let Ok(mut f) = zip.by_name(name) {
            let _ = f.read_to_string(&mut xml);
        }
        xml
    };
    let (workbook, rels) = (read("xl/workbook.xml"), read("xl/_rels/workbook.xml.rels"));
    let elements = |xml: &str, tag: &str| -> Vec<HashMap<String, String>> {
        let mut reader = Reader::from_str(xml);
        let mut out = Vec::new();
        while let Ok(e) = reader.read_event() {
            match e {
                Event::Eof => break,
                Event::Start(s) | Event::Empty(s) if s.local_name().as_ref() == tag => out.push(
                    s.attributes()
                        .flatten()
                        .filter_map(|a| {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()?;
                            Some((a.key.local_name().as_ref().to_string(), v.into_owned()))
                        })
                        .collect(),
                ),
                _ => {}
            }
        }
        out
    };
    let targets: HashMap<String, String> = elements(&rels, "Relationship")
        .into_iter()
        .filter_map(|a| {
            let target = a.get("Target")?.trim_start_matches('/');
            let part = if target.starts_with("xl/") {
                target.to_string()
            } else {
                format!("xl/{target}")
            };
            Some((a.get("Id")?.clone(), part))
        })
        .collect();
    elements(&workbook, "sheet")
        .into_iter()
        .filter_map(|a| Some((targets.get(a.get("id")?)?.clone(), a.get("name")?.clone())))
        .collect()
}

/// Removes every empty element (`<… />`) whose text mentions `needle`.
fn drop_element_mentioning(xml: &str, needle: &str) -> String {
    let mut out = xml.to_string();
    while let Some(at) = out.find(needle) {
        let start = out[..at].rfind('<').unwrap_or(at);
        let end = out[at..]
            .find("/>")
            .map(|e| at + e + 2)
            .unwrap_or(out.len());
        out.replace_range(start..end, "");
    }
    out
}

/// Reads the text of a general reference (`&amp;`, `&#233;`) inside text.
fn reference(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match &**r {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_string()
}

/// The shared strings table: each `<si>`'s text (rich-text runs joined, phonetic runs left out).
fn shared_strings(xml: &str) -> std::result::Result<Vec<String>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let (mut current, mut in_t, mut in_phonetic) = (String::new(), false, false);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => current.clear(),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "si" => out.push(std::mem::take(&mut current)),
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Event::Text(t) if in_t && !in_phonetic => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_t && !in_phonetic => current.push_str(&reference(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// "B12" → ("B", 12).
fn split_ref(r: &str) -> (String, u32) {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row = r[letters.len()..].parse().unwrap_or(0);
    (letters, row)
}

/// One cell of a row: its start tag and everything inside it.
struct CellXml {
    start: BytesStart<'static>,
    inner: Vec<Event<'static>>,
}

impl CellXml {
    /// The cell's text when it holds a string (shared or inline), not a formula's result.
    fn text(&self, strings: &[String]) -> Option<String> {
        match attr(&self.start, "t").as_deref() {
            Some("s") => {
                let mut in_v = false;
                for e in &self.inner {
                    match e {
                        Event::Start(s) if s.local_name().as_ref() == "v" => in_v = true,
                        Event::End(s) if s.local_name().as_ref() == "v" => in_v = false,
                        Event::Text(t) if in_v => {
                            return t
                                .xml10_content()
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| strings.get(i).cloned())
                        }
                        _ => {}
                    }
                }
                None
            }
            Some("inlineStr") => {
                let (mut text, mut in_t) = (String::new(), false);
                for e in &self.inner {
                    match e {
                        Event::Start(s) if s.local_name().as_ref() == "t" => in_t = true,
                        Event::End(s) if s.local_name().as_ref() == "t" => in_t = false,
                        Event::Text(t) if in_t => text.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) if in_t => text.push_str(&reference(r)),
                        _ => {}
                    }
                }
                Some(text)
            }
            _ => None,
        }
    }
}

/// The names of the `{{…}}` placeholders in a text.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        match rest[open + 2..].find("}}") {
            Some(close) => {
                out.push(rest[open + 2..open + 2 + close].trim().to_string());
                rest = &rest[open + 2 + close + 2..];
            }
            None => break,
        }
    }
    out
}

/// What a row repeats over.
#[derive(Clone, Copy, PartialEq)]
enum Repeat {
    Once,
    Indicators,
    Villages,
}

fn lookup<'a>(
    name: &str,
    data: &'a Data,
    item: Option<&'a HashMap<String, Fill>>,
) -> Option<&'a Fill> {
    match name
        .strip_prefix("ct.")
        .or_else(|| name.strip_prefix("ap."))
    {
        Some(rest) => item.and_then(|m| m.get(rest)),
        None => data.scalars.get(name),
    }
}

/// Whether a placeholder names something the data can hold (an indicator row's or a village
/// row's field counts even when there are no rows).
fn known(name: &str, data: &Data) -> bool {
    if let Some(rest) = name.strip_prefix("ct.") {
        return data.indicators.first().is_none_or(|m| m.contains_key(rest));
    }
    if let Some(rest) = name.strip_prefix("ap.") {
        return data.villages.first().is_none_or(|m| m.contains_key(rest));
    }
    data.scalars.contains_key(name)
}

struct SheetFill<'a> {
    strings: &'a [String],
    data: &'a Data,
    /// (original row, rows added after it), in order.
    added: Vec<(u32, u32)>,
    unknown: Unknown,
}

impl SheetFill<'_> {
    /// Where an original row lands after the rows above it were repeated.
    fn moved(&self, row: u32) -> u32 {
        row + self
            .added
            .iter()
            .filter(|(r, _)| *r < row)
            .map(|(_, n)| n)
            .sum::<u32>()
    }

    fn moved_ref(&self, r: &str) -> String {
        r.split(':')
            .map(|part| {
                let (col, row) = split_ref(part);
                if row == 0 {
                    part.to_string()
                } else {
                    format!("{col}{}", self.moved(row))
                }
            })
            .collect::<Vec<_>>()
            .join(":")
    }

    fn write_row(
        &mut self,
        w: &mut Writer<Vec<u8>>,
        row: BytesStart<'static>,
        inner: Vec<Event<'static>>,
        implicit: u32,
    ) -> std::result::Result<u32, String> {
        let original = attr(&row, "r")
            .and_then(|r| r.parse().ok())
            .unwrap_or(implicit);
        // Split the row's content into cells (anything between them is kept in place).
        let mut parts: Vec<std::result::Result<CellXml, Event<'static>>> = Vec::new();
        let mut current: Option<CellXml> = None;
        for e in inner {
            match (&mut current, e) {
                (None, Event::Start(s)) if s.local_name().as_ref() == "c" => {
                    current = Some(CellXml {
                        start: s,
                        inner: Vec::new(),
                    })
                }
                (None, Event::Empty(s)) if s.local_name().as_ref() == "c" => {
                    parts.push(Ok(CellXml {
                        start: s,
                        inner: Vec::new(),
                    }))
                }
                (Some(_), Event::End(s)) if s.local_name().as_ref() == "c" => {
                    parts.push(Ok(current.take().expect("inside a cell")))
                }
                (Some(c), e) => c.inner.push(e),
                (None, e) => parts.push(Err(e)),
            }
        }
        let texts: Vec<Option<String>> = parts
            .iter()
            .map(|p| p.as_ref().ok().and_then(|c| c.text(self.strings)))
            .collect();
        let names: Vec<String> = texts
            .iter()
            .flatten()
            .flat_map(|t| placeholders(t))
            .collect();
        let ct = names.iter().any(|n| n.starts_with("ct."));
        let ap = names.iter().any(|n| n.starts_with("ap."));
        let repeat = match (ct, ap) {
            (true, true) => {
                return Err(format!(
                    "row {original} mixes {{{{ct.…}}}} and {{{{ap.…}}}} placeholders"
                ))
            }
            (true, false) => Repeat::Indicators,
            (false, true) => Repeat::Villages,
            _ => Repeat::Once,
        };
        for (p, text) in parts.iter().zip(&texts) {
            if let (Ok(c), Some(t)) = (p, text) {
                for n in placeholders(t) {
                    if !known(&n, self.data) {
                        let at = attr(&c.start, "r").unwrap_or_default();
                        self.unknown.push((at, n));
                    }
                }
            }
        }
        let items: Vec<Option<&HashMap<String, Fill>>> = match repeat {
            Repeat::Once => vec![None],
            Repeat::Indicators => self.data.indicators.iter().map(Some).collect(),
            Repeat::Villages => self.data.villages.iter().map(Some).collect(),
        };
        // No indicator or village: the row stays once, its placeholders empty.
        let items = if items.is_empty() { vec![None] } else { items };
        let first = self.moved(original);
        for (k, item) in items.iter().enumerate() {
            let number = first + k as u32;
            let mut start = BytesStart::new("row");
            for a in row.attributes().flatten() {
                if a.key.local_name().as_ref() != "r" {
                    start.push_attribute(a);
                }
            }
            start.push_attribute(("r", number.to_string().as_str()));
            w.write_event(Event::Start(start))
                .map_err(|e| e.to_string())?;
            for (p, text) in parts.iter().zip(&texts) {
                match p {
                    Err(e) => w.write_event(e.clone()).map_err(|e| e.to_string())?,
                    Ok(c) => self.write_cell(w, c, text.as_deref(), number, *item)?,
                }
            }
            w.write_event(Event::End(BytesEnd::new("row")))
                .map_err(|e| e.to_string())?;
        }
        if items.len() > 1 {
            self.added.push((original, items.len() as u32 - 1));
        }
        Ok(original)
    }

    fn write_cell(
        &self,
        w: &mut Writer<Vec<u8>>,
        c: &CellXml,
        text: Option<&str>,
        row: u32,
        item: Option<&HashMap<String, Fill>>,
    ) -> std::result::Result<(), String> {
        let new_ref = attr(&c.start, "r").map(|r| format!("{}{row}", split_ref(&r).0));
        let mut start = BytesStart::new("c");
        let names = text.map(placeholders).unwrap_or_default();
        let filling = !names.is_empty();
        for a in c.start.attributes().flatten() {
            let key = a.key.local_name();
            if key.as_ref() == "r" || (filling && key.as_ref() == "t") {
                continue;
            }
            start.push_attribute(a);
        }
        if let Some(r) = &new_ref {
            start.push_attribute(("r", r.as_str()));
        }
        if !filling {
            if c.inner.is_empty() {
                w.write_event(Event::Empty(start))
                    .map_err(|e| e.to_string())?;
            } else {
                w.write_event(Event::Start(start))
                    .map_err(|e| e.to_string())?;
                for e in &c.inner {
                    w.write_event(e.clone()).map_err(|e| e.to_string())?;
                }
                w.write_event(Event::End(BytesEnd::new("c")))
                    .map_err(|e| e.to_string())?;
            }
            return Ok(());
        }
        let text = text.unwrap_or_default();
        // One placeholder alone in the cell keeps its type: a number stays a number.
        if names.len() == 1 && text.trim() == format!("{{{{{}}}}}", names[0]) {
            match lookup(&names[0], self.data, item) {
                Some(Fill::Number(n)) => {
                    w.write_event(Event::Start(start))
                        .map_err(|e| e.to_string())?;
                    w.write_event(Event::Start(BytesStart::new("v")))
                        .map_err(|e| e.to_string())?;
                    w.write_event(Event::Text(BytesText::new(&n.to_string())))
                        .map_err(|e| e.to_string())?;
                    w.write_event(Event::End(BytesEnd::new("v")))
                        .map_err(|e| e.to_string())?;
                    w.write_event(Event::End(BytesEnd::new("c")))
                        .map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Some(Fill::Empty) | None => {
                    w.write_event(Event::Empty(start))
                        .map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Some(Fill::Text(_)) => {}
            }
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            let Some(close) = rest[open + 2..].find("}}") else {
                break;
            };
            out.push_str(&rest[..open]);
            let name = rest[open + 2..open + 2 + close].trim();
            if let Some(v) = lookup(name, self.data, item) {
                out.push_str(&v.as_text());
            }
            rest = &rest[open + 2 + close + 2..];
        }
        out.push_str(rest);
        start.push_attribute(("t", "inlineStr"));
        w.write_event(Event::Start(start))
            .map_err(|e| e.to_string())?;
        w.write_event(Event::Start(BytesStart::new("is")))
            .map_err(|e| e.to_string())?;
        let mut t = BytesStart::new("t");
        t.push_attribute(("xml:space", "preserve"));
        w.write_event(Event::Start(t)).map_err(|e| e.to_string())?;
        w.write_event(Event::Text(BytesText::new(&out)))
            .map_err(|e| e.to_string())?;
        w.write_event(Event::End(BytesEnd::new("t")))
            .map_err(|e| e.to_string())?;
        w.write_event(Event::End(BytesEnd::new("is")))
            .map_err(|e| e.to_string())?;
        w.write_event(Event::End(BytesEnd::new("c")))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Fills one worksheet: placeholders replaced, repeated rows written, rows and merged cells
/// below them moved down.
fn fill_sheet(
    xml: &str,
    strings: &[String],
    data: &Data,
) -> std::result::Result<(String, Unknown), String> {
    let mut reader = Reader::from_str(xml);
    let mut w = Writer::new(Vec::new());
    let mut f = SheetFill {
        strings,
        data,
        added: Vec::new(),
        unknown: Vec::new(),
    };
    let mut last_row = 0;
    loop {
        let e = reader.read_event().map_err(|e| e.to_string())?.into_owned();
        match e {
            Event::Eof => break,
            Event::Start(s) if s.local_name().as_ref() == "row" => {
                let mut inner = Vec::new();
                loop {
                    match reader.read_event().map_err(|e| e.to_string())?.into_owned() {
                        Event::End(end) if end.local_name().as_ref() == "row" => break,
                        Event::Eof => return Err("a row is not closed".into()),
                        other => inner.push(other),
                    }
                }
                last_row = f.write_row(&mut w, s, inner, last_row + 1)?;
            }
            Event::Empty(s) if s.local_name().as_ref() == "row" => {
                last_row = f.write_row(&mut w, s, Vec::new(), last_row + 1)?;
            }
            // The used range is worked out again by Excel; a stale one would cut rows off.
            Event::Empty(s) if s.local_name().as_ref() == "dimension" => {}
            Event::Empty(s) if s.local_name().as_ref() == "mergeCell" => {
                let mut m = BytesStart::new("mergeCell");
                for a in s.attributes().flatten() {
                    if a.key.local_name().as_ref() == "ref" {
                        let r = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?;
                        m.push_attribute(("ref", f.moved_ref(&r).as_str()));
                    } else {
                        m.push_attribute(a);
                    }
                }
                w.write_event(Event::Empty(m)).map_err(|e| e.to_string())?;
            }
            other => w.write_event(other).map_err(|e| e.to_string())?,
        }
    }
    let out = String::from_utf8(w.into_inner()).map_err(|e| e.to_string())?;
    Ok((out, f.unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            placeholders("Năm {{nam}} — {{ xa }}"),
            vec!["nam".to_string(), "xa".to_string()]
        );
        assert!(placeholders("no braces {{ here").is_empty());
    }

    #[test]
    fn references_move_down() {
        let data = Data::default();
        let mut f = SheetFill {
            strings: &[],
            data: &data,
            added: vec![(5, 3)],
            unknown: Vec::new(),
        };
        assert_eq!(f.moved_ref("A4:C4"), "A4:C4");
        assert_eq!(f.moved_ref("A6:C7"), "A9:C10");
        f.added.push((9, 1));
        assert_eq!(f.moved(10), 14);
    }

    fn row(pairs: &[(&str, Fill)]) -> HashMap<String, Fill> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn the_shipped_template_fills_with_rows_repeated() {
        use calamine::{open_workbook_from_rs, Data as Cell, Reader, Xlsx};
        let mut d = Data::default();
        d.scalars
            .insert("xa".into(), Fill::Text("Xã Đức Hòa & Co".into()));
        for k in ["ma_xa", "nam", "ngay_lap", "dat"] {
            d.scalars.insert(k.into(), Fill::Text(format!("<{k}>")));
        }
        for n in 1..=3 {
            d.indicators.push(row(&[
                ("stt", Fill::Number(n as f64)),
                ("ten", Fill::Text(format!("Chỉ tiêu {n}"))),
                ("don_vi", Fill::Text("người".into())),
                ("ke_hoach", Fill::Number(100.0 * n as f64)),
                ("thuc_hien", Fill::Number(90.5)),
                ("ty_le", Fill::Empty),
                ("nguon", Fill::Text("Báo cáo số 1".into())),
            ]));
        }
        for name in ["Ấp 1", "Ấp 2"] {
            let mut r = row(&[("stt", Fill::Number(1.0)), ("ten", Fill::Text(name.into()))]);
            r.insert("members_trained.ke_hoach".into(), Fill::Number(6.0));
            r.insert("members_trained.thuc_hien".into(), Fill::Number(5.0));
            d.villages.push(r);
        }
        let (bytes, unknown) = fill(DEFAULT_TEMPLATE, &d).expect("fills");
        // The village sheet also names indicators this data leaves out: reported, left empty.
        assert!(
            unknown.iter().all(|(at, _)| at.starts_with("Theo ap!")),
            "{unknown:?}"
        );
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx");
        let sheet = wb.worksheet_range("Ke hoach CDS").expect("sheet");
        let at = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Cell::Empty);
        assert_eq!(at(0, 0), Cell::String("UBND Xã Đức Hòa & Co".into()));
        assert_eq!(at(7, 1), Cell::String("Chỉ tiêu 1".into()));
        assert_eq!(at(9, 1), Cell::String("Chỉ tiêu 3".into()));
        assert_eq!(at(9, 3), Cell::Float(300.0));
        assert_eq!(at(8, 4), Cell::Float(90.5));
        assert_eq!(at(8, 5), Cell::Empty);
        // The line below the table moved down by the two added rows.
        assert_eq!(
            at(11, 0),
            Cell::String("Số chỉ tiêu đạt kế hoạch / có kế hoạch: <dat>".into())
        );
        let merged = wb
            .merge_cells_by_sheet_name("Ke hoach CDS")
            .expect("merges");
        assert!(
            merged
                .iter()
                .any(|m| m.start == (11, 0) && m.end == (11, 6)),
            "{merged:?}"
        );
        let villages = wb.worksheet_range("Theo ap").expect("sheet");
        let v = |r: u32, c: u32| villages.get_value((r, c)).cloned().unwrap_or(Cell::Empty);
        assert_eq!(v(4, 1), Cell::String("Ấp 1".into()));
        assert_eq!(v(5, 1), Cell::String("Ấp 2".into()));
        assert_eq!(v(5, 2), Cell::Float(6.0));
        assert_eq!(v(5, 3), Cell::Float(5.0));
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused() {
        assert!(fill(b"not a zip", &Data::default()).is_err());
    }
}
