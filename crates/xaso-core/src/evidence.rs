//! Evidence files (minh chứng) attached to a commune's indicator values for a year: scanned
//! documents and photos. Only the commune's officers and the area officers above it see them;
//! they change only while the year is open for edits.

use serde_json::json;
use xaso_domain::auth::Role;
use xaso_storage::evidence::{self as db, EvidenceRow};
use xaso_storage::{Files, Store};

use crate::criteria::{check_year, sets_for_year};
use crate::{authz, Actor, Error, Result};

/// Largest file accepted: a phone photo or a scanned multi-page document.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Accepted kinds: extension, content type, and the bytes such a file starts with.
const KINDS: &[(&str, &str, &[u8])] = &[
    ("pdf", "application/pdf", b"%PDF"),
    ("jpg", "image/jpeg", b"\xFF\xD8\xFF"),
    ("jpeg", "image/jpeg", b"\xFF\xD8\xFF"),
    ("png", "image/png", b"\x89PNG"),
    ("webp", "image/webp", b"RIFF"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04",
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        b"PK\x03\x04",
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        b"PK\x03\x04",
    ),
    ("doc", "application/msword", b"\xD0\xCF\x11\xE0"),
    ("xls", "application/vnd.ms-excel", b"\xD0\xCF\x11\xE0"),
];

