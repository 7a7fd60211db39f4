//! A case's photos: resized by the queue, sent to those who may see them, hidden by staff.

use super::*;
use crate::queue::{Handler, Outcome};

/// Resizes an uploaded photo (the [`JOB_PHOTO`] job): the stored picture becomes a JPEG of at
/// most 1600 px without the camera's metadata, with a thumbnail; the upload is removed.
pub async fn process_photo(store: &Store, files: &Files, photo_id: &str) -> Result<()> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    if row.thumb_key.is_some() {
        return Ok(());
    }
    let bytes = files
        .get(&row.object_key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let processed = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let (w, h, size) = (
        processed.width as i64,
        processed.height as i64,
        processed.full.len() as i64,
    );
    let (full, thumb) = crate::heritage::put_photo(
        files,
        &format!("feedback/{}", row.case_id),
        &row.id,
        processed,
    )
    .await?;
    let mut tx = store.begin().await?;
    db::photo_processed(tx.conn(), &row.id, &full, &thumb, w, h, size).await?;
    tx.commit().await?;
    if let Err(e) = files.delete(&row.object_key).await {
        tracing::warn!(error = %e, key = %row.object_key, "uploaded photo left behind");
    }
    Ok(())
}

/// A case's photo (resized JPEG, or its thumbnail): public once resized (resizing drops the
/// camera's metadata) unless staff hid it; a hidden one only for the case's handlers.
pub async fn photo_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
    thumb: bool,
) -> Result<Vec<u8>> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let Some(thumb_key) = &row.thumb_key else {
        return Err(Error::NotFound);
    };
    if row.hidden != 0 {
        let commune = {
            let mut conn = store.read().await?;
            db::case_by_id(&mut conn, &row.case_id)
                .await?
                .ok_or(Error::NotFound)?
                .commune_id
        };
        if !handles(store, actor, &commune).await? {
            // Not "forbidden": a visitor must not learn that a hidden photo exists.
            return Err(Error::NotFound);
        }
    }
    let key = if thumb { thumb_key } else { &row.object_key };
    files
        .get(key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Hides a case's photo from the public (a face, a private paper in the picture), or shows it
/// again. The case's handlers only; audited.
pub async fn set_photo_hidden(
    store: &Store,
    actor: Option<&Actor>,
    photo_id: &str,
    hidden: bool,
) -> Result<i64> {
    let photo = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (row, actor) = load_for_staff(store, actor, &photo.case_id).await?;
    let mut tx = store.begin().await?;
    db::set_photo_hidden(tx.conn(), photo_id, hidden).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "feedback_case",
            record_id: &row.id,
            unit_id: Some(&row.commune_id),
            before: Some(json!({"photo": photo_id, "hidden": photo.hidden != 0})),
            after: Some(json!({"photo": photo_id, "hidden": hidden})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.number)
}

/// Runs [`JOB_PHOTO`] jobs: resizes uploaded photos.
pub struct PhotoJob {
    pub store: Store,
    pub files: xaso_storage::Files,
}

impl Handler for PhotoJob {
    fn run<'a>(&'a self, job: &'a crate::queue::Running) -> Outcome<'a> {
        let payload = &job.payload;
        Box::pin(async move {
            let id = payload.get("photo").and_then(|v| v.as_str()).unwrap_or("");
            match process_photo(&self.store, &self.files, id).await {
                Ok(()) | Err(crate::Error::NotFound) => Ok(()),
                // A file that looked like a photo but does not decode stays unshown; trying
                // again would not help.
                Err(crate::Error::Invalid(_)) => {
                    tracing::warn!(
                        photo = id,
                        "feedback photo could not be decoded; left unshown"
                    );
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        })
    }
}
