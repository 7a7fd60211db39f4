//! PostgreSQL's LISTEN/NOTIFY, the one channel server instances share besides the data: what
//! one instance changed reaches the others' caches. Nothing here on SQLite, which serves one
//! process.

use sqlx::postgres::PgListener;

use crate::{Engine, Result, Store, StoreError};

/// Sends `payload` on `channel` to every listening instance (this one included). Delivered
/// after the sending transaction commits; here there is none, so at once.
pub async fn notify(store: &Store, channel: &str, payload: &str) -> Result<()> {
    if store.engine() != Engine::Postgres {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Keeps a message too long for a notification under `id` (and drops those older than ten
/// minutes, which every listener has read long since).
pub async fn keep_message(store: &Store, id: &str, body: &str) -> Result<()> {
    let now = chrono::Utc::now();
    let old = xaso_domain::time::to_storage(now - chrono::Duration::minutes(10));
    sqlx::query("DELETE FROM cluster_messages WHERE sent_at < $1")
        .bind(old)
        .execute(store.pool())
        .await?;
    sqlx::query("INSERT INTO cluster_messages (id, body, sent_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(body)
        .bind(xaso_domain::time::to_storage(now))
        .execute(store.pool())
        .await?;
    Ok(())
}

/// A kept message, if it is still there.
pub async fn kept_message(store: &Store, id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT body FROM cluster_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A connection of its own that receives what is sent on one channel.
pub struct Listener {
    inner: PgListener,
}

/// What a listener received.
#[derive(Debug)]
pub enum Heard {
    Message(String),
    /// The connection dropped and was made again: messages may have been missed meanwhile.
    Reconnected,
}

impl Listener {
    /// Listens on `channel`; `None` on SQLite.
    pub async fn start(store: &Store, channel: &str) -> Result<Option<Listener>> {
        if store.engine() != Engine::Postgres {
            return Ok(None);
        }
        let mut inner = PgListener::connect(&store.url).await?;
        inner.listen(channel).await?;
        Ok(Some(Listener { inner }))
    }

    /// The next message; reconnects by itself when the connection drops.
    pub async fn next(&mut self) -> Result<Heard> {
        match self.inner.try_recv().await {
            Ok(Some(n)) => Ok(Heard::Message(n.payload().to_string())),
            Ok(None) => Ok(Heard::Reconnected),
            Err(e) => Err(StoreError::from(e)),
        }
    }
}
