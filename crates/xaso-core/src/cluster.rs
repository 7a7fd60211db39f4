//! Several server instances on one PostgreSQL database: what one instance changes, the
//! others' in-memory caches forget, through PostgreSQL's LISTEN/NOTIFY (no other
//! infrastructure). Each cache clears itself at once on the instance that made the change and
//! publishes a [`Change`] on the [`Bus`]; the server sends it to the database's channel, and
//! every other instance's listener clears the same cache locally (docs/OPERATIONS.md lists each
//! cache and how stale it can be). On SQLite there is one process and nothing is sent.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::Result;

/// The PostgreSQL channel the instances share.
pub const CHANNEL: &str = "xaso_changes";

/// NOTIFY payloads are limited to 8000 bytes; a message longer than this (a device event for
/// an alert with a long text or a detailed area) is kept in the database and the notification
/// names it ([`Change::Kept`]).
pub const MAX_PAYLOAD: usize = 7900;

/// What changed, as far as another instance's caches care.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "c", rename_all = "snake_case")]
pub enum Change {
    /// One QR code's target or state (the resolver's entry for this token).
    QrCode { token: String },
    /// Stamps, batches, products, producers (the stamp verifier's views).
    Traceability,
    /// A buyer shared where they scanned this stamp (the copied-stamp check reads places).
    StampPlaced { code: String },
    /// The portal's public pages.
    Portal,
    /// The emergency alerts in force (banners on public pages).
    Alerts,
    /// Device tokens and broadcast schedules (loudspeakers and boards).
    Devices,
    /// A broadcast schedule changed (its version is read again).
    Schedules,
    /// Public Wi-Fi points on the map.
    Wifi,
    /// An event for connected devices (an alert, "schedule changed"), relayed to the devices
    /// connected to other instances.
    DeviceEvent {
        kind: String,
        units: Vec<String>,
        data: String,
        polygon: Vec<(f64, f64)>,
    },
    /// A message too long to send as it is, kept in the database under this id.
    Kept { id: String },
}

/// A message on the channel: who sent it, and what changed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Message {
    /// The sending instance (each bus draws a name when it is made).
    pub from: String,
    #[serde(flatten)]
    pub change: Change,
}

/// Where caches publish their changes. Cheap to clone; publishing does nothing until the
/// server connects it (tests and SQLite installations never do).
#[derive(Clone)]
pub struct Bus {
    out: Arc<OnceLock<mpsc::UnboundedSender<Change>>>,
    /// The instance's name on the channel, drawn when the bus is made.
    id: Arc<str>,
}

impl Default for Bus {
    fn default() -> Bus {
        Bus {
            out: Arc::default(),
            id: crate::auth::random_secret().into(),
        }
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bus(connected: {})", self.out.get().is_some())
    }
}

impl Bus {
    pub fn new() -> Bus {
        Bus::default()
    }

    /// Tells the other instances (when connected).
    pub fn publish(&self, change: Change) {
        if let Some(tx) = self.out.get() {
            let _ = tx.send(change);
        }
    }

    /// This instance's name on the channel.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Connects the bus once; the receiver gets every published change in order.
    pub fn connect(&self) -> Option<mpsc::UnboundedReceiver<Change>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.out.set(tx).ok()?;
        Some(rx)
    }
}

/// Sends published changes to the channel, in order, merging repeats that queued up while
/// one was being sent. When `stop` fires it sends what is still queued and returns, so the
/// last requests' changes reach the others before the server exits.
pub async fn send_changes(
    store: xaso_storage::Store,
    me: String,
    mut rx: mpsc::UnboundedReceiver<Change>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let mut batch = Vec::new();
        let stopping = tokio::select! {
            got = rx.recv() => match got {
                Some(c) => {
                    batch.push(c);
                    false
                }
                None => return,
            },
            _ = &mut stop => true,
        };
        while let Ok(more) = rx.try_recv() {
            if !batch.contains(&more) {
                batch.push(more);
            }
        }
        send_batch(&store, &me, batch).await;
        if stopping {
            return;
        }
    }
}

