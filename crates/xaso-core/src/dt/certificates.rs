//! Training certificates: one per person per session, issued when the session closes, printed
//! as A4 pages with a QR code (the QR backbone's permanent `/q/` URL). Scanning it opens a page
//! that says whether the certificate is genuine, revoked or unknown, and shows the holder by
//! initials only. Staff reissue (a corrected name) and revoke, each with a reason.

use std::io::{BufWriter, Cursor};
use std::sync::LazyLock;

use chrono::NaiveDate;
use printpdf::{Color, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Point, Polygon, Rgb};
use serde_json::json;
use xaso_storage::dt::{self as db, CertificateRow};
use xaso_storage::Store;

use super::{unit, MANAGERS};
use crate::criteria::pdf::{BOLD, REGULAR};
use crate::{authz, Actor, Error, Result};

/// Where a certificate stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Genuine,
    /// Revoked, with the reason and the day.
    Revoked {
        reason: String,
        on: Option<NaiveDate>,
    },
}

/// A certificate as its public page shows it (no full name) and as staff see it.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: String,
    pub token: String,
    pub session_id: String,
    /// The holder's full name: staff only; empty on the public page.
    pub name: String,
    /// "N. V. A."
    pub initials: String,
    pub course_title: String,
    pub topics: Vec<String>,
    pub commune_name: String,
    pub day: NaiveDate,
    pub place: String,
    pub trainer: String,
    pub issued_on: NaiveDate,
    pub status: Status,
    /// A newer certificate issued in its place, if any.
    pub replaced_by: bool,
}

