//! A commune's assessment report as an A4 PDF: what the commune reached, criterion by criterion,
//! and what is still missing. Vietnamese text uses the embedded Noto Sans (SIL Open Font License,
//! from Debian's fonts-noto-core; see assets/fonts/COPYRIGHT-noto.txt).

use std::io::{BufWriter, Cursor};

use printpdf::{IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference};
use xaso_domain::criteria::{Kind, NtmLevel, ReviewState, Status, Value};

use super::Assessment;
use crate::{Error, Result};

pub(crate) const REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const LEFT: f32 = 18.0;
const TOP: f32 = 280.0;
const BOTTOM: f32 = 18.0;

/// A level's Vietnamese name, for documents (spreadsheets and PDFs are Vietnamese only).
pub(crate) fn level_name(l: Option<NtmLevel>) -> &'static str {
    match l {
        Some(NtmLevel::Ntm) => "Đạt chuẩn NTM",
        Some(NtmLevel::NangCao) => "NTM nâng cao",
        Some(NtmLevel::KieuMau) => "NTM kiểu mẫu",
        Some(NtmLevel::HienDai) => "NTM hiện đại",
        None => "Chưa đạt chuẩn",
    }
}

/// A status in words, for documents: colour is never the only signal.
pub(crate) fn status_words(s: Status) -> &'static str {
    match s {
        Status::Met => "Đạt",
        Status::NotMet => "Chưa đạt",
        Status::NoThreshold => "Chưa có ngưỡng",
        Status::NoData => "Chưa có số liệu",
    }
}

/// In the PDF, "CHƯA ĐẠT" stands out in capitals (the font has no check marks).
fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotMet => "CHƯA ĐẠT",
        other => status_words(other),
    }
}

fn review_name(s: ReviewState) -> &'static str {
    match s {
        ReviewState::Draft => "Đang nhập",
        ReviewState::Submitted => "Đã gửi duyệt",
        ReviewState::Approved => "Đã phê duyệt (khóa số liệu)",
        ReviewState::Returned => "Bị trả lại",
    }
}

fn value_text(v: Option<Value>) -> String {
    match v {
        Some(Value::Judged(true)) => "Đạt".into(),
        Some(Value::Judged(false)) => "Không đạt".into(),
        Some(Value::Number(n)) => xaso_domain::text::number_vi(n),
        None => "—".into(),
    }
}

/// Writes lines of A4 text top-down, starting new pages as needed, with a footer on each page
/// (the criteria report, the ICT stocktake report).
pub(crate) struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
    page: u32,
    footer: String,
}

impl Writer {
    /// A document with its first page. `title` is metadata that printpdf writes unencoded, so
    /// it is folded to ASCII here.
    pub(crate) fn new(title: &str, footer: String) -> Result<Writer> {
        let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
        let title = xaso_domain::text::fold(title);
        let (doc, page, layer) = PdfDocument::new(&title, Mm(WIDTH), Mm(HEIGHT), "Noi dung");
        let regular = doc
            .add_external_font(Cursor::new(REGULAR))
            .map_err(pdf_err)?;
        let bold = doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?;
        let layer = doc.get_page(page).get_layer(layer);
        let w = Writer {
            doc,
            layer,
            regular,
            bold,
            y: TOP,
            page: 1,
            footer,
        };
        w.write_footer();
        Ok(w)
    }

    /// The finished document's bytes.
    pub(crate) fn finish(self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.doc
            .save(&mut BufWriter::new(&mut bytes))
            .map_err(|e| Error::Internal(format!("pdf: {e}")))?;
        Ok(bytes)
    }

    fn new_page(&mut self) {
        let (page, layer) = self.doc.add_page(Mm(WIDTH), Mm(HEIGHT), "Noi dung");
        self.layer = self.doc.get_page(page).get_layer(layer);
        self.page += 1;
        self.y = TOP;
        self.write_footer();
    }

    fn write_footer(&self) {
        let text = format!("{} · trang {}", self.footer, self.page);
        self.layer
            .use_text(text, 8.0, Mm(LEFT), Mm(10.0), &self.regular);
    }

    /// One paragraph, wrapped to the page width (widths estimated from the font size).
    pub(crate) fn text(&mut self, text: &str, size: f32, bold: bool, indent: f32) {
        let char_mm = size * 0.3528 * 0.52;
        let per_line = (((WIDTH - 2.0 * LEFT - indent) / char_mm) as usize).max(20);
        let line_height = size * 0.3528 * 1.45;
        for line in wrap(text, per_line) {
            if self.y - line_height < BOTTOM {
                self.new_page();
            }
            self.y -= line_height;
            let font = if bold { &self.bold } else { &self.regular };
            self.layer
                .use_text(line, size, Mm(LEFT + indent), Mm(self.y), font);
        }
    }

    pub(crate) fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }
}

