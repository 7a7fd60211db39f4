//! Recognition dossiers (hồ sơ đề nghị xét, công nhận): a checklist of documents per level, files
//! uploaded against each item, and one ZIP with the generated assessment report (its evidence
//! index included), every uploaded document and every evidence file.
//!
//! The checklist follows the steps of Decision 18/2022/QĐ-TTg as far as public sources show them
//! (shared/reference/ntm-criteria-2021-2025.yaml, `recognition_procedure`); the exact list of
//! documents was not found, so it ships as a default that an administrator replaces with the
//! province's own list (`set_checklist`, page /staff/dossier-checklist).

use std::io::Write;

use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::criteria::NtmLevel;
use xaso_domain::units::Unit;
use xaso_storage::evidence::{self as db, DossierFileRow};
use xaso_storage::{Files, Store};

use crate::criteria::{check_year, unit_in_year};
use crate::error::Problem;
use crate::evidence::check_file;
use crate::{authz, Actor, Error, Result};

/// One document the dossier needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    /// The platform makes it (the assessment report) instead of someone uploading it.
    #[serde(default)]
    pub generated: bool,
}

/// The key of the generated report, always the first item.
pub const REPORT_KEY: &str = "bao-cao";
/// Settings key holding a province's own checklist (JSON); absent means the default.
const CHECKLIST_SETTING: &str = "dossier.checklist";

/// The checklist shipped with the platform (see the module note on where it comes from).
pub const DEFAULT_CHECKLIST: &[(&str, &str, &str, bool)] = &[
    (
        "to-trinh",
        "Tờ trình đề nghị thẩm tra, xét công nhận của UBND xã",
        "The commune's request for verification and recognition",
        false,
    ),
    (
        "bao-cao",
        "Báo cáo kết quả thực hiện các tiêu chí (do nền tảng lập từ số liệu đã nhập)",
        "Report on the criteria (generated from the entered data)",
        true,
    ),
    (
        "y-kien-mttq",
        "Báo cáo tổng hợp ý kiến tham gia của MTTQ và các tổ chức chính trị - xã hội",
        "Summary of comments by the Fatherland Front and socio-political organisations",
        false,
    ),
    (
        "hai-long",
        "Kết quả lấy ý kiến sự hài lòng của người dân",
        "Results of the residents' satisfaction survey",
        false,
    ),
    (
        "cong-khai",
        "Biên bản, hình ảnh công khai báo cáo để lấy ý kiến nhân dân",
        "Records of publishing the report for residents' comments",
        false,
    ),
    (
        "bien-ban-hop",
        "Biên bản họp đề nghị xét, công nhận",
        "Minutes of the meeting proposing recognition",
        false,
    ),
];

fn default_checklist() -> Vec<Item> {
    DEFAULT_CHECKLIST
        .iter()
        .map(|(key, vi, en, generated)| Item {
            key: key.to_string(),
            name_vi: vi.to_string(),
            name_en: en.to_string(),
            generated: *generated,
        })
        .collect()
}

/// The checklist in force: the province's own, or the default.
pub async fn checklist(store: &Store) -> Result<Vec<Item>> {
    let mut conn = store.read().await?;
    match xaso_storage::settings::get(&mut conn, CHECKLIST_SETTING).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::Internal(format!("stored dossier checklist is unreadable: {e}"))),
        None => Ok(default_checklist()),
    }
}

/// The checklist as editable text: one document per line, `key | Vietnamese name | English
/// name`. The generated report is not listed; it is always first.
pub fn checklist_text(items: &[Item]) -> String {
    items
        .iter()
        .filter(|i| !i.generated)
        .map(|i| format!("{} | {} | {}\n", i.key, i.name_vi, i.name_en))
        .collect()
}

/// Replaces the checklist (administrators). Every line is checked and every problem named by
/// line; an item that already holds uploaded files cannot be dropped. Audited.
pub async fn set_checklist(store: &Store, actor: &Actor, text: &str) -> Result<Vec<Item>> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let mut items = vec![default_checklist()
        .into_iter()
        .find(|i| i.generated)
        .expect("the default checklist has the report")];
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {}", n + 1);
        let line = xaso_domain::text::clean(line);
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (key, vi, en) = match parts.as_slice() {
            [k, vi] => (*k, *vi, ""),
            [k, vi, en] => (*k, *vi, *en),
            _ => {
                problems.push(Problem::new(
                    at,
                    "write key | Vietnamese name | English name",
                ));
                continue;
            }
        };
        if key.is_empty()
            || key.len() > 40
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(Problem::new(
                at,
                "the key uses a-z, 0-9 and - only (at most 40)",
            ));
            continue;
        }
        if key == REPORT_KEY || items.iter().any(|i| i.key == key) {
            problems.push(Problem::new(at, format!("key `{key}` appears twice")));
            continue;
        }
        if vi.is_empty() {
            problems.push(Problem::new(at, "the document needs a Vietnamese name"));
            continue;
        }
        items.push(Item {
            key: key.to_string(),
            name_vi: vi.to_string(),
            name_en: if en.is_empty() { vi } else { en }.to_string(),
            generated: false,
        });
    }
    if items.len() > 41 {
        problems.push(Problem::new("text", "at most 40 documents"));
    }
    let before = checklist(store).await?;
    let mut tx = store.begin().await?;
    for old in before.iter().filter(|o| !o.generated) {
        if !items.iter().any(|i| i.key == old.key)
            && db::dossier_item_files(tx.conn(), &old.key).await? > 0
        {
            problems.push(Problem::new(
                "text",
                format!(
                    "`{}` already holds uploaded files and cannot be dropped",
                    old.key
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let json = serde_json::to_string(&items).map_err(|e| Error::Internal(e.to_string()))?;
    xaso_storage::settings::set(tx.conn(), CHECKLIST_SETTING, &json).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "dossier_checklist",
            record_id: CHECKLIST_SETTING,
            unit_id: None,
            before: Some(json!(before.iter().map(|i| &i.key).collect::<Vec<_>>())),
            after: Some(json!(items.iter().map(|i| &i.key).collect::<Vec<_>>())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(items)
}

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
    let items = checklist(store)
        .await?
        .into_iter()
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
            (i, files)
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
    let list = checklist(store).await?;
    let Some(entry) = list.iter().find(|i| i.key == item && !i.generated) else {
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
    for (n, item) in d.items.iter().map(|(i, _)| i).enumerate() {
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
    // A file shared by several indicators goes in once; the table of contents names them all.
    let mut stored: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    for e in &evidence {
        if let Some(path) = stored.get(e.object_key.as_str()) {
            contents.push_str(&format!(
                "{path} — minh chứng chỉ tiêu {} (cùng tệp)\n",
                e.indicator_code
            ));
            continue;
        }
        let base = format!(
            "minh-chung/{}-{}-{}",
            zip_name(&e.set_key),
            zip_name(&e.indicator_code),
            zip_name(&e.filename)
        );
        // Two uploads with the same name for one indicator get "(2)", "(3)" … in the ZIP.
        let mut path = base.clone();
        let mut n = 1;
        while !taken.insert(path.clone()) {
            n += 1;
            path = match base.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
                None => format!("{base} ({n})"),
            };
        }
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
        stored.insert(e.object_key.as_str(), path);
    }
    out.start_file("muc-luc.txt", opts).map_err(zip_err)?;
    out.write_all(contents.as_bytes()).map_err(io_err)?;
    let bytes = out.finish().map_err(zip_err)?.into_inner();
    Ok((
        format!("ho-so-{}-{year}-{}.zip", d.unit.code, level.as_str()),
        bytes,
    ))
}