/// Checks a file's name, size and first bytes; returns a clean name and its content type.
pub fn check_file(filename: &str, bytes: &[u8]) -> Result<(String, &'static str)> {
    let name: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let name = xaso_domain::text::clean(&name);
    if bytes.is_empty() || name.is_empty() {
        return Err(Error::invalid("file", "choose a file"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid("file", "the file is larger than 10 MB"));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let Some((_, mime, magic)) = KINDS.iter().find(|(e, _, _)| *e == ext) else {
        return Err(Error::invalid(
            "file",
            "accepted files: PDF, JPG, PNG, WEBP, DOC(X), XLS(X), ODT, ODS",
        ));
    };
    if !bytes.starts_with(magic) {
        return Err(Error::invalid(
            "file",
            format!("the file is not really a .{ext} file"),
        ));
    }
    Ok((name, mime))
}

/// One attached file, as listed.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub id: String,
    pub set_key: String,
    pub indicator_code: String,
    pub filename: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl From<EvidenceRow> for Evidence {
    fn from(r: EvidenceRow) -> Evidence {
        Evidence {
            id: r.id,
            set_key: r.set_key,
            indicator_code: r.indicator_code,
            filename: r.filename,
            size: r.size,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        }
    }
}

const READERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

/// Attaches a file to an indicator of a commune's year.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    set_key: &str,
    indicator_code: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Evidence> {
    let targets = [(set_key.to_string(), indicator_code.to_string())];
    let mut rows = attach(store, files, actor, code, year, &targets, filename, bytes).await?;
    rows.pop()
        .ok_or_else(|| Error::Internal("attach returned no row".into()))
}

/// Attaches one file to several indicators of a commune's year at once (one signed record often
/// proves several indicators). The bytes are stored once; every indicator gets its own row, and
/// the file goes only when the last row pointing at it is removed. All or nothing.
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    targets: &[(String, String)],
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Vec<Evidence>> {
    check_year(year)?;
    let (unit, _) = crate::criteria::unit_in_year(store, code, year).await?;
    let actor = authz::require_role_over(store, actor, READERS, &unit.id).await?;
    if targets.is_empty() {
        return Err(Error::invalid("indicator", "choose at least one indicator"));
    }
    let sets = sets_for_year(store, year).await?;
    let mut problems = Vec::new();
    for (set_key, indicator_code) in targets {
        if !sets
            .iter()
            .any(|v| v.set.key == *set_key && v.set.indicator(indicator_code).is_some())
        {
            problems.push(crate::error::Problem::new(
                "indicator",
                format!("{set_key}:{indicator_code} does not apply to {year}"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let (name, mime) = check_file(filename, &bytes)?;
    let size = bytes.len() as i64;
    let object_key = format!("evidence/{}/{year}/{}", unit.id, xaso_storage::new_id());
    let uploaded_at = xaso_storage::now();
    let mut tx = store.begin().await?;
    crate::criteria::ensure_editable_tx(&mut tx, &unit, year).await?;
    // Bytes first: a crash after this leaves an orphan file, never a row without its file.
    files
        .put(&object_key, bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut out = Vec::with_capacity(targets.len());
    for (set_key, indicator_code) in targets {
        let row = EvidenceRow {
            id: xaso_storage::new_id(),
            unit_id: unit.id.clone(),
            year: year as i64,
            set_key: set_key.clone(),
            indicator_code: indicator_code.clone(),
            filename: name.clone(),
            content_type: mime.to_string(),
            size,
            object_key: object_key.clone(),
            uploaded_by: actor.username.clone(),
            uploaded_at: uploaded_at.clone(),
        };
        db::insert(tx.conn(), &row).await?;
        crate::audit::record(
            &mut tx,
            &actor,
            crate::audit::Change {
                action: "create",
                record_type: "evidence",
                record_id: &row.id,
                unit_id: Some(&unit.id),
                before: None,
                after: Some(json!({"year": year, "indicator": format!("{set_key}:{indicator_code}"), "file": row.filename, "size": row.size})),
            },
        )
        .await?;
        out.push(Evidence::from(row));
    }
    tx.commit().await?;
    Ok(out)
}

/// The files of a commune's year, for the people allowed to see them.
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
) -> Result<Vec<Evidence>> {
    check_year(year)?;
    let (unit, _) = crate::criteria::unit_in_year(store, code, year).await?;
    authz::require_role_over(store, actor, READERS, &unit.id).await?;
    let mut conn = store.read().await?;
    Ok(db::of_year(&mut conn, &unit.id, year as i64)
        .await?
        .into_iter()
        .map(Evidence::from)
        .collect())
}

/// A file's name, content type and bytes.
pub async fn download(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(String, String, Vec<u8>)> {
    let row = {
        let mut conn = store.read().await?;
        db::by_id(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    authz::require_role_over(store, actor, READERS, &row.unit_id).await?;
    let bytes = files
        .get(&row.object_key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((row.filename, row.content_type, bytes))
}

/// Removes a file while the year is open for edits.
pub async fn remove(store: &Store, files: &Files, actor: Option<&Actor>, id: &str) -> Result<()> {
    let row = {
        let mut conn = store.read().await?;
        db::by_id(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let actor = authz::require_role_over(store, actor, READERS, &row.unit_id).await?;
    let unit = {
        let mut conn = store.read().await?;
        xaso_storage::units::by_id(&mut conn, &row.unit_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let mut tx = store.begin().await?;
    crate::criteria::ensure_editable_tx(&mut tx, &unit, row.year as i32).await?;
    db::delete(tx.conn(), id).await?;
    let still_used = db::object_refs(tx.conn(), &row.object_key).await? > 0;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "evidence",
            record_id: id,
            unit_id: Some(&unit.id),
            before: Some(json!({"year": row.year, "indicator": format!("{}:{}", row.set_key, row.indicator_code), "file": row.filename})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // The row is gone; the bytes go after (an orphan file is harmless, a dangling row is not),
    // unless another indicator still shows the same file.
    if still_used {
        return Ok(());
    }
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "evidence file left behind");
    }
    Ok(())
}

/// Indicators that have a value and whose set asks for evidence, but have no file yet:
/// (set key, indicator code). Shown to the commune before it submits and to the area officer
/// before approving.
pub fn missing(a: &crate::criteria::Assessment, files: &[Evidence]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in &a.sets {
        for c in &o.version.set.criteria {
            for i in &c.indicators {
                // A figure taken from the DT plan has its records as evidence.
                let has_value = o.values.get(&i.code).is_some_and(|v| !v.from_dt);
                let has_file = files
                    .iter()
                    .any(|f| f.set_key == o.version.set.key && f.indicator_code == i.code);
                if i.evidence_required && has_value && !has_file {
                    out.push((o.version.set.key.clone(), i.code.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_by_name_size_and_content() {
        assert_eq!(
            check_file("C:\\scan\\bien-ban.pdf", b"%PDF-1.7 ...").unwrap(),
            ("bien-ban.pdf".to_string(), "application/pdf")
        );
        assert!(check_file("anh.jpg", b"%PDF").is_err(), "a PDF named .jpg");
        assert!(check_file("virus.exe", b"MZ").is_err());
        assert!(check_file("empty.pdf", b"").is_err());
        assert!(check_file("big.pdf", &vec![b'%'; MAX_BYTES + 1]).is_err());
        assert_eq!(
            check_file("Ảnh.PNG", b"\x89PNG\r\n").unwrap().1,
            "image/png"
        );
    }
}
