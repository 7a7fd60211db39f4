//! Heartbeats written behind. A device that this instance has seen come online with its current
//! token is answered from memory, and its latest heartbeat waits for the next flush (every few
//! seconds, before each offline check, and at shutdown), where all waiting heartbeats are
//! written in one transaction. Anything else (a first heartbeat, a device coming back, a
//! token this instance has not seen) takes the written path at once, so state changes and
//! notices never wait. Staleness: a device's "last seen" and figures lag by at most one flush
//! interval; a revoked token is refused at once on the instance that revoked it, and on other
//! instances from their next flush, which finds the token gone and forgets the device.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};
use xaso_domain::ict::devices::Figures;
use xaso_domain::time::to_storage;
use xaso_storage::Store;

use super::{apply, heartbeat, Device, TOKEN_PREFIX};
use crate::{Error, Result};

/// Devices remembered as online at most; past it the memory starts again (each device then
/// takes the written path once).
const KNOWN_MAX: usize = 200_000;

#[derive(Debug, Clone)]
struct Pending {
    hash: String,
    at: DateTime<Utc>,
    figures: Figures,
}

/// The heartbeat buffer of one server instance.
#[derive(Debug, Default)]
pub struct Beats {
    /// Devices seen online here: asset id → the hash of the token they used.
    known: RwLock<HashMap<String, String>>,
    /// The latest heartbeat of each device since the last flush.
    pending: Mutex<HashMap<String, Pending>>,
}

impl Beats {
    pub fn new() -> Beats {
        Beats::default()
    }

    /// Takes a heartbeat, like [`heartbeat`], answering from memory when it can. True when it
    /// was written at once (the device's state may have changed).
    pub async fn take(
        &self,
        store: &Store,
        asset_id: &str,
        token: &str,
        figures: Figures,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        if token.is_empty() || !token.starts_with(TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let hash = crate::auth::token_hash(token);
        let known = self
            .known
            .read()
            .expect("beats lock")
            .get(asset_id)
            .is_some_and(|h| *h == hash);
        if !known {
            heartbeat(store, asset_id, token, figures, now).await?;
            let mut k = self.known.write().expect("beats lock");
            if k.len() >= KNOWN_MAX {
                k.clear();
            }
            k.insert(asset_id.to_string(), hash);
            return Ok(true);
        }
        // The token is the device's: it may be told what is wrong with its figures.
        let mut figures = figures.check().map_err(crate::ict::invalid)?;
        let mut pending = self.pending.lock().expect("beats lock");
        if let Some(before) = pending.get(asset_id) {
            // The stored firmware is kept when a heartbeat does not name one; so here.
            if figures.firmware.is_none() {
                figures.firmware = before.figures.firmware.clone();
            }
            if before.at > now {
                return Ok(false);
            }
        }
        pending.insert(
            asset_id.to_string(),
            Pending {
                hash,
                at: now,
                figures,
            },
        );
        Ok(false)
    }

    /// Forgets a device (its token was made anew or revoked): its next heartbeat is checked
    /// against the database again. A waiting heartbeat is dropped.
    pub fn forget(&self, asset_id: &str) {
        self.known.write().expect("beats lock").remove(asset_id);
        self.pending.lock().expect("beats lock").remove(asset_id);
    }

    /// Shows a waiting heartbeat on a device's record (time and figures), so a page read
    /// between flushes is current.
    pub fn overlay(&self, asset_id: &str, device: &mut Device) {
        if let Some(p) = self.pending.lock().expect("beats lock").get(asset_id) {
            if device.last_seen.is_none_or(|t| t < p.at) {
                device.last_seen = Some(p.at);
                let firmware = p
                    .figures
                    .firmware
                    .clone()
                    .or_else(|| device.figures.firmware.take());
                device.figures = Figures {
                    firmware,
                    ..p.figures.clone()
                };
            }
        }
    }

    /// Heartbeats waiting to be written.
    pub fn waiting(&self) -> usize {
        self.pending.lock().expect("beats lock").len()
    }

    /// Writes the waiting heartbeats in one transaction. On failure they go back (a newer one
    /// that came meanwhile wins), so none is lost. Returns how many were written, and whether
    /// a device's state changed (one the offline check had set offline came back).
    pub async fn flush(&self, store: &Store) -> Result<(usize, bool)> {
        let batch: Vec<(String, Pending)> = {
            let mut p = self.pending.lock().expect("beats lock");
            p.drain().collect()
        };
        if batch.is_empty() {
            return Ok((0, false));
        }
        let result = async {
            let mut tx = store.begin().await?;
            let mut gone = Vec::new();
            let mut changed = false;
            for (id, p) in &batch {
                match apply(&mut tx, id, &p.hash, &to_storage(p.at), &p.figures).await? {
                    Some(c) => changed |= c,
                    None => gone.push(id.clone()),
                }
            }
            tx.commit().await?;
            Ok::<_, Error>((batch.len() - gone.len(), changed, gone))
        }
        .await;
        match result {
            Ok((n, changed, gone)) => {
                let mut k = self.known.write().expect("beats lock");
                for id in gone {
                    k.remove(&id);
                }
                Ok((n, changed))
            }
            Err(e) => {
                let mut p = self.pending.lock().expect("beats lock");
                for (id, b) in batch {
                    match p.get(&id) {
                        Some(newer) if newer.at >= b.at => {}
                        _ => {
                            p.insert(id, b);
                        }
                    }
                }
                Err(e)
            }
        }
    }
}
