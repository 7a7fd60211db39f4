//! The printable A4 sheet of an order: labels in a grid with a cutting frame, each with its QR
//! code as a one-bit image whose modules are whole printer dots, the product, the lot and the
//! stamp's number.

use std::io::{BufWriter, Cursor};

use printpdf::{Color, Mm, PdfDocument, Rgb};
use xaso_domain::trace::LabelSize;

use crate::criteria::pdf::{BOLD, REGULAR};
use crate::jobs::Progress;
use crate::{Error, Result};

/// Draws the label sheet: labels in rows on A4 with a cutting frame, each with its QR code,
/// the product, the lot and the stamp's number.
pub(super) fn render(
    urls: &[String],
    product: &str,
    lot: &str,
    size: LabelSize,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (page_w, page_h) = (210.0f32, 297.0f32);
    let (w, h, qr) = size.mm();
    let (cols, rows, left, top) = size.grid();
    let per_page = cols * rows;
    let (doc, page, layer) =
        PdfDocument::new("Xa So - tem truy xuat", Mm(page_w), Mm(page_h), "Tem");
    let regular = doc
        .add_external_font(Cursor::new(REGULAR))
        .map_err(pdf_err)?;
    let bold = doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?;
    let mut layer = doc.get_page(page).get_layer(layer);
    let small = size == LabelSize::Small;
    let name_pt = if small { 5.0 } else { 6.5 };
    let max_chars = (w / if small { 1.25 } else { 1.6 }) as usize;
    let name: String = if product.chars().count() > max_chars {
        let mut t: String = product.chars().take(max_chars.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        product.to_string()
    };
    for (i, url) in urls.iter().enumerate() {
        let slot = i % per_page;
        if i > 0 && slot == 0 {
            let (pg, l) = doc.add_page(Mm(page_w), Mm(page_h), "Tem");
            layer = doc.get_page(pg).get_layer(l);
            progress.set(i, urls.len(), "sheet");
        }
        let (c, r) = (slot % cols, slot / cols);
        let x = left + c as f32 * w;
        let y = top - (r + 1) as f32 * h;
        layer.set_outline_color(Color::Rgb(Rgb::new(0.75, 0.75, 0.75, None)));
        layer.set_outline_thickness(0.2);
        layer.add_polygon(printpdf::Polygon {
            rings: vec![vec![
                (printpdf::Point::new(Mm(x), Mm(y)), false),
                (printpdf::Point::new(Mm(x + w), Mm(y)), false),
                (printpdf::Point::new(Mm(x + w), Mm(y + h)), false),
                (printpdf::Point::new(Mm(x), Mm(y + h)), false),
            ]],
            mode: printpdf::path::PaintMode::Stroke,
            ..Default::default()
        });
        let side = qr_image(&layer, url, x, y + h - 1.0, w, qr)?;
        layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        let text_y = y + h - side - 1.0;
        layer.use_text(&name, name_pt, Mm(x + 1.5), Mm(text_y - 2.6), &bold);
        layer.use_text(
            format!("Lô {lot} · Số {}", i + 1),
            name_pt - 0.5,
            Mm(x + 1.5),
            Mm(text_y - 5.0),
            &regular,
        );
    }
    progress.set(urls.len(), urls.len(), "sheet");
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}

/// One printer dot at 150 dpi, in millimetres; 300 and 600 dpi printers divide it evenly.
const DOT_MM: f32 = 25.4 / 150.0;

/// The side of a QR symbol of `n` modules (quiet zone included) for a label `width` wide that
/// asks for about `wanted` millimetres: each module a whole number of 150-dpi dots, so no row
/// or column of modules prints a dot thinner than its neighbours (a 3-and-4-dot mix once left
/// one label in a thousand unreadable at 150 dpi), and 1 mm of margin on each side.
fn qr_side(n: usize, wanted: f32, width: f32) -> f32 {
    let mut dots = (wanted / n as f32 / DOT_MM).round().max(1.0);
    while dots > 1.0 && n as f32 * dots * DOT_MM > width - 2.0 {
        dots -= 1.0;
    }
    n as f32 * dots * DOT_MM
}

/// Places a label's QR symbol, centred on a label `width` wide with its top edge at `top`, as
/// a one-bit image (a few hundred bytes, scaled without smoothing so the modules stay sharp):
/// thousands of labels make a sheet of a few MB instead of tens, and draw several times faster
/// than one rectangle per run of modules. Returns the symbol's side in millimetres.
fn qr_image(
    layer: &printpdf::PdfLayerReference,
    url: &str,
    left: f32,
    top: f32,
    width: f32,
    wanted: f32,
) -> Result<f32> {
    let (n, dark) = crate::qr::modules(url)?;
    let size = qr_side(n, wanted, width);
    let (x, y) = (left + (width - size) / 2.0, top - size);
    let row_bytes = n.div_ceil(8);
    let mut data = vec![0xFFu8; row_bytes * n];
    for row in 0..n {
        for col in 0..n {
            if dark[row * n + col] {
                data[row * row_bytes + col / 8] &= !(0x80 >> (col % 8));
            }
        }
    }
    let image = printpdf::ImageXObject {
        width: printpdf::Px(n),
        height: printpdf::Px(n),
        color_space: printpdf::ColorSpace::Greyscale,
        bits_per_component: printpdf::ColorBits::Bit1,
        interpolate: false,
        image_data: data,
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    };
    // The image is `n` pixels wide; at this many dots per inch it spans `size` millimetres.
    let dpi = n as f32 * 25.4 / size;
    printpdf::Image::from(image).add_to_layer(
        layer.clone(),
        printpdf::ImageTransform {
            translate_x: Some(Mm(x)),
            translate_y: Some(Mm(y)),
            dpi: Some(dpi),
            ..Default::default()
        },
    );
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_modules_are_whole_printer_dots_and_fit_the_label() {
        for size in LabelSize::ALL {
            let (w, _, wanted) = size.mm();
            for n in [29usize, 33, 37, 41, 45, 49, 53] {
                let side = qr_side(n, wanted, w);
                let dots = side / n as f32 / DOT_MM;
                assert!((dots - dots.round()).abs() < 1e-3, "{size:?} {n}: {dots}");
                assert!(side <= w - 2.0 + 1e-3, "{size:?} {n}: {side} mm");
                assert!(dots >= 3.0 - 1e-3, "{size:?} {n}: {dots} dots a module");
            }
        }
        // A small label's usual symbol (version 4 with its quiet zone): 4 dots a module.
        assert!((qr_side(41, 26.0, 30.0) - 41.0 * 4.0 * DOT_MM).abs() < 1e-3);
    }
}