async fn build(store: &Store, row: CertificateRow, staff: bool) -> Result<Certificate> {
    let session = super::training::public_session(store, &row.session_id).await?;
    let course = {
        let mut conn = store.read().await?;
        db::course(&mut conn, &session.course_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let all = super::training::topics(store, &row.commune_id).await?;
    let ids: Vec<String> = serde_json::from_str(&course.topics).unwrap_or_default();
    let topics = ids
        .iter()
        .filter_map(|i| all.iter().find(|t| &t.id == i).map(|t| t.name_vi.clone()))
        .collect();
    let commune = unit(store, &row.commune_id).await?;
    let replaced_by = {
        let mut conn = store.read().await?;
        db::certificates_of(&mut conn, &row.session_id)
            .await?
            .iter()
            .any(|c| c.replaces.as_deref() == Some(row.id.as_str()))
    };
    Ok(Certificate {
        initials: xaso_domain::dt::initials(&row.name),
        name: if staff {
            row.name.clone()
        } else {
            String::new()
        },
        status: match &row.revoked_at {
            None => Status::Genuine,
            Some(at) => Status::Revoked {
                reason: row.revoked_reason.clone(),
                on: xaso_domain::time::from_storage(at).map(|t| {
                    t.with_timezone(&xaso_domain::time::vn_offset())
                        .date_naive()
                }),
            },
        },
        id: row.id,
        token: row.token,
        session_id: row.session_id,
        course_title: course.title,
        topics,
        commune_name: commune.full_name,
        day: session.day,
        place: session.place,
        trainer: session.trainer,
        issued_on: xaso_domain::time::parse_date(&row.issued_on).unwrap_or_default(),
        replaced_by,
    })
}

async fn row(store: &Store, id: &str) -> Result<CertificateRow> {
    let mut conn = store.read().await?;
    db::certificate(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// A certificate's page: for everyone, with the holder's initials; the full name too for the
/// commune's managers. `None` when no certificate has this id.
pub async fn get(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<Option<(Certificate, bool)>> {
    let r = {
        let mut conn = store.read().await?;
        db::certificate(&mut conn, id).await?
    };
    let Some(r) = r else { return Ok(None) };
    let staff = super::manages(store, actor, &r.commune_id).await?;
    Ok(Some((build(store, r, staff).await?, staff)))
}

fn reason_of(reason: &str) -> Result<String> {
    let reason = xaso_domain::text::clean(reason);
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(Error::invalid("reason", "say why (at most 300 characters)"));
    }
    Ok(reason)
}

/// Revokes a certificate with a reason: its code then says "revoked". Audited.
pub async fn revoke(store: &Store, actor: Option<&Actor>, id: &str, reason: &str) -> Result<()> {
    let r = row(store, id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &r.commune_id).await?;
    let reason = reason_of(reason)?;
    let mut tx = store.begin().await?;
    if !db::revoke_certificate(
        tx.conn(),
        id,
        &xaso_storage::now(),
        &actor.username,
        &reason,
    )
    .await?
    {
        return Err(Error::Conflict("the certificate is already revoked".into()));
    }
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "dt_certificate",
            record_id: id,
            unit_id: Some(&r.commune_id),
            before: Some(json!({"status": "genuine"})),
            after: Some(json!({"status": "revoked", "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reissues a certificate (for a corrected name, or a lost paper): the old one is revoked with
/// the reason, a new one with a new code takes its place. Returns the new certificate's id.
pub async fn reissue(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    name: &str,
    reason: &str,
) -> Result<String> {
    let old = row(store, id).await?;
    let actor = authz::require_role_over(store, actor, MANAGERS, &old.commune_id).await?;
    let reason = reason_of(reason)?;
    let name = xaso_domain::text::clean(name);
    let name = if name.is_empty() {
        old.name.clone()
    } else {
        name
    };
    if name.chars().count() > 120 {
        return Err(Error::invalid(
            "name",
            "write the full name (at most 120 characters)",
        ));
    }
    let mut tx = store.begin().await?;
    let session = db::session(tx.conn(), &old.session_id)
        .await?
        .ok_or(Error::NotFound)?;
    let attendance = db::attendance(tx.conn(), &old.attendance_id)
        .await?
        .ok_or(Error::NotFound)?;
    let now = xaso_storage::now();
    // A certificate already revoked may still be reissued (a paper revoked by mistake).
    db::revoke_certificate(tx.conn(), id, &now, &actor.username, &reason).await?;
    let today = xaso_domain::time::today_vn().to_string();
    let new_id = super::training::issue(
        tx.conn(),
        &actor,
        &session,
        &attendance,
        &name,
        &today,
        &now,
        Some(id),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_certificate",
            record_id: &new_id,
            unit_id: Some(&old.commune_id),
            before: Some(json!({"certificate": id, "status": "revoked", "reason": reason})),
            after: Some(json!({"replaces": id, "name_changed": name != old.name})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new_id)
}

/// The valid certificates of a session as one PDF, a page each (the commune's managers).
pub async fn session_pdf(
    store: &Store,
    actor: Option<&Actor>,
    session_id: &str,
    base_url: &str,
) -> Result<Vec<u8>> {
    let session = super::training::public_session(store, session_id).await?;
    authz::require_role_over(store, actor, MANAGERS, &session.commune.id).await?;
    let rows: Vec<CertificateRow> = {
        let mut conn = store.read().await?;
        db::certificates_of(&mut conn, session_id)
            .await?
            .into_iter()
            .filter(|c| c.revoked_at.is_none())
            .collect()
    };
    if rows.is_empty() {
        return Err(Error::invalid(
            "session",
            "no certificate to print: close the session first",
        ));
    }
    let mut certs = Vec::with_capacity(rows.len());
    // Every certificate of a session shares its course and place: build the first fully and
    // the rest from it.
    let first = build(store, rows[0].clone(), true).await?;
    for r in rows {
        certs.push(Certificate {
            id: r.id,
            token: r.token,
            initials: xaso_domain::dt::initials(&r.name),
            name: r.name,
            issued_on: xaso_domain::time::parse_date(&r.issued_on).unwrap_or_default(),
            ..first.clone()
        });
    }
    render(&certs, base_url)
}

/// One certificate as a PDF (the commune's managers), even a revoked one, marked so.
pub async fn one_pdf(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    base_url: &str,
) -> Result<Vec<u8>> {
    let r = row(store, id).await?;
    authz::require_role_over(store, actor, MANAGERS, &r.commune_id).await?;
    let c = build(store, r, true).await?;
    render(std::slice::from_ref(&c), base_url)
}

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;

static FACES: LazyLock<(ttf_parser::Face<'static>, ttf_parser::Face<'static>)> =
    LazyLock::new(|| {
        (
            ttf_parser::Face::parse(REGULAR, 0).expect("embedded font parses"),
            ttf_parser::Face::parse(BOLD, 0).expect("embedded font parses"),
        )
    });

/// The width of a text in mm at a size in points.
fn width(text: &str, size_pt: f32, bold: bool) -> f32 {
    let face = if bold { &FACES.1 } else { &FACES.0 };
    let units = face.units_per_em() as f32;
    let adv: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .unwrap_or(0) as f32
        })
        .sum();
    adv / units * size_pt * 25.4 / 72.0
}

struct Fonts {
    regular: IndirectFontRef,
    bold: IndirectFontRef,
}

fn centred(layer: &PdfLayerReference, f: &Fonts, text: &str, size: f32, y: f32, bold: bool) {
    let x = (PAGE_W - width(text, size, bold)) / 2.0;
    layer.use_text(
        text,
        size,
        Mm(x),
        Mm(y),
        if bold { &f.bold } else { &f.regular },
    );
}

/// Breaks a text into lines that fit `max_mm` at a size.
fn lines(text: &str, size: f32, bold: bool, max_mm: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size, bold) > max_mm && !line.is_empty() {
            out.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

fn frame(layer: &PdfLayerReference, inset: f32, thickness: f32) {
    let (x, y, w, h) = (inset, inset, PAGE_W - 2.0 * inset, PAGE_H - 2.0 * inset);
    layer.set_outline_thickness(thickness);
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
}

fn page(layer: &PdfLayerReference, f: &Fonts, c: &Certificate, url: &str) -> Result<()> {
    let red = Color::Rgb(Rgb::new(0.62, 0.08, 0.08, None));
    let black = Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None));
    let grey = Color::Rgb(Rgb::new(0.3, 0.3, 0.3, None));
    layer.set_outline_color(red.clone());
    frame(layer, 8.0, 1.6);
    frame(layer, 11.0, 0.4);
    layer.set_fill_color(black.clone());
    // The issuing authority on the left, the national motto on the right, as Vietnamese
    // administrative papers set them out.
    let left_mid = 70.0;
    let right_mid = 205.0;
    let at = |t: &str, size: f32, mid: f32, y: f32, bold: bool| {
        let x = mid - width(t, size, bold) / 2.0;
        layer.use_text(
            t,
            size,
            Mm(x),
            Mm(y),
            if bold { &f.bold } else { &f.regular },
        );
    };
    at(
        &format!("UBND {}", c.commune_name.to_uppercase()),
        11.0,
        left_mid,
        190.0,
        true,
    );
    at(
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        11.0,
        right_mid,
        190.0,
        true,
    );
    at("Độc lập - Tự do - Hạnh phúc", 11.0, right_mid, 184.5, true);
    layer.set_fill_color(red.clone());
    centred(layer, f, "GIẤY CHỨNG NHẬN", 30.0, 160.0, true);
    layer.set_fill_color(grey.clone());
    centred(layer, f, "Certificate of training", 11.0, 153.0, false);
    layer.set_fill_color(black.clone());
    centred(layer, f, "Chứng nhận Ông/Bà", 13.0, 141.0, false);
    centred(layer, f, &c.name, 24.0, 130.0, true);
    let mut y = 119.0;
    centred(layer, f, "đã tham gia lớp tập huấn", 13.0, y, false);
    y -= 8.0;
    for l in lines(&c.course_title, 15.0, true, 200.0).iter().take(2) {
        centred(layer, f, l, 15.0, y, true);
        y -= 7.0;
    }
    if !c.topics.is_empty() {
        y -= 1.0;
        let topics = format!("Nội dung: {}", c.topics.join("; "));
        for l in lines(&topics, 11.0, false, 210.0).iter().take(3) {
            centred(layer, f, l, 11.0, y, false);
            y -= 5.5;
        }
    }
    y -= 2.0;
    let mut when = format!("Ngày {}", xaso_domain::time::format_date_vn(c.day));
    if !c.place.is_empty() {
        when.push_str(&format!(" tại {}", c.place));
    }
    for l in lines(&when, 11.0, false, 210.0).iter().take(2) {
        centred(layer, f, l, 11.0, y, false);
        y -= 5.5;
    }
    // Signature block on the right; the QR code and its words on the left.
    at(
        &format!(
            "Cấp ngày {}",
            xaso_domain::time::format_date_vn(c.issued_on)
        ),
        11.0,
        right_mid,
        56.0,
        false,
    );
    at("TM. ỦY BAN NHÂN DÂN", 11.0, right_mid, 50.0, true);
    at("(ký, ghi rõ họ tên, đóng dấu)", 9.0, right_mid, 45.0, false);
    let qr = 34.0;
    crate::qr::draw_pdf(layer, url, 20.0, 18.0, qr)?;
    layer.set_fill_color(black.clone());
    layer.use_text(
        "Quét mã để kiểm tra giấy chứng nhận",
        9.0,
        Mm(57.0),
        Mm(44.0),
        &f.regular,
    );
    layer.use_text(
        "Scan to check this certificate",
        8.0,
        Mm(57.0),
        Mm(39.5),
        &f.regular,
    );
    layer.use_text(format!("Mã: {}", c.token), 9.0, Mm(57.0), Mm(33.0), &f.bold);
    if let Status::Revoked { reason, .. } = &c.status {
        layer.set_fill_color(red);
        centred(
            layer,
            f,
            &format!("ĐÃ THU HỒI — {reason}"),
            14.0,
            70.0,
            true,
        );
    }
    Ok(())
}

fn render(certs: &[Certificate], base_url: &str) -> Result<Vec<u8>> {
    let pdf_err = |e: printpdf::Error| Error::Internal(format!("pdf: {e}"));
    let (doc, first, layer) = PdfDocument::new(
        "Xa So - giay chung nhan tap huan",
        Mm(PAGE_W),
        Mm(PAGE_H),
        "Certificate",
    );
    let fonts = Fonts {
        regular: doc
            .add_external_font(Cursor::new(REGULAR))
            .map_err(pdf_err)?,
        bold: doc.add_external_font(Cursor::new(BOLD)).map_err(pdf_err)?,
    };
    let base = base_url.trim_end_matches('/');
    for (i, c) in certs.iter().enumerate() {
        let layer = if i == 0 {
            doc.get_page(first).get_layer(layer)
        } else {
            let (p, l) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Certificate");
            doc.get_page(p).get_layer(l)
        };
        page(&layer, &fonts, c, &format!("{base}/q/{}", c.token))?;
    }
    let mut out = BufWriter::new(Vec::new());
    doc.save(&mut out).map_err(pdf_err)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("pdf: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_text_and_size() {
        let a = width("GIẤY CHỨNG NHẬN", 30.0, true);
        assert!(a > 80.0 && a < 200.0, "{a}");
        assert!(width("Nguyễn Văn An", 24.0, true) > width("Nguyễn Văn An", 12.0, true));
        let ls = lines(
            "Kích hoạt và sử dụng VNeID mức độ 2 cho người dân trong xã",
            15.0,
            true,
            60.0,
        );
        assert!(ls.len() >= 2);
        assert!(ls
            .iter()
            .all(|l| width(l, 15.0, true) <= 60.0 || !l.contains(' ')));
    }
}
