//! The background job queue: retries on a growing schedule, gives up after its attempts, runs
//! a job once however many workers look, loses nothing to a rollback or a stopped worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, Utc};
use xaso_core::queue::{self, Handler, Outcome, Queue};
use xaso_testkit::TestApp;

/// Fails its first `failures` runs, then succeeds; counts every run and keeps the payloads.
struct Flaky {
    failures: usize,
    runs: AtomicUsize,
    seen: std::sync::Mutex<Vec<serde_json::Value>>,
}

impl Flaky {
    fn new(failures: usize) -> Arc<Flaky> {
        Arc::new(Flaky {
            failures,
            runs: AtomicUsize::new(0),
            seen: std::sync::Mutex::new(Vec::new()),
        })
    }
}

impl Handler for Flaky {
    fn run<'a>(&'a self, job: &'a xaso_core::queue::Running) -> Outcome<'a> {
        let payload = &job.payload;
        Box::pin(async move {
            self.seen.lock().unwrap().push(payload.clone());
            let n = self.runs.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                Err(format!("SMTP 451 try again later ({})", n + 1))
            } else {
                Ok(())
            }
        })
    }
}

async fn add(app: &TestApp, kind: &str, attempts: i64) -> String {
    let mut tx = app.store.begin().await.unwrap();
    let id = queue::enqueue(
        &mut tx,
        kind,
        &serde_json::json!({"case": "PA-1", "to": "reporter"}),
        attempts,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_failing_job_is_retried_later_and_later_until_it_succeeds() {
    let app = TestApp::new().await;
    let flaky = Flaky::new(2);
    let q = Queue::new().handle("notify", flaky.clone());
    let id = add(&app, "notify", 5).await;
    let t0 = Utc::now() + Duration::seconds(1);

    let pass = q.run_due(&app.store, t0, 10).await.unwrap();
    assert_eq!((pass.done, pass.retried, pass.failed), (0, 1, 0));
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1));
    assert!(job.last_error.contains("SMTP 451"), "{}", job.last_error);

    // Not due again before its wait (30 s) is over.
    let pass = q
        .run_due(&app.store, t0 + Duration::seconds(20), 10)
        .await
        .unwrap();
    assert_eq!(pass, queue::Pass::default());
    assert_eq!(flaky.runs.load(Ordering::SeqCst), 1);

    let pass = q
        .run_due(&app.store, t0 + Duration::seconds(31), 10)
        .await
        .unwrap();
    assert_eq!(pass.retried, 1);
    // The second wait is longer (2 min).
    let pass = q
        .run_due(&app.store, t0 + Duration::seconds(31 + 100), 10)
        .await
        .unwrap();
    assert_eq!(pass, queue::Pass::default());
    let pass = q
        .run_due(&app.store, t0 + Duration::seconds(31 + 121), 10)
        .await
        .unwrap();
    assert_eq!(pass.done, 1);
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 3));
    assert_eq!(flaky.runs.load(Ordering::SeqCst), 3);
    assert_eq!(
        flaky.seen.lock().unwrap()[2]["case"],
        "PA-1",
        "the payload arrives whole"
    );
    // Done is done.
    let pass = q
        .run_due(&app.store, t0 + Duration::days(2), 10)
        .await
        .unwrap();
    assert_eq!(pass, queue::Pass::default());
}

#[tokio::test]
async fn a_job_gives_up_after_its_attempts_and_an_unknown_kind_fails_at_once() {
    let app = TestApp::new().await;
    let always = Flaky::new(usize::MAX);
    let q = Queue::new().handle("webhook", always.clone());
    let id = add(&app, "webhook", 3).await;
    let mut t = Utc::now() + Duration::seconds(1);
    for _ in 0..3 {
        q.run_due(&app.store, t, 10).await.unwrap();
        t += Duration::hours(7);
    }
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("failed", 3));
    assert!(
        job.last_error.contains("(3)"),
        "the last reason is kept: {}",
        job.last_error
    );
    q.run_due(&app.store, t + Duration::days(30), 10)
        .await
        .unwrap();
    assert_eq!(always.runs.load(Ordering::SeqCst), 3, "never run again");

    let stray = add(&app, "zalo", 5).await;
    let pass = q.run_due(&app.store, t, 10).await.unwrap();
    assert_eq!(pass.failed, 1);
    let job = queue::get(&app.store, &stray).await.unwrap();
    assert_eq!(job.status, "failed");
    assert!(job.last_error.contains("no runner"), "{}", job.last_error);
}

#[tokio::test]
async fn jobs_are_written_with_their_change_and_run_once() {
    let app = TestApp::new().await;
    // A change rolled back takes its job with it.
    {
        let mut tx = app.store.begin().await.unwrap();
        queue::enqueue(&mut tx, "notify", &serde_json::json!({}), 5)
            .await
            .unwrap();
        drop(tx);
    }
    let once = Flaky::new(0);
    let q = Queue::new().handle("notify", once.clone());
    let now = Utc::now() + Duration::seconds(1);
    assert_eq!(
        q.run_due(&app.store, now, 10).await.unwrap(),
        queue::Pass::default()
    );

    // Two workers passing at the same time run a job once.
    let id = add(&app, "notify", 5).await;
    let (a, b) = tokio::join!(
        q.run_due(&app.store, now, 10),
        q.run_due(&app.store, now, 10)
    );
    assert_eq!(a.unwrap().done + b.unwrap().done, 1);
    assert_eq!(once.runs.load(Ordering::SeqCst), 1);
    assert_eq!(queue::get(&app.store, &id).await.unwrap().status, "done");
}

#[tokio::test]
async fn a_job_a_stopped_worker_left_running_goes_back_in_line() {
    let app = TestApp::new().await;
    let id = add(&app, "notify", 5).await;
    // A worker claims it and stops before settling it.
    {
        let mut tx = app.store.begin().await.unwrap();
        let claimed_at = xaso_domain::time::to_storage(Utc::now() - Duration::hours(1));
        assert!(xaso_storage::queue::claim(tx.conn(), &id, &claimed_at)
            .await
            .unwrap());
        tx.commit().await.unwrap();
    }
    let q = Queue::new().handle("notify", Flaky::new(0));
    let now = Utc::now() + Duration::seconds(1);
    assert_eq!(
        q.run_due(&app.store, now, 10).await.unwrap().done,
        0,
        "still claimed"
    );
    assert_eq!(
        queue::requeue_stale(&app.store, Utc::now(), queue::LEASE)
            .await
            .unwrap(),
        1
    );
    assert_eq!(q.run_due(&app.store, now, 10).await.unwrap().done, 1);
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));
}
