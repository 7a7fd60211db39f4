//! Long work (large imports) run in the background while the person who started it watches
//! its progress. Jobs live in this process's memory: a restart forgets unfinished ones (the
//! import then simply did not happen — it is all or nothing), and finished ones are kept for an
//! hour so their result can be read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::Problem;

/// How long a finished job's result stays readable.
const KEEP: Duration = Duration::from_secs(3600);

/// Where a job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Running,
    /// Finished; a short summary (e.g. how many rows were imported).
    Done(serde_json::Value),
    /// Refused: every problem found; nothing was changed.
    Refused(Vec<Problem>),
    /// Failed for another reason (logged).
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: String,
    pub kind: &'static str,
    pub owner: String,
    /// Where to go when it is done (e.g. the commune's places).
    pub back: String,
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
    pub outcome: Outcome,
}

pub struct Job {
    state: Mutex<Snapshot>,
    finished_at: Mutex<Option<Instant>>,
}

impl Job {
    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().expect("job lock").clone()
    }

    pub fn finish(&self, outcome: Outcome) {
        self.state.lock().expect("job lock").outcome = outcome;
        *self.finished_at.lock().expect("job lock") = Some(Instant::now());
    }
}

impl crate::places::import::Progress for Job {
    fn set(&self, done: usize, total: usize, phase: &'static str) {
        let mut s = self.state.lock().expect("job lock");
        s.done = done;
        s.total = total;
        s.phase = phase;
    }
}

#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    pub fn new() -> Jobs {
        Jobs::default()
    }

    /// Registers a new running job.
    pub fn start(&self, kind: &'static str, owner: &str, back: &str) -> Arc<Job> {
        self.start_as(&crate::qr::new_token(), kind, owner, back)
    }

    /// Registers a new running job under a given id (a stamp order's, so its page finds it).
    pub fn start_as(&self, id: &str, kind: &'static str, owner: &str, back: &str) -> Arc<Job> {
        let id = id.to_string();
        let job = Arc::new(Job {
            state: Mutex::new(Snapshot {
                id: id.clone(),
                kind,
                owner: owner.to_string(),
                back: back.to_string(),
                phase: "queued",
                done: 0,
                total: 0,
                outcome: Outcome::Running,
            }),
            finished_at: Mutex::new(None),
        });
        let mut jobs = self.jobs.lock().expect("jobs lock");
        jobs.retain(|_, j| {
            j.finished_at
                .lock()
                .expect("job lock")
                .is_none_or(|t| t.elapsed() < KEEP)
        });
        jobs.insert(id, job.clone());
        job
    }

    /// A job, for its owner (or an administrator).
    pub fn get(&self, id: &str, actor: &crate::Actor) -> Option<Snapshot> {
        let job = self.jobs.lock().expect("jobs lock").get(id).cloned()?;
        let s = job.snapshot();
        (s.owner == actor.username || actor.is_admin()).then_some(s)
    }
}
