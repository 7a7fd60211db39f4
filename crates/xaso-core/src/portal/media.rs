//! A post's picture (resized like heritage photos, camera metadata dropped, with a thumbnail;
//! its description is the image's text alternative) and its attached file (a document's PDF).
//! Readers get them when the post is live; its editors always. Changes are audited.

use chrono::{DateTime, Utc};
use serde_json::json;
use xaso_storage::files::Files;
use xaso_storage::portal as db;
use xaso_storage::Store;

use super::{get, get_for_editor, Post};
use crate::catalogue::{document_type, Upload, MAX_UPLOAD_BYTES};
use crate::{Actor, Error, Result};

async fn audit(store: &Store, actor: &Actor, post: &Post, what: serde_json::Value) -> Result<()> {
    let mut tx = store.begin().await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "portal_post",
            record_id: &post.row.id,
            unit_id: Some(&post.row.unit_id),
            before: None,
            after: Some(what),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a post's picture (JPEG, PNG or WebP) with its description for people who cannot see it.
pub async fn set_image(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    upload: Option<Upload>,
    alt: &str,
) -> Result<Post> {
    let post = get_for_editor(store, actor, id).await?;
    let actor = actor.expect("get_for_editor checked the actor");
    let alt = xaso_domain::text::clean(alt);
    let upload = upload
        .filter(|u| !u.bytes.is_empty())
        .ok_or_else(|| Error::invalid("image", "choose the picture to upload"))?;
    if upload.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid("image", "the picture is larger than 20 MB"));
    }
    if alt.chars().count() < 3 || alt.chars().count() > 300 {
        return Err(Error::invalid(
            "image_alt",
            "describe the picture in a few words (3 to 300 characters) for people who cannot see it",
        ));
    }
    let bytes = upload.bytes;
    let p = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|_| {
            Error::invalid(
                "image",
                "the picture must be a JPEG, PNG or WebP we can read",
            )
        })?;
    let n = xaso_storage::new_id();
    let (full, thumb) = (
        format!("portal/{}/{n}.jpg", post.row.id),
        format!("portal/{}/{n}-thumb.jpg", post.row.id),
    );
    let put = |k: String, b: Vec<u8>| async move {
        files
            .put(&k, b)
            .await
            .map_err(|e| Error::Internal(e.to_string()))
    };
    put(full.clone(), p.full).await?;
    put(thumb.clone(), p.thumb).await?;
    {
        let mut tx = store.begin().await?;
        db::set_image(tx.conn(), &post.row.id, Some(&full), Some(&thumb), &alt).await?;
        tx.commit().await?;
    }
    for old in [&post.row.image_key, &post.row.thumb_key]
        .into_iter()
        .flatten()
    {
        let _ = files.delete(old).await;
    }
    audit(store, actor, &post, json!({"image": alt})).await?;
    get_for_editor(store, Some(actor), id).await
}

/// Attaches a document's PDF (a PDF only, told by its first bytes).
pub async fn set_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    upload: Option<Upload>,
) -> Result<Post> {
    let post = get_for_editor(store, actor, id).await?;
    let actor = actor.expect("get_for_editor checked the actor");
    let upload = upload
        .filter(|u| !u.bytes.is_empty())
        .ok_or_else(|| Error::invalid("file", "choose the file to upload"))?;
    if upload.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid("file", "the file is larger than 20 MB"));
    }
    if document_type(&upload.bytes).map(|t| t.1) != Some("pdf") {
        return Err(Error::invalid("file", "the attached file must be a PDF"));
    }
    let name: String = upload
        .name
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let key = format!("portal/{}/{}.pdf", post.row.id, xaso_storage::new_id());
    let size = upload.bytes.len() as i64;
    files
        .put(&key, upload.bytes)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    {
        let mut tx = store.begin().await?;
        db::set_file(tx.conn(), &post.row.id, Some(&key), &name, Some(size)).await?;
        tx.commit().await?;
    }
    if let Some(old) = &post.row.file_key {
        let _ = files.delete(old).await;
    }
    audit(store, actor, &post, json!({"file": name, "bytes": size})).await?;
    get_for_editor(store, Some(actor), id).await
}

/// A post's picture (or its thumbnail) as JPEG, for anyone who may read the post.
pub async fn image(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    thumb: bool,
    now: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let post = get(store, actor, id, now).await?;
    let key = if thumb {
        post.row.thumb_key
    } else {
        post.row.image_key
    }
    .ok_or(Error::NotFound)?;
    files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// A post's attached PDF and its name, for anyone who may read the post.
pub async fn file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, String)> {
    let post = get(store, actor, id, now).await?;
    let key = post.row.file_key.ok_or(Error::NotFound)?;
    let bytes = files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((bytes, post.row.file_name))
}
