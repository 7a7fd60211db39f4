//! Long work a person starts and watches (a place import, a stamp sheet) runs on the database
//! job queue, in a lane of its own: its state, progress and result are rows, so they outlive
//! the process. While a job runs its progress is written every second with a heartbeat; a job
//! whose heartbeat stopped was interrupted (its server stopped). At start the server makes
//! again the stamp sheets a stop interrupted (making one is all or nothing) and marks
//! interrupted imports as such, for the person who started them to start again.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tokio::sync::Notify;
use xaso_domain::time::to_storage;
use xaso_storage::queue as db;
use xaso_storage::Store;

use crate::error::Problem;
use crate::queue::Queue;
use crate::{Actor, Error, Result};

/// A place import (`places::import::ImportJob`).
pub const PLACE_IMPORT: &str = "places.import";
/// A stamp order's codes and sheet (`stamps::SheetJob`).
pub const STAMP_SHEET: &str = "stamps.sheet";
/// The kinds of long job; they have a worker of their own.
pub const KINDS: &[&str] = &[PLACE_IMPORT, STAMP_SHEET];
/// Long jobs a stop interrupted that are made again at start, without asking anyone.
const RESTARTED_AT_START: &[&str] = &[STAMP_SHEET];
/// Long jobs a stop interrupted that wait for their owner to start them again.
const INTERRUPTED_AT_START: &[&str] = &[PLACE_IMPORT];

/// How often a running job writes its progress (and so its heartbeat).
const BEAT: StdDuration = StdDuration::from_secs(1);
/// A running job whose last heartbeat is older than this has stopped.
pub const SILENT_AFTER: Duration = Duration::seconds(30);

/// How far a job is, told by the work as it goes (from any thread).
pub trait Progress: Send + Sync {
    fn set(&self, done: usize, total: usize, phase: &'static str);
}

impl Progress for () {
    fn set(&self, _: usize, _: usize, _: &'static str) {}
}

/// Where a long job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Queued,
    Running,
    /// Finished; a short summary (e.g. how many rows were imported).
    Done(Value),
    /// Refused: every problem found; nothing was changed.
    Refused(Vec<Problem>),
    /// Failed for another reason (logged).
    Failed(String),
    /// Its server stopped while it ran; nothing of it was kept. It can be started again.
    Interrupted,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done(_) => "done",
            State::Refused(_) => "refused",
            State::Failed(_) => "failed",
            State::Interrupted => "interrupted",
        }
    }

    pub fn is_over(&self) -> bool {
        !matches!(self, State::Queued | State::Running)
    }
}

/// A long job as its owner sees it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub payload: Value,
    pub phase: String,
    pub done: usize,
    pub total: usize,
    pub state: State,
}

/// What a long job's runner records when it ends without an error.
pub fn done(summary: Value) -> Value {
    serde_json::json!({"outcome": "done", "summary": summary})
}

/// What a long job's runner records when the work was refused (nothing changed).
pub fn refused(problems: &[Problem]) -> Value {
    let list: Vec<Value> = problems
        .iter()
        .map(|p| serde_json::json!({"at": p.at, "detail": p.detail}))
        .collect();
    serde_json::json!({"outcome": "refused", "problems": list})
}

fn snapshot(j: crate::queue::Job, now: DateTime<Utc>) -> Snapshot {
    let result = j.result.clone().unwrap_or(Value::Null);
    let silent = j
        .heartbeat_at
        .as_deref()
        .and_then(xaso_domain::time::from_storage)
        .is_some_and(|beat| now - beat > SILENT_AFTER);
    let state = match j.status.as_str() {
        "queued" => State::Queued,
        // Still marked running, but nobody has written for a while: its server stopped (the
        // next start will mark it).
        "running" if silent => State::Interrupted,
        "running" => State::Running,
        "interrupted" => State::Interrupted,
        "failed" => State::Failed(j.last_error.clone()),
        _ if result["outcome"] == "refused" => State::Refused(
            result["problems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Problem {
                    at: p["at"].as_str().unwrap_or("").to_string(),
                    detail: p["detail"].as_str().unwrap_or("").to_string(),
                })
                .collect(),
        ),
        _ => State::Done(result["summary"].clone()),
    };
    Snapshot {
        id: j.id,
        kind: j.kind,
        owner: j.owner,
        payload: j.payload,
        phase: j.phase,
        done: j.done.max(0) as usize,
        total: j.total.max(0) as usize,
        state,
    }
}

/// A long job, for its owner or an administrator (anyone else: not found).
pub async fn get(store: &Store, id: &str, actor: Option<&Actor>) -> Result<Snapshot> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let job = crate::queue::get(store, id).await?;
    if !KINDS.contains(&job.kind.as_str()) || (job.owner != actor.username && !actor.is_admin()) {
        return Err(Error::NotFound);
    }
    Ok(snapshot(job, Utc::now()))
}

