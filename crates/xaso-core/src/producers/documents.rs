//! The papers a producer registers with: its business registration, the food-safety
//! certificate of its premises, land-use or lease papers. The commune reads them before it
//! approves; they are private to the producer's account and the commune (never public, not in
//! the read API), and every upload and removal is audited.

use serde_json::json;
use xaso_storage::files::Files;
use xaso_storage::producers::{self as db, DocumentRow};
use xaso_storage::Store;

use crate::catalogue::{document_type, Upload, MAX_UPLOAD_BYTES};
use crate::error::Problem;
use crate::{Actor, Error, Result};

/// Documents per producer, at most.
pub const MAX_DOCUMENTS: usize = 12;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Giấy chứng nhận đăng ký hộ kinh doanh / doanh nghiệp / hợp tác xã.
    BusinessRegistration,
    /// Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm.
    FoodSafety,
    /// Giấy tờ đất, hợp đồng thuê đất hoặc mặt bằng.
    LandUse,
    Other,
}

impl DocKind {
    pub const ALL: [DocKind; 4] = [
        DocKind::BusinessRegistration,
        DocKind::FoodSafety,
        DocKind::LandUse,
        DocKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::BusinessRegistration => "business_registration",
            DocKind::FoodSafety => "food_safety",
            DocKind::LandUse => "land_use",
            DocKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A stored document, as its readers see it.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub kind: DocKind,
    pub title: String,
    pub file_name: String,
    pub file_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

fn to_doc(r: DocumentRow) -> Document {
    Document {
        kind: DocKind::parse(&r.kind).unwrap_or(DocKind::Other),
        id: r.id,
        title: r.title,
        file_name: r.file_name,
        file_type: r.file_type,
        size_bytes: r.size_bytes,
        uploaded_by: r.uploaded_by,
        uploaded_at: r.uploaded_at,
    }
}

/// The producer's commune id and the acting account, when the actor may read and change the
/// producer's papers (its own account, or the commune and the area above it).
async fn private_access(
    store: &Store,
    actor: Option<&Actor>,
    producer_id: &str,
) -> Result<(String, Actor)> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let (producer, rights) = super::get(store, actor, producer_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    Ok((producer.commune.id, actor_ref.clone()))
}

/// A producer's documents, for its account and the commune only.
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    producer_id: &str,
) -> Result<Vec<Document>> {
    private_access(store, actor, producer_id).await?;
    let mut conn = store.read().await?;
    Ok(db::documents_of(&mut conn, producer_id)
        .await?
        .into_iter()
        .map(to_doc)
        .collect())
}

/// Adds a document (a PDF or a photo of the paper, told by its first bytes).
pub async fn add(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    producer_id: &str,
    kind: &str,
    title: &str,
    file: Option<Upload>,
) -> Result<Document> {
    let (commune_id, actor) = private_access(store, actor, producer_id).await?;
    let mut problems = Vec::new();
    let kind = DocKind::parse(kind);
    if kind.is_none() {
        problems.push(Problem::new("kind", "choose what the document is"));
    }
    let title = xaso_domain::text::clean(title);
    if title.chars().count() > 200 {
        problems.push(Problem::new(
            "title",
            "the title is too long (200 characters at most)",
        ));
    }
    let typed = match &file {
        None => {
            problems.push(Problem::new("file", "choose the file to upload"));
            None
        }
        Some(f) if f.bytes.is_empty() => {
            problems.push(Problem::new("file", "choose the file to upload"));
            None
        }
        Some(f) if f.bytes.len() > MAX_UPLOAD_BYTES => {
            problems.push(Problem::new("file", "the document is larger than 20 MB"));
            None
        }
        Some(f) => {
            let t = document_type(&f.bytes);
            if t.is_none() {
                problems.push(Problem::new(
                    "file",
                    "the document must be a PDF, JPEG or PNG",
                ));
            }
            t
        }
    };
    let existing = {
        let mut conn = store.read().await?;
        db::documents_of(&mut conn, producer_id).await?.len()
    };
    if existing >= MAX_DOCUMENTS {
        problems.push(Problem::new(
            "file",
            format!("a producer keeps {MAX_DOCUMENTS} documents at most: remove one first"),
        ));
    }
    let (Some(kind), Some(file), Some((mime, ext)), true) =
        (kind, file, typed, problems.is_empty())
    else {
        return Err(Error::Invalid(problems));
    };
    let id = xaso_storage::new_id();
    let key = format!("producer-documents/{producer_id}/{id}.{ext}");
    let row = DocumentRow {
        id: id.clone(),
        producer_id: producer_id.into(),
        kind: kind.as_str().into(),
        title,
        object_key: key.clone(),
        file_name: file
            .name
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect(),
        file_type: mime.into(),
        size_bytes: file.bytes.len() as i64,
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    files
        .put(&key, file.bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let written = async {
        db::insert_document(tx.conn(), &row).await?;
        crate::audit::record(
            &mut tx,
            &actor,
            crate::audit::Change {
                action: "create",
                record_type: "producer_document",
                record_id: &id,
                unit_id: Some(&commune_id),
                before: None,
                after: Some(
                    json!({"producer": producer_id, "kind": row.kind, "title": row.title,
                    "file": row.file_name, "bytes": row.size_bytes}),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = written {
        // No record, no file: the stored bytes go too.
        let _ = files.delete(&key).await;
        return Err(e);
    }
    Ok(to_doc(row))
}

async fn row(store: &Store, id: &str) -> Result<DocumentRow> {
    let mut conn = store.read().await?;
    db::document(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// A document's file: (bytes, content type, file name), for the producer's account and the
/// commune; anyone else is told it does not exist.
pub async fn file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(Vec<u8>, String, String)> {
    let row = row(store, id).await?;
    match private_access(store, actor, &row.producer_id).await {
        Ok(_) => {}
        Err(Error::Forbidden) => return Err(Error::NotFound),
        Err(e) => return Err(e),
    }
    let bytes = files
        .get(&row.object_key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((bytes, row.file_type, row.file_name))
}

/// Removes a document; returns its producer's id.
pub async fn remove(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<String> {
    let row = row(store, id).await?;
    let (commune_id, actor) = private_access(store, actor, &row.producer_id).await?;
    let mut tx = store.begin().await?;
    db::delete_document(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "producer_document",
            record_id: id,
            unit_id: Some(&commune_id),
            before: Some(
                json!({"producer": row.producer_id, "kind": row.kind, "title": row.title,
                "file": row.file_name}),
            ),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "producer document file left behind");
    }
    Ok(row.producer_id)
}
