//! Asset labels: A4 sheets in the stamp sheets' sizes, each label with the asset's permanent QR
//! code (the `/q/` URL of the QR backbone), its tag and, where there is room, its name and
//! commune. Cut along the grey frame and stick on the device.

use std::io::{BufWriter, Cursor};

use printpdf::{Color, Mm, PdfDocument, Point, Polygon, Rgb};
use xaso_domain::ict::Status;
use xaso_domain::trace::LabelSize;
use xaso_storage::Store;

use super::{list, Asset};
use crate::criteria::pdf::{BOLD, REGULAR};
use crate::qr::{self, TargetType};
use crate::{Actor, Error, Result};

/// Most labels in one sheet.
pub const MAX_LABELS: usize = 2000;

fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The labels of a commune's assets (all but retired ones, or only `ids`), as an A4 PDF with
/// their URLs in order. Assets without a code get one. The commune's keepers only.
pub async fn sheet(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    ids: &[String],
    size: LabelSize,
    base_url: &str,
) -> Result<(Vec<u8>, Vec<String>)> {
    let (commune, mut assets) = list(store, actor, code).await?;
    let actor = actor.expect("list checked the actor");
    if ids.is_empty() {
        assets.retain(|a| a.status() != Status::Retired);
    } else {
        assets.retain(|a| ids.contains(&a.row.id));
    }
    if assets.is_empty() {
        return Err(Error::invalid("assets", "no asset to print a label for"));
    }
    if assets.len() > MAX_LABELS {
        return Err(Error::invalid(
            "assets",
            format!("at most {MAX_LABELS} labels at once"),
        ));
    }
    let mut urls = Vec::with_capacity(assets.len());
    for a in &assets {
        let c = qr::code_for(
            store,
            actor,
            TargetType::Asset,
            &a.row.id,
            Some(&commune.id),
        )
        .await?;
        urls.push(format!("{}/q/{}", base_url.trim_end_matches('/'), c.token));
    }
    let pdf = render(&assets, &urls, size)?;
    Ok((pdf, urls))
}

fn render(assets: &[Asset], urls: &[String], size: LabelSize) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (page_w, page_h) = (210.0f32, 297.0f32);
    let (w, h, qr_mm) = size.mm();
    let (cols, rows, left, top) = size.grid();
    let per_page = cols * rows;
    let (doc, page, layer) =
        PdfDocument::new("Xa So - nhan thiet bi", Mm(page_w), Mm(page_h), "Nhan");
    let regular = doc
        .add_external_font(Cursor::new(REGULAR))
        .map_err(pdf_err)?;
    let bold = doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?;
    let mut layer = doc.get_page(page).get_layer(layer);
    let (tag_pt, line_pt, chars) = match size {
        LabelSize::Small => (6.0, 4.5, 20),
        LabelSize::Medium => (7.5, 5.5, 24),
        LabelSize::Large => (10.0, 7.0, 28),
    };
    for (i, (a, url)) in assets.iter().zip(urls).enumerate() {
        let slot = i % per_page;
        if i > 0 && slot == 0 {
            let (pg, l) = doc.add_page(Mm(page_w), Mm(page_h), "Nhan");
            layer = doc.get_page(pg).get_layer(l);
        }
        let (c, r) = (slot % cols, slot / cols);
        let x = left + c as f32 * w;
        let y = top - (r + 1) as f32 * h;
        layer.set_outline_color(Color::Rgb(Rgb::new(0.75, 0.75, 0.75, None)));
        layer.set_outline_thickness(0.2);
        layer.add_polygon(Polygon {
            rings: vec![vec![
                (Point::new(Mm(x), Mm(y)), false),
                (Point::new(Mm(x + w), Mm(y)), false),
                (Point::new(Mm(x + w), Mm(y + h)), false),
                (Point::new(Mm(x), Mm(y + h)), false),
            ]],
            mode: printpdf::path::PaintMode::Stroke,
            ..Default::default()
        });
        let qx = x + (w - qr_mm) / 2.0;
        let qy = y + h - qr_mm - 1.0;
        qr::draw_pdf(&layer, url, qx, qy, qr_mm)?;
        layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        let mut ty = qy - tag_pt * 0.42;
        layer.use_text(&a.row.tag, tag_pt, Mm(x + 1.5), Mm(ty), &bold);
        if size != LabelSize::Small {
            ty -= line_pt * 0.45;
            layer.use_text(
                fit(&a.row.name, chars),
                line_pt,
                Mm(x + 1.5),
                Mm(ty),
                &regular,
            );
        }
        ty -= line_pt * 0.45;
        if ty > y + 0.5 {
            layer.use_text(
                fit(&a.commune.full_name, chars),
                line_pt,
                Mm(x + 1.5),
                Mm(ty),
                &regular,
            );
        }
    }
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}
