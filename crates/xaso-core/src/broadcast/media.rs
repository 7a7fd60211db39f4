//! A bulletin's media: its recording (MP3, Ogg Vorbis or WAV, told by its content; its length
//! read from the file, not trusted from the client) or a slide's picture (resized like heritage
//! photos). Stored in the file store under a name made of its digest, so a device's cache can
//! keep it forever.

use serde_json::json;
use sha2::{Digest, Sha256};
use xaso_domain::broadcast::{BulletinKind, BulletinStatus};
use xaso_storage::broadcast::{self as db, BulletinRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{bulletin, Bulletin, Units};
use crate::upload::Spooled;
use crate::{Actor, Error, Result};

/// The largest recording taken (a half-hour bulletin in MP3 at 128 kbit/s is about 29 MB).
pub const MAX_AUDIO_BYTES: usize = 60 * 1024 * 1024;

/// What a recording is, read from its content.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// audio/mpeg, audio/ogg or audio/wav
    pub mime: &'static str,
    pub extension: &'static str,
    pub duration_ms: i64,
}

/// Reads a recording's format and length. Refuses what is not MP3, Ogg Vorbis or WAV audio.
pub fn audio_info(bytes: &[u8]) -> std::result::Result<AudioInfo, String> {
    audio_info_of(bytes, Box::new(std::io::Cursor::new(bytes.to_vec())))
}

/// [`audio_info`] of a recording kept in a file, read from the file as needed.
pub fn audio_info_file(path: &std::path::Path) -> std::result::Result<AudioInfo, String> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| format!("the recording cannot be read: {e}");
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(16)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    audio_info_of(
        &head,
        Box::new(std::fs::File::open(path).map_err(unreadable)?),
    )
}

/// `head` is the recording's first bytes (at least 12 when it has them), `source` all of it.
fn audio_info_of(
    bytes: &[u8],
    source: Box<dyn symphonia::core::io::MediaSource>,
) -> std::result::Result<AudioInfo, String> {
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let (mime, extension) = if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        ("audio/wav", "wav")
    } else if bytes.starts_with(b"OggS") {
        ("audio/ogg", "ogg")
    } else if bytes.starts_with(b"ID3")
        || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0)
    {
        ("audio/mpeg", "mp3")
    } else {
        return Err("not an MP3, Ogg or WAV recording".into());
    };
    let mut hint = Hint::new();
    hint.with_extension(extension);
    let source = MediaSourceStream::new(source, Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| format!("the recording cannot be read: {e}"))?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or("the file holds no audio")?
        .clone();
    let params = &track.codec_params;
    let time_base = params
        .time_base
        .or_else(|| {
            params
                .sample_rate
                .map(|r| symphonia::core::units::TimeBase::new(1, r))
        })
        .ok_or("the recording does not say its sample rate")?;
    // The length the container states; else the sum of its packets' lengths (MP3 without a
    // header that states it), read without decoding.
    let frames = match params.n_frames {
        Some(n) => n,
        None => {
            let mut total = 0u64;
            loop {
                match format.next_packet() {
                    Ok(p) if p.track_id() == track.id => total += p.dur,
                    Ok(_) => {}
                    Err(symphonia::core::errors::Error::IoError(e))
                        if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                    {
                        break
                    }
                    Err(e) => return Err(format!("the recording is damaged: {e}")),
                }
            }
            total
        }
    };
    let t = time_base.calc_time(frames);
    let duration_ms = (t.seconds as f64 * 1000.0 + t.frac * 1000.0).round() as i64;
    if duration_ms < 500 {
        return Err("the recording is shorter than half a second".into());
    }
    if duration_ms > 3 * 3600 * 1000 {
        return Err("the recording is longer than three hours".into());
    }
    Ok(AudioInfo {
        mime,
        extension,
        duration_ms,
    })
}

/// Puts the real sizes into a WAV written as a stream (espeak-ng's `--stdout`, a recorder cut
/// off), whose header promises ~2 GB because the writer did not know the length yet. Other
/// files are left as they are.
pub fn repair_wav(bytes: &mut [u8]) {
    let total = bytes.len();
    repair_wav_head(bytes, total);
}

/// [`repair_wav`] on the first bytes of a file of `total` bytes (the chunks the head holds).
fn repair_wav_head(bytes: &mut [u8], total: usize) {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return;
    }
    let riff = u32::try_from(total - 8).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        if &bytes[at..at + 4] == b"data" {
            let real = u32::try_from(total - at - 8).unwrap_or(u32::MAX);
            if size > total - at - 8 {
                bytes[at + 4..at + 8].copy_from_slice(&real.to_le_bytes());
            }
            return;
        }
        at += 8 + size + (size & 1);
    }
}

