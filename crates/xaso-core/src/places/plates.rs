//! House plates: an A4 sheet of address plates, eight to a page, each with its QR code (the
//! permanent `/q/` URL), the Plus Code, the short code with its commune, the VNPost code when
//! known, and the village and commune. Cut along the grey lines; print on any printer.

use std::io::{BufWriter, Cursor};

use printpdf::{Color, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Point, Polygon, Rgb};
use xaso_storage::Store;

use super::{Place, Query, WRITERS};
use crate::criteria::pdf::{BOLD, REGULAR};
use crate::qr::{self, TargetType};
use crate::{authz, Actor, Error, Result};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const PLATE_W: f32 = 95.0;
const PLATE_H: f32 = 66.0;
const COLS: usize = 2;
const ROWS: usize = 4;
const LEFT: f32 = (PAGE_W - PLATE_W * COLS as f32) / 2.0;
const TOP: f32 = PAGE_H - (PAGE_H - PLATE_H * ROWS as f32) / 2.0;
const QR_MM: f32 = 40.0;

/// Most plates in one sheet (a big village is a few hundred households).
pub const MAX_PLATES: usize = 2000;

fn rect(x: f32, y: f32, w: f32, h: f32) -> Vec<(Point, bool)> {
    vec![
        (Point::new(Mm(x), Mm(y)), false),
        (Point::new(Mm(x + w), Mm(y)), false),
        (Point::new(Mm(x + w), Mm(y + h)), false),
        (Point::new(Mm(x), Mm(y + h)), false),
    ]
}

struct Fonts {
    regular: IndirectFontRef,
    bold: IndirectFontRef,
}

/// Shortens a line to about `max` characters for the plate's width.
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn plate(layer: &PdfLayerReference, f: &Fonts, p: &Place, url: &str, x: f32, y: f32) -> Result<()> {
    // Cutting frame.
    layer.set_outline_color(Color::Rgb(Rgb::new(0.6, 0.6, 0.6, None)));
    layer.set_outline_thickness(0.3);
    layer.add_polygon(Polygon {
        rings: vec![rect(x, y, PLATE_W, PLATE_H)],
        mode: printpdf::path::PaintMode::Stroke,
        ..Default::default()
    });
    layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
    let qx = x + 4.0;
    let qy = y + (PLATE_H - QR_MM) / 2.0 - 2.0;
    qr::draw_pdf(layer, url, qx, qy, QR_MM)?;
    let tx = qx + QR_MM + 3.0;
    let mut ty = y + PLATE_H - 9.0;
    layer.use_text("ĐỊA CHỈ SỐ", 9.0, Mm(tx), Mm(ty), &f.bold);
    ty -= 8.0;
    layer.use_text(&p.plus_code, 13.0, Mm(tx), Mm(ty), &f.bold);
    if let Some(s) = &p.short_code {
        ty -= 5.5;
        layer.use_text(
            fit(&format!("{s} {}", p.commune.name), 26),
            9.0,
            Mm(tx),
            Mm(ty),
            &f.regular,
        );
    }
    if let Some(v) = &p.vpostcode {
        ty -= 5.5;
        layer.use_text(
            fit(&format!("Vpostcode: {v}"), 26),
            9.0,
            Mm(tx),
            Mm(ty),
            &f.regular,
        );
    }
    ty -= 7.0;
    if let Some(v) = &p.village {
        layer.use_text(fit(&v.full_name, 26), 10.0, Mm(tx), Mm(ty), &f.bold);
        ty -= 5.0;
    }
    layer.use_text(fit(&p.commune.full_name, 26), 10.0, Mm(tx), Mm(ty), &f.bold);
    layer.use_text(
        "Quét mã để xem vị trí trên bản đồ",
        7.0,
        Mm(x + 4.0),
        Mm(y + 3.5),
        &f.regular,
    );
    Ok(())
}

/// The plates of a commune's or village's active places (optionally only `ids`, or one kind),
/// as an A4 PDF. Places without a QR code get one. Staff of the unit only.
pub async fn sheet(
    store: &Store,
    actor: Option<&Actor>,
    unit_code: &str,
    q: &Query,
    ids: &[String],
    base_url: &str,
) -> Result<Vec<u8>> {
    let unit = crate::units::by_code(store, unit_code, xaso_domain::time::today_vn()).await?;
    let actor = authz::require_role_over(store, actor, WRITERS, &unit.id).await?;
    let query = Query {
        limit: MAX_PLATES as i64,
        include_retired: false,
        ..q.clone()
    };
    let (_, mut places) = super::list(store, unit_code, &query).await?;
    if !ids.is_empty() {
        places.retain(|p| ids.contains(&p.id));
    }
    if places.is_empty() {
        return Err(Error::invalid("places", "no place to print"));
    }
    let mut urls = Vec::with_capacity(places.len());
    for p in &places {
        let target = p.village.as_ref().unwrap_or(&p.commune);
        let code = qr::code_for(store, &actor, TargetType::Place, &p.id, Some(&target.id)).await?;
        urls.push(format!(
            "{}/q/{}",
            base_url.trim_end_matches('/'),
            code.token
        ));
    }
    render(&places, &urls)
}

fn render(places: &[Place], urls: &[String]) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (doc, page, layer) =
        PdfDocument::new("Xa So - bien dia chi so", Mm(PAGE_W), Mm(PAGE_H), "Bien");
    let fonts = Fonts {
        regular: doc
            .add_external_font(Cursor::new(REGULAR))
            .map_err(pdf_err)?,
        bold: doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?,
    };
    let mut layer = doc.get_page(page).get_layer(layer);
    for (i, (p, url)) in places.iter().zip(urls).enumerate() {
        let slot = i % (COLS * ROWS);
        if i > 0 && slot == 0 {
            let (pg, l) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Bien");
            layer = doc.get_page(pg).get_layer(l);
        }
        let (col, row) = (slot % COLS, slot / COLS);
        let x = LEFT + col as f32 * PLATE_W;
        let y = TOP - (row + 1) as f32 * PLATE_H;
        plate(&layer, &fonts, p, url, x, y)?;
    }
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}
