//! The background job queue: work that must happen after a change and may fail for a while
//! (a notification to a reporter, a webhook, a message through Zalo) is written as a job in the
//! same transaction as the change, then run by the server's worker with retries. Jobs live in
//! the database, so a restart loses none: a job a stopped worker left "running" is put back.
//!
//! Several server instances may share one database. A job is claimed with a conditional update
//! (one instance wins), and the claim is a lease: the running instance renews it every third of
//! [`LEASE`]; a job whose lease ran out (its instance was killed or cut off) is put back in line
//! by any instance ([`requeue_stale`]) and run again, and the old claim can no longer settle it.
//!
//! Time is a parameter everywhere (`run_due(store, now)`), so the schedule is tested without
//! waiting.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use xaso_domain::time::to_storage;
use xaso_storage::queue::{self as db, JobRow};
use xaso_storage::Store;

use crate::{Error, Result};

/// Attempts a job gets unless its caller says otherwise (about 11 hours from the first to the
/// last with [`backoff`]).
pub const DEFAULT_ATTEMPTS: i64 = 7;

/// How long a job stays with the instance that claimed it without a renewal, by default.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// The wait before the next attempt after `attempts` failed ones: 30 s, 2 min, 8 min, 32 min,
/// 2 h 8 min, then 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 6) as u32 - 1;
    let secs = 30i64 * 4i64.pow(exp);
    Duration::seconds(secs.min(6 * 3600))
}

/// What a job runner returns: `Err` with a reason (kept on the job) to try again later.
pub type Outcome<'a> = Pin<Box<dyn Future<Output = std::result::Result<(), String>> + Send + 'a>>;

/// The job a runner is given.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: String,
    pub payload: serde_json::Value,
}

/// Runs the jobs of one kind.
pub trait Handler: Send + Sync {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a>;
}

/// A job as the queue keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// queued, running, done or failed.
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub last_error: String,
    /// Who started it (long jobs); empty for the platform's own.
    pub owner: String,
    pub phase: String,
    pub done: i64,
    pub total: i64,
    pub heartbeat_at: Option<String>,
    pub finished_at: Option<String>,
    /// What came of it (long jobs).
    pub result: Option<serde_json::Value>,
}

fn to_job(r: JobRow) -> Job {
    Job {
        payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
        result: r
            .result
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        id: r.id,
        kind: r.kind,
        status: r.status,
        attempts: r.attempts,
        max_attempts: r.max_attempts,
        run_at: r.run_at,
        last_error: r.last_error,
        owner: r.owner,
        phase: r.phase,
        done: r.progress_done,
        total: r.progress_total,
        heartbeat_at: r.heartbeat_at,
        finished_at: r.finished_at,
    }
}

/// Adds a job, due now, inside the caller's transaction (so it exists exactly when the change
/// that calls for it does). Returns its id.
pub async fn enqueue(
    tx: &mut xaso_storage::Tx,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
) -> Result<String> {
    enqueue_as(tx, &xaso_storage::new_id(), kind, payload, max_attempts, "").await
}

/// Adds a job due at `run_at` (a post's publishing time), inside the caller's transaction.
pub async fn enqueue_at(
    tx: &mut xaso_storage::Tx,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
    run_at: DateTime<Utc>,
) -> Result<String> {
    let id = xaso_storage::new_id();
    insert(tx, &id, kind, payload, max_attempts, "", to_storage(run_at)).await
}

/// Adds a job under a given id (a stamp order's, so its page finds it) and for an owner who
/// watches it.
pub async fn enqueue_as(
    tx: &mut xaso_storage::Tx,
    id: &str,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
    owner: &str,
) -> Result<String> {
    insert(
        tx,
        id,
        kind,
        payload,
        max_attempts,
        owner,
        xaso_storage::now(),
    )
    .await
}

async fn insert(
    tx: &mut xaso_storage::Tx,
    id: &str,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
    owner: &str,
    run_at: String,
) -> Result<String> {
    let now = xaso_storage::now();
    let row = JobRow {
        id: id.into(),
        kind: kind.into(),
        payload: payload.to_string(),
        status: "queued".into(),
        attempts: 0,
        max_attempts: max_attempts.max(1),
        run_at,
        last_error: String::new(),
        claimed_at: None,
        created_at: now,
        finished_at: None,
        owner: owner.into(),
        phase: String::new(),
        progress_done: 0,
        progress_total: 0,
        heartbeat_at: None,
        result: None,
    };
    db::insert(tx.conn(), &row).await?;
    Ok(row.id)
}

