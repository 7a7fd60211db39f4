//! An alert's sound: the speech made for it through the job queue, the officer's own
//! recording that may replace it, and the file devices fetch.

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use sha2::{Digest, Sha256};
use xaso_domain::alerts::spoken_text;
use xaso_storage::alerts::{self as db, AlertRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::hub::Hub;
use super::{area_ids, latest_for_writing, message, publish};
use crate::broadcast::devices::Player;
use crate::broadcast::speech::Speech;
use crate::queue::{Handler, Outcome, Running};
use crate::{Actor, Error, Result};

/// Where the speech of a message for a device of its area is kept: (file key, media type).
pub async fn audio(store: &Store, player: &Player, alert_id: &str) -> Result<(String, String)> {
    let row = message(store, alert_id).await?;
    if !area_ids(&row).iter().any(|u| player.unit_ids.contains(u)) {
        return Err(Error::NotFound);
    }
    let key = row.audio_key.ok_or(Error::NotFound)?;
    Ok((key, row.audio_type.unwrap_or_else(|| "audio/wav".into())))
}

/// Replaces a message's machine speech with the officer's own recording (MP3, Ogg or WAV, at
/// most 60 MB): kept like the speech, and the devices are told again with `audio: true`, so
/// those that have not aired it yet air the recording. The alert's issuers, while it is in force.
pub async fn set_recording(
    store: &Store,
    files: &Files,
    hub: &Hub,
    actor: Option<&Actor>,
    first_id: &str,
    upload: Option<crate::upload::Spooled>,
) -> Result<AlertRow> {
    let (unit, latest, _, a) = latest_for_writing(store, actor, first_id).await?;
    if xaso_domain::time::from_storage(&latest.expires_at).is_none_or(|e| e <= Utc::now()) {
        return Err(Error::Conflict("this alert is no longer in force".into()));
    }
    let upload = upload
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::invalid("audio", "choose the recording to upload"))?;
    if upload.len > crate::broadcast::media::MAX_AUDIO_BYTES as u64 {
        return Err(Error::invalid(
            "audio",
            "the recording is larger than 60 MB",
        ));
    }
    let (upload, info, sha) = crate::broadcast::media::read_recording(upload).await?;
    let key = format!("alerts/{}/{sha}.{}", latest.id, info.extension);
    files
        .put_file(&key, upload.path())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    db::set_audio(tx.conn(), &latest.id, &key, info.mime, info.duration_ms).await?;
    crate::audit::record(
        &mut tx,
        &a,
        crate::audit::Change {
            action: "record",
            record_type: "alert",
            record_id: &latest.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"audio": key, "duration_ms": info.duration_ms})),
        },
    )
    .await?;
    tx.commit().await?;
    let row = message(store, &latest.id).await?;
    publish(hub, &row);
    Ok(row)
}

/// Runs [`JOB_ALERT_SPEECH`]: speaks the message, keeps the recording, and tells the devices.
pub struct AlertSpeechJob {
    pub store: Store,
    pub files: Files,
    pub speech: Arc<dyn Speech>,
    pub hub: Hub,
}

impl AlertSpeechJob {
    async fn run_one(&self, job: &Running) -> std::result::Result<(), String> {
        let id = job.payload["alert"].as_str().unwrap_or_default();
        let Ok(row) = message(&self.store, id).await else {
            return Ok(());
        };
        // The officer's own recording came first: it stays.
        if row.audio_key.is_some() {
            return Ok(());
        }
        let text = spoken_text(&row.headline, &row.description, &row.instruction);
        let mut audio = self.speech.speak(&text).await?;
        crate::broadcast::media::repair_wav(&mut audio);
        let info = crate::broadcast::media::audio_info(&audio)
            .map_err(|e| format!("the speech engine's output: {e}"))?;
        let key = format!(
            "alerts/{}/{}.{}",
            row.id,
            hex::encode(Sha256::digest(&audio)),
            info.extension
        );
        self.files
            .put(&key, audio)
            .await
            .map_err(|e| e.to_string())?;
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        db::set_audio(tx.conn(), &row.id, &key, info.mime, info.duration_ms)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        let row = message(&self.store, id).await.map_err(|e| e.to_string())?;
        publish(&self.hub, &row);
        Ok(())
    }
}

impl Handler for AlertSpeechJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.run_one(job))
    }
}
