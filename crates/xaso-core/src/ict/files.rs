//! An asset's photos and papers: a photo of the device or its label, the invoice or handover
//! record, the warranty card, a manual. Staff of the asset's commune only (never public);
//! photos are kept resized with a thumbnail, papers as uploaded. Every upload and removal is
//! audited.

use serde_json::json;
use xaso_storage::files::Files;
use xaso_storage::ict::files::{self as db, FileRow};
use xaso_storage::Store;

use super::get;
use crate::catalogue::{document_type, Upload, MAX_UPLOAD_BYTES};
use crate::error::Problem;
use crate::{Actor, Error, Result};

/// Files per asset, at most.
pub const MAX_FILES: usize = 20;

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Ảnh thiết bị.
    Photo,
    /// Hóa đơn, biên bản bàn giao.
    Invoice,
    /// Phiếu bảo hành.
    Warranty,
    /// Giấy tờ khác (hướng dẫn sử dụng …).
    Other,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [
        FileKind::Photo,
        FileKind::Invoice,
        FileKind::Warranty,
        FileKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Photo => "photo",
            FileKind::Invoice => "invoice",
            FileKind::Warranty => "warranty",
            FileKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A stored file as staff see it.
#[derive(Debug, Clone)]
pub struct AssetFile {
    pub row: FileRow,
    pub kind: FileKind,
}

impl AssetFile {
    pub fn is_photo(&self) -> bool {
        self.row.thumb_key.is_some()
    }
}

/// An asset's files (the caller has read the asset with [`get`]).
pub async fn of(store: &Store, asset: &super::Asset) -> Result<Vec<AssetFile>> {
    let mut conn = store.read().await?;
    Ok(db::of_asset(&mut conn, &asset.row.id)
        .await?
        .into_iter()
        .map(|row| AssetFile {
            kind: FileKind::parse(&row.kind).unwrap_or(FileKind::Other),
            row,
        })
        .collect())
}

/// Adds a photo (JPEG, PNG or WebP, resized) or a paper (PDF, JPEG or PNG, told by its first
/// bytes) to an asset. Its commune's keepers only.
pub async fn add(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    asset_id: &str,
    kind: &str,
    title: &str,
    file: Option<Upload>,
) -> Result<AssetFile> {
    let asset = get(store, actor, asset_id).await?;
    let actor = actor.expect("get checked the actor");
    let mut problems = Vec::new();
    let kind = FileKind::parse(kind);
    if kind.is_none() {
        problems.push(Problem::new("kind", "choose what the file is"));
    }
    let title = xaso_domain::text::clean(title);
    if title.chars().count() > 200 {
        problems.push(Problem::new(
            "title",
            "the title is too long (200 characters at most)",
        ));
    }
    let file = match file {
        Some(f) if !f.bytes.is_empty() => Some(f),
        _ => {
            problems.push(Problem::new("file", "choose the file to upload"));
            None
        }
    };
    if file
        .as_ref()
        .is_some_and(|f| f.bytes.len() > MAX_UPLOAD_BYTES)
    {
        problems.push(Problem::new("file", "the file is larger than 20 MB"));
    }
    let existing = {
        let mut conn = store.read().await?;
        db::of_asset(&mut conn, &asset.row.id).await?.len()
    };
    if existing >= MAX_FILES {
        problems.push(Problem::new(
            "file",
            format!("an asset keeps {MAX_FILES} files at most: remove one first"),
        ));
    }
    let (Some(kind), Some(file), true) = (kind, file, problems.is_empty()) else {
        return Err(Error::Invalid(problems));
    };
    let id = xaso_storage::new_id();
    let dir = format!("ict/{}", asset.row.id);
    let name: String = file
        .name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let (object_key, thumb_key, file_type, size) = if kind == FileKind::Photo {
        let bytes = file.bytes;
        let p = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|_| {
                Error::invalid(
                    "file",
                    "a photo must be a JPEG, PNG or WebP picture we can read",
                )
            })?;
        let (full, thumb) = (format!("{dir}/{id}.jpg"), format!("{dir}/{id}-thumb.jpg"));
        let size = p.full.len() as i64;
        files
            .put(&full, p.full)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        files
            .put(&thumb, p.thumb)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        (full, Some(thumb), "image/jpeg".to_string(), size)
    } else {
        let (mime, ext) = document_type(&file.bytes)
            .ok_or_else(|| Error::invalid("file", "a paper must be a PDF, JPEG or PNG file"))?;
        let key = format!("{dir}/{id}.{ext}");
        let size = file.bytes.len() as i64;
        files
            .put(&key, file.bytes)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        (key, None, mime.to_string(), size)
    };
    let row = FileRow {
        id: id.clone(),
        asset_id: asset.row.id.clone(),
        kind: kind.as_str().into(),
        title,
        object_key,
        thumb_key,
        file_name: name,
        file_type,
        size_bytes: size,
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    let written = async {
        let mut tx = store.begin().await?;
        db::insert(tx.conn(), &row).await?;
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: "create",
                record_type: "ict_file",
                record_id: &id,
                unit_id: Some(&asset.row.unit_id),
                before: None,
                after: Some(
                    json!({"asset": row.asset_id, "kind": row.kind, "title": row.title,
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
        let _ = files.delete(&row.object_key).await;
        if let Some(t) = &row.thumb_key {
            let _ = files.delete(t).await;
        }
        return Err(e);
    }
    Ok(AssetFile { row, kind })
}

async fn row(store: &Store, actor: Option<&Actor>, id: &str) -> Result<(FileRow, super::Asset)> {
    actor.ok_or(Error::Unauthenticated)?;
    let row = {
        let mut conn = store.read().await?;
        db::get(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let asset = get(store, actor, &row.asset_id).await?;
    Ok((row, asset))
}

/// A file's bytes (or its thumbnail's): (bytes, content type, file name). The asset's keepers
/// only; anyone else signed in is told it does not exist.
pub async fn file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    thumb: bool,
) -> Result<(Vec<u8>, String, String)> {
    let (row, _) = match row(store, actor, id).await {
        Err(Error::Forbidden) => return Err(Error::NotFound),
        other => other?,
    };
    let key = match (&row.thumb_key, thumb) {
        (Some(t), true) => t.clone(),
        _ => row.object_key.clone(),
    };
    let bytes = files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((bytes, row.file_type, row.file_name))
}

/// Removes a file; returns its asset's id.
pub async fn remove(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<String> {
    let (row, asset) = row(store, actor, id).await?;
    let actor = actor.expect("row checked the actor");
    let mut tx = store.begin().await?;
    db::delete(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "delete",
            record_type: "ict_file",
            record_id: id,
            unit_id: Some(&asset.row.unit_id),
            before: Some(
                json!({"asset": row.asset_id, "kind": row.kind, "title": row.title,
                "file": row.file_name}),
            ),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    for key in std::iter::once(&row.object_key).chain(row.thumb_key.as_ref()) {
        if let Err(e) = files.delete(key).await {
            tracing::warn!(error = %e, key = %key, "asset file left behind");
        }
    }
    Ok(row.asset_id)
}
