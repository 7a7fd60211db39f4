//! The QR poster of a relic, A4 or A5 portrait: rank, name in Vietnamese and English, a large
//! QR code (the permanent `/q/` URL of the relic), what to do with it in both languages, the
//! digital address and the recognising decision. Drawn as vectors, so it prints sharp at any
//! size on an ordinary printer.

use std::io::{BufWriter, Cursor};

use printpdf::{Color, Mm, PdfDocument, Rgb};
use xaso_domain::heritage::{self as dom, Rank};
use xaso_domain::places::PlaceKind;
use xaso_storage::Store;

use crate::criteria::pdf::{BOLD, REGULAR};
use crate::qr::{self, TargetType};
use crate::{Actor, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    A4,
    A5,
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Some(Size::A4),
            "a5" => Some(Size::A5),
            _ => None,
        }
    }

    fn mm(self) -> (f32, f32) {
        match self {
            Size::A4 => (210.0, 297.0),
            Size::A5 => (148.0, 210.0),
        }
    }
}

pub fn rank_vi(r: Rank) -> &'static str {
    match r {
        Rank::SpecialNational => "DI TÍCH QUỐC GIA ĐẶC BIỆT",
        Rank::National => "DI TÍCH QUỐC GIA",
        Rank::Provincial => "DI TÍCH CẤP TỈNH",
        Rank::Listed => "DI TÍCH LỊCH SỬ – VĂN HÓA",
    }
}

pub fn rank_en(r: Rank) -> &'static str {
    match r {
        Rank::SpecialNational => "Special national relic",
        Rank::National => "National relic",
        Rank::Provincial => "Provincial relic",
        Rank::Listed => "Historical and cultural site",
    }
}

/// The poster of a relic. Staff of its unit only (it makes the relic's QR code on first use).
pub async fn pdf(
    store: &Store,
    actor: Option<&Actor>,
    place_id: &str,
    size: Size,
    base_url: &str,
) -> Result<Vec<u8>> {
    let (row, target, actor) = crate::places::writable(store, actor, place_id).await?;
    if row.kind != PlaceKind::Relic.as_str() {
        return Err(Error::invalid("kind", "posters are printed for relics"));
    }
    let h = super::heritage(store, Some(&actor), place_id).await?;
    let code = qr::code_for(store, &actor, TargetType::Place, place_id, Some(&target)).await?;
    let url = format!("{}/q/{}", base_url.trim_end_matches('/'), code.token);
    render(&h, size, &url)
}

fn render(h: &super::Heritage, size: Size, url: &str) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (w, ht) = size.mm();
    // Everything is laid out for A4 and scaled for A5.
    let s = w / 210.0;
    let (doc, page, layer) = PdfDocument::new("Xa So - ap phich di tich", Mm(w), Mm(ht), "Poster");
    let regular = doc
        .add_external_font(Cursor::new(REGULAR))
        .map_err(pdf_err)?;
    let bold = doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?;
    let layer = doc.get_page(page).get_layer(layer);
    let black = Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None));
    let red = Color::Rgb(Rgb::new(0.6, 0.1, 0.1, None));
    let grey = Color::Rgb(Rgb::new(0.3, 0.3, 0.3, None));
    let left = 18.0 * s;
    let mut y = ht - 24.0 * s;
    let text = |t: &str, size_pt: f32, x: f32, y: f32, f: &printpdf::IndirectFontRef| {
        layer.use_text(t, size_pt * s, Mm(x), Mm(y), f);
    };
    let (rank, decision) = match &h.relic {
        Some(r) => (r.rank, r.decision.clone()),
        None => (Rank::Listed, String::new()),
    };
    let vi = h
        .relic
        .as_ref()
        .and_then(|r| r.texts.get("vi").cloned())
        .unwrap_or_default();
    let en = h.relic.as_ref().and_then(|r| r.texts.get("en").cloned());
    let name_vi = if vi.name.is_empty() {
        h.place.name.clone()
    } else {
        vi.name.clone()
    };
    layer.set_fill_color(red.clone());
    text(rank_vi(rank), 16.0, left, y, &bold);
    y -= 7.0 * s;
    layer.set_fill_color(grey.clone());
    text(rank_en(rank), 11.0, left, y, &regular);
    y -= 13.0 * s;
    layer.set_fill_color(black.clone());
    for line in dom::wrap(&name_vi, 34).iter().take(3) {
        text(line, 24.0, left, y, &bold);
        y -= 10.5 * s;
    }
    if let Some(en) = &en {
        for line in dom::wrap(&en.name, 48).iter().take(2) {
            layer.set_fill_color(grey.clone());
            text(line, 14.0, left, y, &regular);
            y -= 6.5 * s;
        }
    }
    // The QR code, centred, as large as the page allows.
    let qr_size = 105.0 * s;
    let qx = (w - qr_size) / 2.0;
    let qy = y - 6.0 * s - qr_size;
    crate::qr::draw_pdf(&layer, url, qx, qy, qr_size)?;
    y = qy - 10.0 * s;
    layer.set_fill_color(black.clone());
    text(
        "Quét mã để đọc giới thiệu, xem ảnh và nghe thuyết minh",
        13.0,
        left,
        y,
        &bold,
    );
    y -= 6.5 * s;
    layer.set_fill_color(grey.clone());
    text(
        "Scan to read about this place, see photos and hear the audio guide",
        11.0,
        left,
        y,
        &regular,
    );
    y -= 6.0 * s;
    text(url, 9.0, left, y, &regular);
    if !vi.summary.is_empty() {
        y -= 10.0 * s;
        layer.set_fill_color(black.clone());
        for line in dom::wrap(&vi.summary, 86).iter().take(4) {
            text(line, 11.0, left, y, &regular);
            y -= 5.5 * s;
        }
    }
    // Footer: the digital address, the commune and the decision.
    layer.set_fill_color(black);
    let mut fy = 22.0 * s;
    let addr = match &h.place.short_code {
        Some(sc) => format!("{} · {sc} {}", h.place.plus_code, h.place.commune.name),
        None => h.place.plus_code.clone(),
    };
    text(&format!("Địa chỉ số: {addr}"), 11.0, left, fy, &bold);
    fy -= 6.0 * s;
    layer.set_fill_color(grey);
    text(&h.place.commune.full_name, 10.0, left, fy, &regular);
    if !decision.is_empty() {
        fy -= 5.5 * s;
        let line = dom::wrap(&format!("Xếp hạng: {decision}"), 95)
            .into_iter()
            .next()
            .unwrap_or_default();
        text(&line, 9.0, left, fy, &regular);
    }
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}
