//! Recognition dossiers (hồ sơ đề nghị xét, công nhận): a checklist of documents per level, files
//! uploaded against each item, and one ZIP with the generated assessment report (its evidence
//! index included), every uploaded document and every evidence file.
//!
//! The checklist follows the steps of Decision 18/2022/QĐ-TTg as far as public sources show them
//! (shared/reference/ntm-criteria-2021-2025.yaml, `recognition_procedure`); the exact list of
//! documents was not found, so it is data here that a province can adjust in later versions.

use std::io::Write;

use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::criteria::NtmLevel;
use xaso_domain::units::Unit;
use xaso_storage::evidence::{self as db, DossierFileRow};
use xaso_storage::{Files, Store};

use crate::criteria::{check_year, unit_in_year};
use crate::evidence::check_file;
use crate::{authz, Actor, Error, Result};

/// One document the dossier needs.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub key: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    /// The platform makes it (the assessment report) instead of someone uploading it.
    pub generated: bool,
}

pub const CHECKLIST: &[Item] = &[
    Item {
        key: "to-trinh",
        name_vi: "Tờ trình đề nghị thẩm tra, xét công nhận của UBND xã",
        name_en: "The commune's request for verification and recognition",
        generated: false,
    },
    Item {
        key: "bao-cao",
        name_vi: "Báo cáo kết quả thực hiện các tiêu chí (do nền tảng lập từ số liệu đã nhập)",
        name_en: "Report on the criteria (generated from the entered data)",
        generated: true,
    },
    Item {
        key: "y-kien-mttq",
        name_vi: "Báo cáo tổng hợp ý kiến tham gia của MTTQ và các tổ chức chính trị - xã hội",
        name_en: "Summary of comments by the Fatherland Front and socio-political organisations",
        generated: false,
    },
    Item {
        key: "hai-long",
        name_vi: "Kết quả lấy ý kiến sự hài lòng của người dân",
        name_en: "Results of the residents' satisfaction survey",
        generated: false,
    },
    Item {
        key: "cong-khai",
        name_vi: "Biên bản, hình ảnh công khai báo cáo để lấy ý kiến nhân dân",
        name_en: "Records of publishing the report for residents' comments",
        generated: false,
    },
    Item {
        key: "bien-ban-hop",
        name_vi: "Biên bản họp đề nghị xét, công nhận",
        name_en: "Minutes of the meeting proposing recognition",
        generated: false,
    },
];

#[derive(Debug, Clone)]
pub struct DossierFile {
    pub id: String,
    pub filename: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone)]
pub struct Dossier {
    pub unit: Unit,
    pub year: i32,
    pub level: NtmLevel,
    pub items: Vec<(Item, Vec<DossierFile>)>,
    pub evidence_files: usize,
}

impl Dossier {
    /// Items that have what they need (generated items always do).
    pub fn ready(&self) -> usize {
        self.items
            .iter()
            .filter(|(i, f)| i.generated || !f.is_empty())
            .count()
    }

    pub fn complete(&self) -> bool {
        self.ready() == self.items.len()
    }
}

const READERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

async fn commune(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
) -> Result<(Unit, Actor)> {
    check_year(year)?;
    let (unit, _) = unit_in_year(store, code, year).await?;
    let actor = authz::require_role_over(store, actor, READERS, &unit.id).await?;
    Ok((unit, actor))
}

