//! Two server instances on one database, as behind a load balancer: a change made through one
//! reaches the other's caches (QR resolver, stamp verifier, devices' events), scans counted on
//! both add up, and jobs run once however many instances look. The waits below are for an
//! event to arrive (with a generous limit), never assertions about how fast it came; the
//! latency is measured in docs/BENCHMARKS.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use xaso_core::queue::{self, Handler, Outcome, Queue};
use xaso_testkit::{Instance, TestApp, DEMO_PASSWORD};

/// Asks `check` again until it holds, for at most ten seconds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: not seen on the other instance within 10 s");
}

async fn relic_code(app: &TestApp) -> String {
    let id = app
        .visitor()
        .get("/api/v1/places?unit=27937&q=nga%20tu")
        .await
        .json()["places"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    officer.post_form(&format!("/places/{id}/qr"), &[]).await;
    let page = officer.get(&format!("/places/{id}")).await.body;
    let start = page.find("/q/").unwrap() + 3;
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

#[tokio::test]
async fn a_withdrawn_code_and_a_recalled_batch_show_on_the_other_instance() {
    let app = TestApp::demo().await;
    if !app.db.is_postgres() {
        // One process per SQLite database: there is no channel, and none is opened.
        assert!(xaso_core::cluster::start_listening(&app.store)
            .await
            .unwrap()
            .is_none());
        return;
    }
    let b: Instance = app.second_instance().await;
    let token = relic_code(&app).await;
    let codes = app.demo_stamp_codes().await;
    let stamp = format!("/s/{}", codes[0]);

    // B reads both and keeps them in memory.
    assert_eq!(b.visitor().get(&format!("/q/{token}")).await.status, 303);
    let page = b.visitor().get(&stamp).await.body;
    assert!(!page.contains("đã bị thu hồi"), "not recalled yet");

    // Scans through both instances add up exactly once both have written their counts.
    for _ in 0..3 {
        app.visitor().get(&format!("/q/{token}")).await;
    }
    for _ in 0..4 {
        b.visitor().get(&format!("/q/{token}")).await;
    }
    app.state.qr.flush(&app.store).await.unwrap();
    b.state.qr.flush(&b.store).await.unwrap();
    let scans = app.state.qr.scans(&app.store, &token).await.unwrap();
    assert_eq!(
        scans.iter().map(|(_, n)| n).sum::<i64>(),
        8,
        "1 + 3 on A, 4 on B"
    );

    // A withdraws the code and recalls the batch.
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let r = officer
        .post_form(&format!("/q/{token}/retire"), &[("reason", "Biển đã thay")])
        .await;
    assert_eq!(r.status, 303);
    let batch = app
        .visitor()
        .get("/01/9520001123450/10/DH-2026-03")
        .await
        .location()
        .to_string();
    let r = officer
        .post_form(
            &format!("{batch}/status"),
            &[("status", "recalled"), ("reason", "Độ ẩm cao (mẫu)")],
        )
        .await;
    assert_eq!(r.status, 303);

    eventually("the withdrawn code", || async {
        b.visitor().get(&format!("/q/{token}")).await.status == 410
    })
    .await;
    eventually("the recall", || async {
        b.visitor()
            .get(&stamp)
            .await
            .body
            .contains("Lô hàng đã bị thu hồi: Độ ẩm cao (mẫu)")
    })
    .await;
}

#[tokio::test]
async fn an_alert_for_devices_reaches_those_connected_to_the_other_instance() {
    let app = TestApp::new().await;
    if !app.db.is_postgres() {
        // Without a channel, an event stays with this process's devices.
        let mut here = app.state.hub.subscribe();
        app.state.hub.publish(event("27937"));
        assert_eq!(here.recv().await.unwrap().units, ["27937"]);
        return;
    }
    let b = app.second_instance().await;
    let mut on_b = b.state.hub.subscribe();
    let mut on_a = app.state.hub.subscribe();
    app.state.hub.publish(event("27937"));
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), on_b.recv())
        .await
        .expect("relayed within 10 s")
        .unwrap();
    assert_eq!(got.units, ["27937"]);
    assert_eq!(got.kind, xaso_core::alerts::hub::Kind::Alert);
    assert!(got.data.contains("Lũ quét"));
    // Once on A, and not echoed back to A.
    assert_eq!(on_a.recv().await.unwrap().units, ["27937"]);
    app.state.hub.publish(event("27931"));
    assert_eq!(
        on_a.recv().await.unwrap().units,
        ["27931"],
        "no echo in between"
    );
    assert_eq!(on_b.recv().await.unwrap().units, ["27931"]);

    // An alert too long for one PostgreSQL notification (a long text and a detailed area,
    // about 20 KB) reaches B whole.
    let mut long = event("27943");
    long.data = format!(
        r#"{{"headline":"Lũ quét (mẫu)","instruction":"{}"}}"#,
        "Di chuyển người và tài sản lên vùng cao. ".repeat(200)
    );
    long.polygon = (0..400)
        .map(|i| (10.9 + f64::from(i) * 1e-4, 106.4 + f64::from(i % 7) * 1e-4))
        .collect();
    assert!(long.data.len() + long.polygon.len() * 20 > 9000);
    app.state.hub.publish(long.clone());
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), on_b.recv())
        .await
        .expect("the long alert relayed within 10 s")
        .unwrap();
    assert_eq!(got.units, ["27943"]);
    assert_eq!(got.data, long.data);
    assert_eq!(got.polygon, long.polygon);
}

