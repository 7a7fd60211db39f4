//! Text bulletins spoken on loudspeakers: a text-to-speech engine behind a small interface.
//! The default is espeak-ng's Vietnamese voice from Debian (offline); any other engine, a
//! cloud one included, plugs in as a command that reads the text on its standard input and
//! writes a WAV, MP3 or Ogg recording on its standard output (`XASO_TTS_COMMAND`). Speech is
//! made through the job queue whenever a text bulletin's text is written, and kept like an
//! uploaded recording (its length measured the same way).

use std::process::Stdio;
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use xaso_domain::broadcast::BulletinKind;
use xaso_storage::broadcast::{self as db, BulletinRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use crate::queue::{Handler, Outcome, Running};

/// The job that makes a text bulletin's speech.
pub const JOB_SPEAK: &str = "broadcast.speak";

/// A text-to-speech engine.
pub trait Speech: Send + Sync {
    /// A recording of the text (WAV, MP3 or Ogg), or why not.
    fn speak<'a>(
        &'a self,
        text: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send + 'a>>;
}

/// An engine run as a command: the text on its input, the recording on its output.
#[derive(Debug, Clone)]
pub struct CommandSpeech {
    pub program: String,
    pub args: Vec<String>,
}

impl CommandSpeech {
    /// espeak-ng's Vietnamese voice, writing a WAV to its output.
    pub fn espeak() -> CommandSpeech {
        CommandSpeech {
            program: "espeak-ng".into(),
            args: ["-v", "vi", "-s", "150", "--stdout"]
                .map(String::from)
                .to_vec(),
        }
    }

    /// `XASO_TTS_COMMAND` (a program and its arguments, split at spaces) or espeak-ng.
    pub fn from_env() -> CommandSpeech {
        match std::env::var("XASO_TTS_COMMAND") {
            Ok(c) if !c.trim().is_empty() => {
                let mut parts = c.split_whitespace().map(String::from);
                CommandSpeech {
                    program: parts.next().unwrap_or_default(),
                    args: parts.collect(),
                }
            }
            _ => CommandSpeech::espeak(),
        }
    }
}

impl Speech for CommandSpeech {
    fn speak<'a>(
        &'a self,
        text: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send + 'a>>
    {
        Box::pin(async move {
            let mut child = tokio::process::Command::new(&self.program)
                .args(&self.args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("the speech engine `{}` cannot start: {e}", self.program))?;
            let mut input = child.stdin.take().ok_or("no input to the speech engine")?;
            let text = text.to_string();
            let feed = tokio::spawn(async move {
                let _ = input.write_all(text.as_bytes()).await;
                let _ = input.shutdown().await;
            });
            let out = tokio::time::timeout(
                std::time::Duration::from_secs(120),
                child.wait_with_output(),
            )
            .await
            .map_err(|_| "the speech engine took longer than two minutes".to_string())?
            .map_err(|e| format!("the speech engine failed: {e}"))?;
            let _ = feed.await;
            if !out.status.success() {
                return Err(format!(
                    "the speech engine failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ));
            }
            Ok(out.stdout)
        })
    }
}

/// The digest of a text, to tell whether speech was made of the text as it is now.
pub fn text_digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

/// Queues the speech of a text bulletin (inside the transaction that wrote its text).
pub async fn enqueue(tx: &mut xaso_storage::Tx, row: &BulletinRow) -> crate::Result<()> {
    if row.kind != BulletinKind::Text.as_str() {
        return Ok(());
    }
    crate::queue::enqueue(
        tx,
        JOB_SPEAK,
        &json!({"bulletin": row.id, "text": text_digest(&row.body)}),
        crate::queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Runs [`JOB_SPEAK`]: speaks the text, measures it, keeps it as the bulletin's recording.
/// The bulletin keeps its state: its text was what was approved.
pub struct SpeakJob {
    pub store: Store,
    pub files: Files,
    pub speech: Arc<dyn Speech>,
}

impl SpeakJob {
    async fn run_one(&self, job: &Running) -> Result<(), String> {
        let id = job.payload["bulletin"].as_str().unwrap_or_default();
        let row = {
            let mut conn = self.store.read().await.map_err(|e| e.to_string())?;
            db::bulletin(&mut conn, id)
                .await
                .map_err(|e| e.to_string())?
        };
        // Gone, not a text, or its text changed since (a newer job speaks that one).
        let Some(row) = row.filter(|r| {
            r.kind == BulletinKind::Text.as_str()
                && job.payload["text"].as_str() == Some(text_digest(&r.body).as_str())
        }) else {
            return Ok(());
        };
        let mut audio = self.speech.speak(&row.body).await?;
        super::media::repair_wav(&mut audio);
        let info = super::media::audio_info(&audio)
            .map_err(|e| format!("the speech engine's output: {e}"))?;
        let sha = hex::encode(Sha256::digest(&audio));
        let key = format!("bulletins/{}/{sha}.{}", row.id, info.extension);
        let size = audio.len() as i64;
        self.files
            .put(&key, audio)
            .await
            .map_err(|e| e.to_string())?;
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        // Written only if the text is still the one spoken.
        let now = db::bulletin(tx.conn(), &row.id)
            .await
            .map_err(|e| e.to_string())?;
        if now.as_ref().is_some_and(|n| n.body == row.body) {
            let now = now.expect("checked");
            db::save_bulletin(
                tx.conn(),
                &BulletinRow {
                    media_key: Some(key),
                    media_type: Some(info.mime.into()),
                    media_bytes: Some(size),
                    media_sha256: Some(sha),
                    duration_ms: info.duration_ms,
                    ..now
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            db::bump_version(tx.conn())
                .await
                .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Handler for SpeakJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.run_one(job))
    }
}