pub async fn dossier(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    level: NtmLevel,
) -> Result<Dossier> {
    let (unit, _) = commune(store, actor, code, year).await?;
    let mut conn = store.read().await?;
    let rows = db::dossier_files(&mut conn, &unit.id, year as i64, level.as_str()).await?;
    let evidence_files = db::of_year(&mut conn, &unit.id, year as i64).await?.len();
    let items = CHECKLIST
        .iter()
        .map(|i| {
            let files = rows
                .iter()
                .filter(|r| r.item == i.key)
                .map(|r| DossierFile {
                    id: r.id.clone(),
                    filename: r.filename.clone(),
                    size: r.size,
                    uploaded_by: r.uploaded_by.clone(),
                    uploaded_at: r.uploaded_at.clone(),
                })
                .collect();
            (*i, files)
        })
        .collect();
    Ok(Dossier {
        unit,
        year,
        level,
        items,
        evidence_files,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn upload(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    level: NtmLevel,
    item: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<()> {
    let (unit, actor) = commune(store, actor, code, year).await?;
    let Some(entry) = CHECKLIST.iter().find(|i| i.key == item && !i.generated) else {
        return Err(Error::invalid(
            "item",
            format!("`{item}` is not a document to upload"),
        ));
    };
    let (name, mime) = check_file(filename, &bytes)?;
    let id = xaso_storage::new_id();
    let object_key = format!("dossier/{}/{year}/{}/{id}", unit.id, level.as_str());
    let row = DossierFileRow {
        id: id.clone(),
        unit_id: unit.id.clone(),
        year: year as i64,
        level: level.as_str().to_string(),
        item: entry.key.to_string(),
        filename: name,
        content_type: mime.to_string(),
        size: bytes.len() as i64,
        object_key: object_key.clone(),
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    files
        .put(&object_key, bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    db::insert_dossier_file(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dossier_file",
            record_id: &id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"year": year, "level": level.as_str(), "item": entry.key, "file": row.filename})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(String, i32)> {
    let row = {
        let mut conn = store.read().await?;
        db::dossier_file(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let actor = authz::require_role_over(store, actor, READERS, &row.unit_id).await?;
    let mut tx = store.begin().await?;
    db::delete_dossier_file(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "dossier_file",
            record_id: id,
            unit_id: Some(&row.unit_id),
            before: Some(json!({"year": row.year, "level": row.level, "item": row.item, "file": row.filename})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "dossier file left behind");
    }
    let unit = {
        let mut conn = store.read().await?;
        xaso_storage::units::by_id(&mut conn, &row.unit_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    Ok((unit.code, row.year as i32))
}

/// Keeps file names inside the ZIP plain and safe.
fn zip_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The whole dossier as one ZIP: the generated report (with its evidence index), every uploaded
/// document in a folder per item, every evidence file, and a table of contents.
pub async fn zip(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    code: &str,
    year: i32,
    level: NtmLevel,
) -> Result<(String, Vec<u8>)> {
    let d = dossier(store, actor, code, year, level).await?;
    let assessment = crate::criteria::assess(store, &d.unit.code, year, None).await?;
    let (evidence, docs) = {
        let mut conn = store.read().await?;
        (
            db::of_year(&mut conn, &d.unit.id, year as i64).await?,
            db::dossier_files(&mut conn, &d.unit.id, year as i64, level.as_str()).await?,
        )
    };
    let index: Vec<(String, String)> = evidence
        .iter()
        .map(|e| (e.indicator_code.clone(), e.filename.clone()))
        .collect();
    let generated = xaso_domain::time::format_datetime_vn(chrono::Utc::now());
    let report = crate::criteria::pdf::report_with_index(&assessment, &generated, &index)?;

    let zip_err = |e: zip::result::ZipError| Error::Internal(format!("zip: {e}"));
    let io_err = |e: std::io::Error| Error::Internal(format!("zip: {e}"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut contents = format!(
        "HỒ SƠ ĐỀ NGHỊ XÉT, CÔNG NHẬN — {} — năm {} — mức {}\nLập bởi Xã Số lúc {generated}\n\n",
        d.unit.full_name,
        year,
        level.as_str()
    );
    out.start_file("00-bao-cao-ket-qua.pdf", opts)
        .map_err(zip_err)?;
    out.write_all(&report).map_err(io_err)?;
    contents.push_str("00-bao-cao-ket-qua.pdf — Báo cáo kết quả thực hiện các tiêu chí (kèm danh mục minh chứng)\n");
    for (n, item) in CHECKLIST.iter().enumerate() {
        if item.generated {
            continue;
        }
        let mine: Vec<&DossierFileRow> = docs.iter().filter(|r| r.item == item.key).collect();
        if mine.is_empty() {
            contents.push_str(&format!(
                "{:02}-{} — {}: CHƯA CÓ\n",
                n + 1,
                item.key,
                item.name_vi
            ));
        }
        for r in mine {
            let path = format!("{:02}-{}/{}", n + 1, item.key, zip_name(&r.filename));
            let bytes = files
                .get(&r.object_key)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            out.start_file(path.as_str(), opts).map_err(zip_err)?;
            out.write_all(&bytes).map_err(io_err)?;
            contents.push_str(&format!("{path} — {}\n", item.name_vi));
        }
    }
    for e in &evidence {
        let path = format!(
            "minh-chung/{}-{}-{}",
            zip_name(&e.set_key),
            zip_name(&e.indicator_code),
            zip_name(&e.filename)
        );
        let bytes = files
            .get(&e.object_key)
            .await
            .map_err(|err| Error::Internal(err.to_string()))?;
        out.start_file(path.as_str(), opts).map_err(zip_err)?;
        out.write_all(&bytes).map_err(io_err)?;
        contents.push_str(&format!(
            "{path} — minh chứng chỉ tiêu {}\n",
            e.indicator_code
        ));
    }
    out.start_file("muc-luc.txt", opts).map_err(zip_err)?;
    out.write_all(contents.as_bytes()).map_err(io_err)?;
    let bytes = out.finish().map_err(zip_err)?.into_inner();
    Ok((
        format!("ho-so-{}-{year}-{}.zip", d.unit.code, level.as_str()),
        bytes,
    ))
}