/// Reads an uploaded recording where it waits on disk (a blocking task): a streamed WAV's
/// sizes repaired, its format and length, and its SHA-256 in hex.
pub(crate) async fn read_recording(upload: Spooled) -> Result<(Spooled, AudioInfo, String)> {
    tokio::task::spawn_blocking(move || {
        let io = |e: std::io::Error| Error::Internal(format!("the upload's temporary file: {e}"));
        let mut head = upload.head(64 * 1024).map_err(io)?;
        let before = head.clone();
        repair_wav_head(&mut head, upload.len as usize);
        if head != before {
            upload.set_head(&head).map_err(io)?;
        }
        let info = audio_info_file(upload.path()).map_err(|why| Error::invalid("audio", why))?;
        let sha = upload.sha256_hex().map_err(io)?;
        Ok((upload, info, sha))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Keeps new media for a bulletin: the row's media fields and length change, an approved
/// bulletin goes back to draft (what airs must be approved as it is), and it is audited.
async fn keep(
    store: &Store,
    actor: &Actor,
    b: &Bulletin,
    media: (String, &str, i64, String),
    duration_ms: i64,
) -> Result<Bulletin> {
    let (key, mime, bytes, sha) = media;
    let row = BulletinRow {
        media_key: Some(key),
        media_type: Some(mime.into()),
        media_bytes: Some(bytes),
        media_sha256: Some(sha.clone()),
        duration_ms,
        status: BulletinStatus::Draft.as_str().into(),
        approved_by: None,
        approved_at: None,
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..b.row.clone()
    };
    let mut tx = store.begin().await?;
    db::save_bulletin(tx.conn(), &row).await?;
    if b.status == BulletinStatus::Approved {
        db::bump_version(tx.conn()).await?;
    }
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "bulletin",
            record_id: &row.id,
            unit_id: Some(&row.unit_id),
            before: Some(json!({"media_sha256": b.row.media_sha256, "status": b.row.status})),
            after: Some(
                json!({"media_sha256": sha, "media_type": mime, "duration_ms": duration_ms,
                                "status": row.status}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Units::default().bulletin(store, row).await
}

/// Sets an audio bulletin's recording.
pub async fn set_audio(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    upload: Option<Spooled>,
) -> Result<Bulletin> {
    let b = bulletin(store, actor, id).await?;
    let a = actor.expect("bulletin() checked the actor");
    if b.kind != BulletinKind::Audio {
        return Err(Error::invalid(
            "audio",
            "only an audio bulletin has a recording",
        ));
    }
    if b.status == BulletinStatus::Withdrawn {
        return Err(Error::Conflict("a withdrawn bulletin cannot change".into()));
    }
    let upload = upload
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::invalid("audio", "choose the recording to upload"))?;
    if upload.len > MAX_AUDIO_BYTES as u64 {
        return Err(Error::invalid(
            "audio",
            "the recording is larger than 60 MB",
        ));
    }
    let (upload, info, sha) = read_recording(upload).await?;
    let key = format!("bulletins/{}/{sha}.{}", b.row.id, info.extension);
    let size = files
        .put_file(&key, upload.path())
        .await
        .map_err(|e| Error::Internal(e.to_string()))? as i64;
    keep(store, a, &b, (key, info.mime, size, sha), info.duration_ms).await
}

/// Sets a slide's picture (JPEG, PNG or WebP; kept as a resized JPEG).
pub async fn set_slide(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
    upload: Option<Spooled>,
) -> Result<Bulletin> {
    let b = bulletin(store, actor, id).await?;
    let a = actor.expect("bulletin() checked the actor");
    if b.kind != BulletinKind::Slide {
        return Err(Error::invalid("image", "only a slide has a picture"));
    }
    if b.status == BulletinStatus::Withdrawn {
        return Err(Error::Conflict("a withdrawn bulletin cannot change".into()));
    }
    let upload = upload
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::invalid("image", "choose the picture to upload"))?;
    if upload.len > crate::catalogue::MAX_UPLOAD_BYTES as u64 {
        return Err(Error::invalid("image", "the picture is larger than 20 MB"));
    }
    // A picture is decoded and resized in memory anyway (20 MB at most).
    let bytes = tokio::fs::read(upload.path())
        .await
        .map_err(|e| Error::Internal(format!("the upload's temporary file: {e}")))?;
    let p = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|_| {
            Error::invalid(
                "image",
                "the picture must be a JPEG, PNG or WebP we can read",
            )
        })?;
    let sha = digest(&p.full);
    let key = format!("bulletins/{}/{sha}.jpg", b.row.id);
    let size = p.full.len() as i64;
    files
        .put(&key, p.full)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let show = b.row.duration_ms;
    keep(store, a, &b, (key, "image/jpeg", size, sha), show).await
}

/// A bulletin's media for its writers (a preview on its page).
/// Where: (file key, media type, size in bytes).
pub async fn preview(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(String, String, u64)> {
    let b = bulletin(store, actor, id).await?;
    let key = b.row.media_key.ok_or(Error::NotFound)?;
    let mime = b
        .row
        .media_type
        .unwrap_or_else(|| "application/octet-stream".into());
    Ok((key, mime, b.row.media_bytes.unwrap_or(0).max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(ms: i64, want: i64) -> bool {
        // An MP3 may count its encoder's padding: a frame or two (26–72 ms each).
        (ms - want).abs() <= 150
    }

    #[test]
    fn recordings_are_told_by_content_and_measured() {
        for (file, mime) in [
            (
                &include_bytes!("../../tests/fixtures/tone-3s.mp3")[..],
                "audio/mpeg",
            ),
            (
                &include_bytes!("../../tests/fixtures/tone-3s-notag.mp3")[..],
                "audio/mpeg",
            ),
            (
                &include_bytes!("../../tests/fixtures/tone-3s.ogg")[..],
                "audio/ogg",
            ),
        ] {
            let info = audio_info(file).unwrap();
            assert_eq!(info.mime, mime);
            assert!(
                about(info.duration_ms, 3000),
                "{mime}: {} ms",
                info.duration_ms
            );
        }
    }

    #[test]
    fn a_wav_written_as_a_stream_gets_its_real_sizes() {
        // As espeak-ng --stdout writes it: sizes of ~2 GB in the header.
        let mut wav = b"RIFF\x24\xf0\xff\x7fWAVEfmt ".to_vec();
        wav.extend_from_slice(&[
            16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
        ]);
        wav.extend_from_slice(b"data\x00\xf0\xff\x7f");
        wav.extend(std::iter::repeat_n(0u8, 16000 * 2)); // two seconds at 8 kHz
        assert!(audio_info(&wav).is_err(), "as written, it claims hours");
        repair_wav(&mut wav);
        let info = audio_info(&wav).unwrap();
        assert_eq!(info.duration_ms, 2000);
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize,
            wav.len() - 8
        );
    }

    /// The same streamed WAV, uploaded: repaired and measured where it waits on disk, and its
    /// digest is of the repaired file.
    #[tokio::test]
    async fn a_spooled_streamed_wav_is_repaired_on_disk() {
        let mut wav = b"RIFF\x24\xf0\xff\x7fWAVEfmt ".to_vec();
        wav.extend_from_slice(&[
            16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
        ]);
        wav.extend_from_slice(b"data\x00\xf0\xff\x7f");
        wav.extend(std::iter::repeat_n(0u8, 16000 * 3));
        let upload = Spooled::from_bytes("rec.wav", &wav).unwrap();
        let (upload, info, sha) = read_recording(upload).await.unwrap();
        assert_eq!((info.mime, info.duration_ms), ("audio/wav", 3000));
        let on_disk = std::fs::read(upload.path()).unwrap();
        assert_eq!(on_disk.len(), wav.len());
        repair_wav(&mut wav);
        assert_eq!(on_disk, wav);
        assert_eq!(sha, digest(&wav));
        let pdf = Spooled::from_bytes("x.mp3", b"%PDF-1.7 not audio").unwrap();
        assert!(matches!(read_recording(pdf).await, Err(Error::Invalid(_))));
    }

    #[test]
    fn what_is_not_a_recording_is_refused() {
        assert!(audio_info(b"%PDF-1.7 not audio")
            .unwrap_err()
            .contains("not an MP3"));
        let mut cut = include_bytes!("../../tests/fixtures/tone-3s.ogg")[..200].to_vec();
        cut.extend_from_slice(&[0u8; 64]);
        assert!(audio_info(&cut).is_err(), "a damaged file");
        // A WAV header promising data that is not there is too short to air.
        let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        wav.extend_from_slice(&[
            16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
        ]);
        wav.extend_from_slice(b"data\x00\x00\x00\x00");
        assert!(audio_info(&wav).is_err());
    }
}