fn wrap(text: &str, per_line: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > per_line {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// The report of one commune's year.
pub fn report(a: &Assessment, generated: &str) -> Result<Vec<u8>> {
    report_with_index(a, generated, &[])
}

/// The report with an index of evidence files: (indicator code, file name).
pub fn report_with_index(
    a: &Assessment,
    generated: &str,
    evidence: &[(String, String)],
) -> Result<Vec<u8>> {
    let mut w = Writer::new(
        &format!(
            "Xa So - bao cao tieu chi NTM {} - {}",
            a.year, a.unit.full_name
        ),
        format!(
            "Xã Số · {} · năm {} · lập lúc {generated}",
            a.unit.full_name, a.year
        ),
    )?;

    w.text(
        "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ NÔNG THÔN MỚI",
        14.0,
        true,
        0.0,
    );
    w.text(
        &format!("{} — năm {}", a.unit.full_name, a.year),
        13.0,
        true,
        0.0,
    );
    w.gap(3.0);
    let key = a
        .profile
        .as_ref()
        .map(|p| p.threshold_key.as_str())
        .unwrap_or("chưa khai báo");
    let target = level_name(a.profile.as_ref().and_then(|p| p.target));
    let target = if a.profile.as_ref().and_then(|p| p.target).is_none() {
        "chưa đặt"
    } else {
        target
    };
    w.text(
        &format!("Mã đơn vị: {} · Vùng / nhóm xã: {key}", a.unit.code),
        10.0,
        false,
        0.0,
    );
    w.text(
        &format!("Mức đạt: {} · Mục tiêu năm: {target}", level_name(a.level)),
        11.0,
        true,
        0.0,
    );
    w.text(
        &format!("Trạng thái số liệu: {}", review_name(a.review.state)),
        10.0,
        false,
        0.0,
    );
    for o in &a.sets {
        w.text(
            &format!(
                "{} (phiên bản {}): đạt {}/{} tiêu chí — {}",
                o.version.set.name_vi,
                o.version.version,
                o.result.criteria_met,
                o.result.criteria_total,
                status_name(o.result.status)
            ),
            10.0,
            false,
            0.0,
        );
    }
    for o in &a.sets {
        w.gap(4.0);
        w.text(&o.version.set.name_vi, 12.0, true, 0.0);
        w.text(
            &format!("Căn cứ: {}", o.version.set.decision),
            9.0,
            false,
            0.0,
        );
        let key = a
            .profile
            .as_ref()
            .map(|p| p.threshold_key.as_str())
            .unwrap_or("");
        for (c, cr) in o.version.set.criteria.iter().zip(&o.result.criteria) {
            w.gap(1.5);
            w.text(
                &format!(
                    "Tiêu chí {}. {} — {}",
                    c.no,
                    c.name_vi,
                    status_name(cr.status)
                ),
                10.0,
                true,
                0.0,
            );
            for (i, ir) in c.indicators.iter().zip(&cr.indicators) {
                let threshold = match (i.kind, i.threshold(key, a.year)) {
                    (Kind::Judged, _) => "Đạt".to_string(),
                    (_, None) => "chưa có ngưỡng".to_string(),
                    (Kind::AtLeast | Kind::PercentAtLeast, Some(t)) => {
                        format!("tối thiểu {}", xaso_domain::text::number_vi(t))
                    }
                    (_, Some(t)) => format!("tối đa {}", xaso_domain::text::number_vi(t)),
                };
                w.text(
                    &format!(
                        "{} {} · giá trị: {} · ngưỡng: {threshold} · {}",
                        i.code,
                        i.name_vi,
                        value_text(ir.value),
                        status_name(ir.status)
                    ),
                    9.0,
                    false,
                    5.0,
                );
            }
        }
    }
    let gaps = super::gaps(a);
    w.gap(4.0);
    w.text(
        &format!("Chỉ tiêu còn thiếu ({})", gaps.len()),
        12.0,
        true,
        0.0,
    );
    if gaps.is_empty() {
        w.text("Không còn chỉ tiêu nào thiếu.", 10.0, false, 0.0);
    }
    for g in &gaps {
        let distance = g
            .distance
            .map(|d| format!(" · còn thiếu {}", xaso_domain::text::number_vi(d.abs())))
            .unwrap_or_default();
        w.text(
            &format!(
                "{} {} · giá trị: {}{distance} · {}",
                g.code,
                g.name_vi,
                value_text(g.value),
                status_name(g.status)
            ),
            9.0,
            false,
            5.0,
        );
    }
    if !evidence.is_empty() {
        w.gap(4.0);
        w.text(
            &format!("Danh mục minh chứng ({} tệp)", evidence.len()),
            12.0,
            true,
            0.0,
        );
        for (code, name) in evidence {
            w.text(&format!("Chỉ tiêu {code}: {name}"), 9.0, false, 5.0);
        }
    }
    w.finish()
}