/// Starts an interrupted or failed job again from the beginning (its owner or an
/// administrator).
pub async fn restart(store: &Store, id: &str, actor: Option<&Actor>) -> Result<Snapshot> {
    let s = get(store, id, actor).await?;
    if !matches!(s.state, State::Interrupted | State::Failed(_)) {
        return Err(Error::Conflict(format!(
            "the job is {}; only an interrupted or failed job starts again",
            s.state.as_str()
        )));
    }
    let mut tx = store.begin().await?;
    // A job still marked running whose heartbeat stopped is marked interrupted first.
    db::abandoned(
        tx.conn(),
        &[s.kind.as_str()],
        &to_storage(Utc::now() - SILENT_AFTER),
        false,
        &xaso_storage::now(),
    )
    .await?;
    let ok = db::restart(tx.conn(), id, &xaso_storage::now()).await?;
    tx.commit().await?;
    if !ok {
        return Err(Error::Conflict("the job changed meanwhile".into()));
    }
    tracing::info!(job = id, kind = %s.kind, by = %actor.map(|a| a.username.as_str()).unwrap_or(""), "long job started again");
    get(store, id, actor).await
}

/// At start: long jobs a stopped server left running (heartbeat older than
/// [`SILENT_AFTER`]) are made again (stamp sheets) or marked interrupted (imports). Returns
/// (made again, interrupted).
pub async fn at_start(store: &Store, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let before = to_storage(now - SILENT_AFTER);
    let stamp = to_storage(now);
    let mut tx = store.begin().await?;
    let again = db::abandoned(tx.conn(), RESTARTED_AT_START, &before, true, &stamp).await?;
    let stopped = db::abandoned(tx.conn(), INTERRUPTED_AT_START, &before, false, &stamp).await?;
    tx.commit().await?;
    Ok((again, stopped))
}

/// Records what came of a long job.
pub async fn finish(store: &Store, id: &str, result: &Value) -> Result<()> {
    let mut tx = store.begin().await?;
    db::set_result(tx.conn(), id, &result.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// Progress told by the work, written to the job's row every second by [`report_while`].
#[derive(Default)]
pub struct Reporter {
    state: Mutex<(usize, usize, &'static str)>,
}

impl Progress for Reporter {
    fn set(&self, done: usize, total: usize, phase: &'static str) {
        *self.state.lock().expect("progress lock") = (done, total, phase);
    }
}

impl Reporter {
    async fn write(&self, store: &Store, id: &str) -> Result<()> {
        let (done, total, phase) = *self.state.lock().expect("progress lock");
        let mut conn = store.read().await?;
        db::progress(
            &mut conn,
            id,
            phase,
            done as i64,
            total as i64,
            &xaso_storage::now(),
        )
        .await?;
        Ok(())
    }
}

/// Runs `work` with a reporter whose progress goes to job `id`'s row every second (and once
/// more at the end).
pub async fn report_while<T, F, Fut>(store: &Store, id: &str, work: F) -> T
where
    F: FnOnce(Arc<Reporter>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let reporter = Arc::new(Reporter::default());
    let ticker = {
        let (store, id, reporter) = (store.clone(), id.to_string(), reporter.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(BEAT);
            loop {
                tick.tick().await;
                if let Err(e) = reporter.write(&store, &id).await {
                    tracing::warn!(job = %id, error = %e, "job progress not written");
                }
            }
        })
    };
    let out = work(reporter.clone()).await;
    ticker.abort();
    if let Err(e) = reporter.write(store, id).await {
        tracing::warn!(job = %id, error = %e, "job progress not written");
    }
    out
}

/// The worker of the long jobs' lane: runs what is due when woken (a job was just started
/// here) and every few seconds (a job started by another instance).
pub struct Worker {
    queue: Queue,
    store: Store,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(store: Store, queue: Queue) -> Worker {
        Worker {
            queue,
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Tells the worker a job is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Puts the long job this lane was running back in line (the server stops and aborted the
    /// lane): another instance, or this one's next start, runs it again from the beginning at
    /// once instead of after [`SILENT_AFTER`]. A long job is all or nothing, so nothing of the
    /// stopped run is kept. Returns how many.
    pub async fn release_held(&self) -> Result<usize> {
        self.queue.release_held(&self.store).await
    }

    /// Runs the lane until the task is aborted, checking at least every `every`.
    pub fn spawn(self: &Arc<Self>, every: StdDuration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                // Long jobs one at a time, each on its own: a sheet of 100,000 stamps keeps a
                // core busy for a minute.
                match me.queue.run_due(&me.store, Utc::now(), 1).await {
                    Ok(pass) if pass.done + pass.retried + pass.failed > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "long job lane pass failed; will retry"),
                }
                let _ = tokio::time::timeout(every, me.wake.notified()).await;
            }
        })
    }
}