async fn send_batch(store: &xaso_storage::Store, me: &str, batch: Vec<Change>) {
    for change in batch {
        let text = match serde_json::to_string(&Message {
            from: me.to_string(),
            change,
        }) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "change not encoded");
                continue;
            }
        };
        let text = if text.len() > MAX_PAYLOAD {
            match keep(store, me, &text).await {
                Some(pointer) => pointer,
                None => continue,
            }
        } else {
            text
        };
        // A failed send is retried a few times; caches' own time limits bound the rest.
        for attempt in 0..3u32 {
            match xaso_storage::cluster::notify(store, CHANNEL, &text).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "change not sent to other instances");
                    tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
                }
            }
        }
    }
}

/// Keeps a long message in the database; the short one that names it, or `None` (logged) when
/// it could not be kept.
async fn keep(store: &xaso_storage::Store, me: &str, text: &str) -> Option<String> {
    let id = xaso_storage::new_id();
    if let Err(e) = xaso_storage::cluster::keep_message(store, &id, text).await {
        tracing::warn!(error = %e, bytes = text.len(), "long change not kept for other instances");
        return None;
    }
    serde_json::to_string(&Message {
        from: me.to_string(),
        change: Change::Kept { id },
    })
    .ok()
}

/// What a listener hands to the caches.
#[derive(Debug, PartialEq)]
pub enum Incoming {
    /// Another instance changed this.
    Change(Change),
    /// The connection dropped: anything may have changed meanwhile; forget everything.
    Everything,
}

/// A connection listening to the channel.
pub struct Listening(xaso_storage::cluster::Listener);

/// Starts listening to the channel; returns once the LISTEN is in place, so nothing sent
/// after it is missed. `None` on SQLite.
pub async fn start_listening(store: &xaso_storage::Store) -> Result<Option<Listening>> {
    Ok(xaso_storage::cluster::Listener::start(store, CHANNEL)
        .await?
        .map(Listening))
}

/// Calls `apply` with every change another instance makes, for as long as the server runs.
/// When the connection drops it is made again and `apply` gets [`Incoming::Everything`].
pub async fn listen(
    store: xaso_storage::Store,
    listening: Listening,
    me: String,
    apply: impl Fn(Incoming) + Send + 'static,
) {
    use xaso_storage::cluster::Heard;
    let mut listener = listening.0;
    loop {
        match listener.next().await {
            Ok(Heard::Message(text)) => match serde_json::from_str::<Message>(&text) {
                Ok(m) if m.from == me => {}
                Ok(Message {
                    change: Change::Kept { id },
                    ..
                }) => match kept(&store, &id).await {
                    Some(change) => apply(Incoming::Change(change)),
                    None => {
                        tracing::warn!(id, "a long change from another instance is gone");
                        apply(Incoming::Everything);
                    }
                },
                Ok(m) => apply(Incoming::Change(m.change)),
                Err(e) => tracing::warn!(error = %e, "unreadable change from another instance"),
            },
            Ok(Heard::Reconnected) => {
                tracing::warn!("change channel reconnected; caches cleared");
                apply(Incoming::Everything);
            }
            Err(e) => {
                tracing::warn!(error = %e, "change channel failed; caches cleared, retrying");
                apply(Incoming::Everything);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// The change a [`Change::Kept`] names (never another pointer).
async fn kept(store: &xaso_storage::Store, id: &str) -> Option<Change> {
    let text = xaso_storage::cluster::kept_message(store, id)
        .await
        .ok()
        .flatten()?;
    match serde_json::from_str::<Message>(&text).ok()?.change {
        Change::Kept { .. } => None,
        change => Some(change),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_sent() {
        let m = Message {
            from: "a".into(),
            change: Change::QrCode {
                token: "qAbc".into(),
            },
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(text, r#"{"from":"a","c":"qr_code","token":"qAbc"}"#);
        let back: Message = serde_json::from_str(&text).unwrap();
        assert_eq!(back.change, m.change);
    }

    #[tokio::test]
    async fn an_unconnected_bus_drops_changes_and_a_connected_one_keeps_order() {
        let bus = Bus::new();
        bus.publish(Change::Portal);
        let mut rx = bus.connect().expect("first connect");
        assert!(bus.connect().is_none(), "one receiver only");
        bus.publish(Change::Alerts);
        bus.publish(Change::Wifi);
        assert_eq!(rx.recv().await, Some(Change::Alerts));
        assert_eq!(rx.recv().await, Some(Change::Wifi));
    }
}
