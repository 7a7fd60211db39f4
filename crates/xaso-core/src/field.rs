//! Offline field work: records made on a phone with no signal arrive later, each with the
//! phone's own key (a UUIDv7) and the time the phone recorded it. Every record goes through
//! the same use case as its online form (rights per unit, validation, audit); the receipt the
//! first audit entry writes makes a record sent twice count once. An edit made on an older copy
//! of a record comes back as a conflict for the person to settle, never as a silent overwrite.

mod forms;
pub mod reference;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use xaso_storage::files::Files;
use xaso_storage::{field as db, Store};

use crate::auth::Offline;
use crate::{Actor, Error, Result};

pub use reference::{reference, Reference};

/// The forms the field app can fill offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Registering a place (a household, an organisation …) with its GPS position.
    Place,
    /// Correcting a registered place (name, address, position).
    PlaceEdit,
    /// Help a team member gave a household (DT programme).
    Support,
    /// Someone present at a training session.
    Attendance,
    /// An entry in a plot's field log (agriculture).
    FieldLog,
    /// An asset seen during an ICT stocktake.
    Stocktake,
    /// A feedback case staff enter for a citizen.
    Feedback,
    /// A step of a producer's batch (traceability).
    BatchStep,
}

pub const KINDS: &[Kind] = &[
    Kind::Place,
    Kind::PlaceEdit,
    Kind::Support,
    Kind::Attendance,
    Kind::FieldLog,
    Kind::Stocktake,
    Kind::Feedback,
    Kind::BatchStep,
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Place => "place",
            Kind::PlaceEdit => "place_edit",
            Kind::Support => "support",
            Kind::Attendance => "attendance",
            Kind::FieldLog => "field_log",
            Kind::Stocktake => "stocktake",
            Kind::Feedback => "feedback",
            Kind::BatchStep => "batch_step",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One record from a phone's outbox.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The phone's UUIDv7 for the record: its idempotency key.
    pub key: String,
    pub kind: String,
    /// RFC 3339, from the phone's clock.
    pub recorded_at: String,
    /// The form's fields as the phone saved them.
    pub fields: BTreeMap<String, String>,
    /// A photo, already made smaller on the phone.
    pub photo: Option<Vec<u8>>,
}

/// What the phone is told about one record.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Answer {
    /// Stored (now, or by an earlier send when `already`).
    Saved {
        record_type: String,
        record_id: String,
        /// A page where staff can see the record.
        link: Option<String>,
        received_at: DateTime<Utc>,
        already: bool,
    },
    /// The record on the server changed after the phone's copy was taken: the person chooses.
    Conflict {
        detail: String,
        /// The server's version, in the form's own field names.
        server: serde_json::Value,
    },
}

/// What a form's use case stored.
pub(crate) struct Stored {
    pub record_type: &'static str,
    pub record_id: String,
    pub link: Option<String>,
}

/// Most bytes a photo from the field may have (the phone makes it smaller first).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

fn check_key(key: &str) -> Result<String> {
    match uuid::Uuid::parse_str(key.trim()) {
        Ok(u) if u.get_version_num() == 7 => Ok(u.hyphenated().to_string()),
        _ => Err(Error::invalid(
            "key",
            "the record's key must be a UUIDv7 made on the phone",
        )),
    }
}

/// Stores one record from a phone, once. `base` is the installation's public address (for
/// identifiers some forms mint).
pub async fn submit(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    base: &str,
    s: Submission,
) -> Result<Answer> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let key = check_key(&s.key)?;
    let kind = Kind::parse(&s.kind).ok_or_else(|| Error::invalid("kind", "unknown form"))?;
    let recorded_at = DateTime::parse_from_rfc3339(s.recorded_at.trim())
        .map_err(|_| Error::invalid("recorded_at", "the time recorded must be RFC 3339"))?
        .with_timezone(&Utc);
    if s.photo.as_ref().is_some_and(|p| p.len() > MAX_PHOTO_BYTES) {
        return Err(Error::invalid(
            "photo",
            "the photo is too large (5 MB at most)",
        ));
    }
    if let Some(answer) = already(store, actor, &key).await? {
        return Ok(answer);
    }
    let offline = Offline::new(
        &key,
        kind.as_str(),
        &xaso_domain::time::to_storage(recorded_at),
    );
    let acting = Actor {
        offline: Some(offline.clone()),
        ..actor.clone()
    };
    let stored = match forms::run(store, files, &acting, base, kind, &s).await {
        Ok(Ok(stored)) => stored,
        Ok(Err(conflict)) => return Ok(conflict),
        Err(Error::AlreadyReceived) => {
            return already(store, actor, &key)
                .await?
                .ok_or_else(|| Error::Internal("a receipt vanished".into()))
        }
        Err(e) => return Err(e),
    };
    // A use case that stored nothing new (an asset scanned twice in a stocktake) wrote no
    // audit entry: its receipt is written now, so the record still counts once.
    if offline.take_receipt() {
        let mut tx = store.begin().await?;
        db::insert(
            tx.conn(),
            &db::ReceiptRow {
                key: key.clone(),
                user_id: actor.user_id.clone(),
                username: actor.username.clone(),
                kind: kind.as_str().into(),
                record_type: stored.record_type.into(),
                record_id: stored.record_id.clone(),
                recorded_at: xaso_domain::time::to_storage(recorded_at),
                received_at: xaso_storage::now(),
            },
        )
        .await?;
        tx.commit().await?;
    }
    tracing::info!(user = %actor.username, kind = kind.as_str(), record = %stored.record_id, "field record stored");
    Ok(Answer::Saved {
        record_type: stored.record_type.into(),
        record_id: stored.record_id,
        link: stored.link,
        received_at: Utc::now(),
        already: false,
    })
}

/// The answer for a record received before, if it was.
async fn already(store: &Store, actor: &Actor, key: &str) -> Result<Option<Answer>> {
    let found = {
        let mut conn = store.read().await?;
        db::get(&mut conn, key).await?
    };
    let Some(r) = found else { return Ok(None) };
    if r.username != actor.username {
        return Err(Error::Conflict(
            "another account already sent a record with this key".into(),
        ));
    }
    Ok(Some(Answer::Saved {
        link: forms::link(&r.record_type, &r.record_id),
        record_type: r.record_type,
        record_id: r.record_id,
        received_at: xaso_domain::time::from_storage(&r.received_at).unwrap_or_else(Utc::now),
        already: true,
    }))
}