/// One job, to show its state.
pub async fn get(store: &Store, id: &str) -> Result<Job> {
    let mut conn = store.read().await?;
    db::by_id(&mut conn, id)
        .await?
        .map(to_job)
        .ok_or(Error::NotFound)
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub done: usize,
    /// Failed, with attempts left: queued again for later.
    pub retried: usize,
    /// Failed for good (attempts used up, or no runner for its kind).
    pub failed: usize,
}

/// The runners by job kind, and the kinds this worker takes.
#[derive(Clone)]
pub struct Queue {
    handlers: HashMap<String, Arc<dyn Handler>>,
    kinds: db::Kinds<'static>,
    lease: std::time::Duration,
    /// The jobs this queue is running now: id → the claim's time.
    held: Arc<std::sync::Mutex<HashMap<String, String>>>,
}

impl Default for Queue {
    fn default() -> Queue {
        Queue {
            handlers: HashMap::new(),
            kinds: db::Kinds::Except(crate::jobs::KINDS),
            lease: LEASE,
            held: Arc::default(),
        }
    }
}

impl Queue {
    /// A worker for every kind of job but the long ones ([`crate::jobs::KINDS`]), which have
    /// a lane of their own.
    pub fn new() -> Queue {
        Queue::default()
    }

    /// A worker for these kinds only.
    pub fn only(kinds: &'static [&'static str]) -> Queue {
        Queue {
            kinds: db::Kinds::Only(kinds),
            ..Queue::default()
        }
    }

    /// Renews running jobs' leases every third of `lease` (see [`requeue_stale`]).
    pub fn with_lease(mut self, lease: std::time::Duration) -> Queue {
        self.lease = lease;
        self
    }

    /// Registers the runner of a kind of job.
    pub fn handle(mut self, kind: &str, handler: Arc<dyn Handler>) -> Queue {
        self.handlers.insert(kind.to_string(), handler);
        self
    }

    /// Runs the jobs due at `now` (at most `limit`), one attempt each, [`PARALLEL`] at a time
    /// (photo resizing keeps a core busy; notifications mostly wait on the network).
    pub async fn run_due(&self, store: &Store, now: DateTime<Utc>, limit: i64) -> Result<Pass> {
        let stamp = to_storage(now);
        let due = {
            let mut conn = store.read().await?;
            db::due(&mut conn, &stamp, limit, self.kinds).await?
        };
        use futures_util::stream::{self, StreamExt};
        let mut pass = Pass::default();
        // A job starts as soon as one of the running ones ends, so a quick notice does not hold
        // a second photo back.
        let attempts: Vec<_> = due
            .iter()
            .map(|row| self.run_one(store, row, now, &stamp))
            .collect();
        let mut runs = stream::iter(attempts).buffer_unordered(PARALLEL);
        while let Some(outcome) = runs.next().await {
            match outcome? {
                Some(Settled::Done) => pass.done += 1,
                Some(Settled::Retried) => pass.retried += 1,
                Some(Settled::Failed) => pass.failed += 1,
                None => {}
            }
        }
        Ok(pass)
    }

    /// One attempt at one job; `None` when another worker claimed it first.
    async fn run_one(
        &self,
        store: &Store,
        row: &JobRow,
        now: DateTime<Utc>,
        stamp: &str,
    ) -> Result<Option<Settled>> {
        let claimed = {
            let mut tx = store.begin().await?;
            let ok = db::claim(tx.conn(), &row.id, stamp).await?;
            tx.commit().await?;
            ok
        };
        if !claimed {
            return Ok(None); // another worker has it
        }
        self.held
            .lock()
            .expect("held jobs")
            .insert(row.id.clone(), stamp.to_string());
        let settled = self.attempt(store, row, now, stamp).await;
        self.held.lock().expect("held jobs").remove(&row.id);
        settled
    }

    /// Puts the jobs this queue is running back in line at once (the server stops: its
    /// worker was stopped mid-job), rather than waiting for their lease to run out. The
    /// attempt is not counted. Returns how many.
    pub async fn release_held(&self, store: &Store) -> Result<usize> {
        let held: Vec<(String, String)> = self.held.lock().expect("held jobs").drain().collect();
        let mut n = 0;
        let mut tx = store.begin().await?;
        for (id, claimed_at) in &held {
            if db::release(tx.conn(), id, claimed_at).await? {
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Runs a claimed job and settles it.
    async fn attempt(
        &self,
        store: &Store,
        row: &JobRow,
        now: DateTime<Utc>,
        stamp: &str,
    ) -> Result<Option<Settled>> {
        let attempts = row.attempts + 1;
        let result = match self.handlers.get(&row.kind) {
            Some(h) => {
                let job = Running {
                    id: row.id.clone(),
                    payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
                };
                // The lease is renewed while the job runs, so a long attempt is not taken
                // for abandoned.
                let renew = async {
                    let mut tick = tokio::time::interval(self.lease / 3);
                    tick.tick().await;
                    loop {
                        tick.tick().await;
                        let beat = async {
                            let mut conn = store.read().await?;
                            let held =
                                db::renew(&mut conn, &row.id, stamp, &xaso_storage::now()).await?;
                            Ok::<bool, Error>(held)
                        };
                        match beat.await {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::warn!(job = %row.id, "job lease lost: another instance took it over")
                            }
                            Err(e) => {
                                tracing::warn!(job = %row.id, error = %e, "job lease not renewed; will retry")
                            }
                        }
                    }
                };
                tokio::select! {
                    r = h.run(&job) => r.map_err(|e| (e, true)),
                    _ = renew => unreachable!("the lease renewal loop never ends"),
                }
            }
            None => Err((format!("no runner for jobs of kind `{}`", row.kind), false)),
        };
        // (outcome, status, next run, error, finished at)
        let (settled, status, run_at, error, finished) = match result {
            Ok(()) => (
                Settled::Done,
                "done",
                row.run_at.clone(),
                String::new(),
                Some(stamp),
            ),
            Err((error, retry)) if retry && attempts < row.max_attempts => {
                let next = to_storage(now + backoff(attempts));
                tracing::warn!(job = %row.id, kind = %row.kind, attempts, %error, next = %next, "job failed; will retry");
                (Settled::Retried, "queued", next, error, None)
            }
            Err((error, _)) => {
                tracing::error!(job = %row.id, kind = %row.kind, attempts, %error, "job failed for good");
                (
                    Settled::Failed,
                    "failed",
                    row.run_at.clone(),
                    error,
                    Some(stamp),
                )
            }
        };
        let mut tx = store.begin().await?;
        if !db::settle(tx.conn(), &row.id, stamp, status, &run_at, &error, finished).await? {
            tracing::warn!(job = %row.id, kind = %row.kind, "attempt ended after its lease ran out; the instance that took the job over settles it");
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(settled))
    }
}

/// How one attempt ended.
enum Settled {
    Done,
    Retried,
    Failed,
}

/// Jobs due by `now` that are waiting or running (on any instance).
pub async fn count_due(store: &Store, now: DateTime<Utc>) -> Result<i64> {
    let mut conn = store.read().await?;
    Ok(db::count_due(&mut conn, &to_storage(now)).await?)
}

/// How many jobs a pass runs at once.
pub const PARALLEL: usize = 2;

/// Puts back the jobs whose lease ran out (no renewal for `lease` before `now`: their instance
/// stopped or was cut off); every instance calls it at start and every half minute. Long jobs
/// are not among them (`jobs::at_start` handles those). Returns how many.
pub async fn requeue_stale(
    store: &Store,
    now: DateTime<Utc>,
    lease: std::time::Duration,
) -> Result<u64> {
    let lease = Duration::from_std(lease).unwrap_or(Duration::seconds(60));
    let mut tx = store.begin().await?;
    let n = db::requeue_stale(tx.conn(), &to_storage(now - lease), crate::jobs::KINDS).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_fourfold_up_to_six_hours() {
        let mins: Vec<i64> = (1..=8).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(mins, [30, 120, 480, 1920, 7680, 21600, 21600, 21600]);
    }
}