fn event(unit: &str) -> xaso_core::alerts::hub::Event {
    xaso_core::alerts::hub::Event {
        kind: xaso_core::alerts::hub::Kind::Alert,
        units: vec![unit.into()],
        data: r#"{"headline":"Lũ quét (mẫu)"}"#.into(),
        polygon: vec![(10.9, 106.4), (10.9, 106.5), (11.0, 106.5)],
    }
}

/// Counts each job's runs.
#[derive(Default)]
struct Tally(Mutex<HashMap<String, usize>>);

impl Handler for Tally {
    fn run<'a>(&'a self, job: &'a queue::Running) -> Outcome<'a> {
        Box::pin(async move {
            *self.0.lock().unwrap().entry(job.id.clone()).or_default() += 1;
            tokio::task::yield_now().await;
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_thousand_jobs_on_two_instances_run_exactly_once() {
    let app = TestApp::new().await;
    let b = app.second_instance().await;
    let mut tx = app.store.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..1000 {
        ids.push(
            queue::enqueue(&mut tx, "tally", &serde_json::json!({ "n": i }), 3)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let tally = Arc::new(Tally::default());
    let q = Queue::new().handle("tally", tally.clone());
    let now = Utc::now() + Duration::seconds(1);
    // Both instances pass over the queue at the same time until nothing is left.
    let worker = |store: xaso_storage::Store, q: Queue| async move {
        let mut done = 0;
        loop {
            let pass = q.run_due(&store, now, 50).await.unwrap();
            if pass == queue::Pass::default() {
                let left = xaso_core::queue::count_due(&store, now).await.unwrap();
                if left == 0 {
                    return done;
                }
            }
            done += pass.done;
        }
    };
    let (a_done, b_done) = tokio::join!(
        worker(app.store.clone(), q.clone()),
        worker(b.store.clone(), q.clone())
    );
    assert_eq!(a_done + b_done, 1000, "each job settled once");
    assert!(
        a_done > 0 && b_done > 0,
        "both took part: {a_done} + {b_done}"
    );
    {
        let runs = tally.0.lock().unwrap();
        assert_eq!(runs.len(), 1000);
        assert!(runs.values().all(|&n| n == 1), "a job ran twice");
    }
    for id in ids.iter().step_by(97) {
        assert_eq!(queue::get(&app.store, id).await.unwrap().status, "done");
    }
}

/// One notification job, due now.
async fn one_job(app: &TestApp) -> String {
    let mut tx = app.store.begin().await.unwrap();
    let id = queue::enqueue(&mut tx, "notify", &serde_json::json!({}), 5)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Never finishes: an instance killed while running it.
struct Hangs;

impl Handler for Hangs {
    fn run<'a>(&'a self, _: &'a queue::Running) -> Outcome<'a> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_killed_instances_job_is_taken_over_once_its_lease_runs_out() {
    let app = TestApp::new().await;
    let b = app.second_instance().await;
    let id = one_job(&app).await;
    let now = Utc::now() + Duration::seconds(1);

    // Instance A claims it and is killed mid-run.
    let a = {
        let store = app.store.clone();
        tokio::spawn(async move {
            Queue::new()
                .handle("notify", Arc::new(Hangs))
                .run_due(&store, now, 10)
                .await
        })
    };
    eventually("A's claim", || async {
        queue::get(&app.store, &id).await.unwrap().status == "running"
    })
    .await;
    a.abort();
    let _ = a.await;

    // Within the lease, B leaves it alone.
    let tally = Arc::new(Tally::default());
    let q = Queue::new().handle("notify", tally.clone());
    assert_eq!(
        queue::requeue_stale(&b.store, Utc::now(), queue::LEASE)
            .await
            .unwrap(),
        0
    );
    assert_eq!(q.run_due(&b.store, now, 10).await.unwrap().done, 0);
    // Once the lease ran out, B puts it back and runs it.
    let later = Utc::now() + Duration::seconds(61);
    assert_eq!(
        queue::requeue_stale(&b.store, later, queue::LEASE)
            .await
            .unwrap(),
        1
    );
    assert_eq!(q.run_due(&b.store, later, 10).await.unwrap().done, 1);
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 2));
    assert_eq!(tally.0.lock().unwrap().get(&id), Some(&1));
}

#[tokio::test]
async fn a_claim_that_lost_its_lease_cannot_settle_the_job() {
    let app = TestApp::new().await;
    let id = one_job(&app).await;
    let first = "2026-12-01T00:00:00.000Z";
    let second = "2026-12-01T00:05:00.000Z";
    let mut tx = app.store.begin().await.unwrap();
    use xaso_storage::queue as db;
    assert!(db::claim(tx.conn(), &id, first).await.unwrap());
    assert_eq!(
        db::requeue_stale(tx.conn(), "2026-12-01T00:02:00.000Z", &[])
            .await
            .unwrap(),
        1
    );
    assert!(db::claim(tx.conn(), &id, second).await.unwrap());
    assert!(!db::renew(tx.conn(), &id, first, second).await.unwrap());
    assert!(
        !db::settle(tx.conn(), &id, first, "failed", first, "late", Some(first))
            .await
            .unwrap(),
        "the first claim is over"
    );
    assert!(
        db::settle(tx.conn(), &id, second, "done", second, "", Some(second))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.last_error.as_str()), ("done", ""));
}

#[tokio::test]
async fn two_instances_checking_for_late_cases_tell_staff_once() {
    use xaso_core::feedback::{self as fb, Location, Report, Reporter};
    use xaso_domain::feedback::Channel;
    let app = TestApp::demo().await;
    let b = app.second_instance().await;
    let report = Report {
        category: "giao-thong".into(),
        description: "Ổ gà lớn trước cổng chợ.".into(),
        location: Location {
            unit_code: "27937".into(),
            ..Location::default()
        },
        reporter: Reporter::default(),
        channel: Channel::Web,
        photos: Vec::new(),
        asset_id: None,
    };
    let case = fb::submit(&app.store, &app.state.files, None, report)
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(30);
    // Both instances' minute checks find the same late case at the same time.
    let (on_a, on_b) = tokio::join!(
        fb::notice_overdue(&app.store, later),
        fb::notice_overdue(&b.store, later)
    );
    let told = on_a.unwrap() + on_b.unwrap();
    // Every late case (the demo's and this one) was told of once, by one instance or the other.
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM feedback_events WHERE kind = 'overdue'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(events, told as i64, "one overdue notice per case");
    assert!(told >= 1);
    let officer = xaso_core::Actor::system("test");
    let c = fb::case(&app.store, Some(&officer), &case.id)
        .await
        .unwrap();
    assert_eq!(c.events.iter().filter(|e| e.kind == "overdue").count(), 1);
}

#[tokio::test]
async fn wrong_passwords_on_two_instances_count_together() {
    let app = TestApp::demo().await;
    let b = app.second_instance().await;
    let max = xaso_core::auth::MAX_FAILURES as usize;
    // An attacker's tries spread over both instances by the load balancer.
    for i in 0..max {
        let r = if i % 2 == 0 {
            app.visitor().login("canbo.xaduchoa", "doan-mo").await
        } else {
            b.visitor().login("canbo.xaduchoa", "doan-mo").await
        };
        assert_eq!(r.status, 401, "try {i}: {}", r.body);
    }
    // Then even the right password waits, on either instance.
    for r in [
        app.visitor().login("canbo.xaduchoa", DEMO_PASSWORD).await,
        b.visitor().login("canbo.xaduchoa", DEMO_PASSWORD).await,
    ] {
        assert_eq!(r.status, 429, "{}", r.body);
        assert!(r.body.contains("Đăng nhập sai quá nhiều lần"), "{}", r.body);
    }
}

#[tokio::test]
async fn a_stopping_instance_puts_its_jobs_back_at_once() {
    let app = TestApp::new().await;
    let id = one_job(&app).await;
    let now = Utc::now() + Duration::seconds(1);
    let stopping = Queue::new().handle("notify", Arc::new(Hangs));
    let pass = {
        let (store, q) = (app.store.clone(), stopping.clone());
        tokio::spawn(async move { q.run_due(&store, now, 10).await })
    };
    eventually("the claim", || async {
        queue::get(&app.store, &id).await.unwrap().status == "running"
    })
    .await;
    // SIGTERM: the worker is stopped mid-job, and what it held is released.
    pass.abort();
    let _ = pass.await;
    assert_eq!(stopping.release_held(&app.store).await.unwrap(), 1);
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("queued", 0),
        "not counted"
    );
    // Another instance runs it without waiting for a lease.
    let tally = Arc::new(Tally::default());
    let q = Queue::new().handle("notify", tally.clone());
    assert_eq!(q.run_due(&app.store, now, 10).await.unwrap().done, 1);
    assert_eq!(stopping.release_held(&app.store).await.unwrap(), 0);
}

#[tokio::test]
async fn a_stopping_instance_puts_its_long_job_back_at_once() {
    let app = TestApp::new().await;
    let id = one_job(&app).await;
    let lane = Arc::new(xaso_core::jobs::Worker::new(
        app.store.clone(),
        Queue::new().handle("notify", Arc::new(Hangs)),
    ));
    let running = lane.spawn(std::time::Duration::from_millis(50));
    eventually("the long job's claim", || async {
        queue::get(&app.store, &id).await.unwrap().status == "running"
    })
    .await;
    // SIGTERM: the lane is stopped mid-job and its job released, not left for the heartbeat
    // check.
    running.abort();
    let _ = running.await;
    assert_eq!(lane.release_held().await.unwrap(), 1);
    let job = queue::get(&app.store, &id).await.unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 0));
    assert_eq!(lane.release_held().await.unwrap(), 0, "released once");
}
