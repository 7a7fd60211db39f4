//! The reference loudspeaker agent (crate xaso-speaker) against a real server on 127.0.0.1,
//! with an injected clock that runs tomorrow morning in a moment: it plays its two slots in
//! order, a priority bulletin first in each; an emergency alert issued in the middle of an item
//! cuts it at once, airs as many times as the officer set, and the programme resumes with the
//! next item. The play log on the device shows all of it. A second speaker switched on later
//! catches up with the alert in force, and the server gets its receipt and play reports.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use serde_json::Value;
use xaso_speaker::{Clock, LogLine, Sleep};
use xaso_testkit::{TestApp, DEMO_PASSWORD};

use crate::broadcast::{device, new_bulletin, wav};

type Action = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A clock that jumps to whatever time the agent waits for. One scripted action (the
/// officer's alert) runs when the agent's wait reaches its time; that wait then ends only by
/// the event the action causes. Once the agent waits past `stop`, the test is told.
struct Virtual {
    now: Mutex<DateTime<Utc>>,
    action: Mutex<Option<(DateTime<Utc>, Action)>>,
    stop: DateTime<Utc>,
    stopped: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Clock for Virtual {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        Box::pin(async move {
            let due = {
                let mut a = self.action.lock().unwrap();
                if a.as_ref().is_some_and(|(at, _)| *at <= t) {
                    a.take()
                } else {
                    None
                }
            };
            if let Some((at, action)) = due {
                *self.now.lock().unwrap() = at;
                tokio::spawn(action);
                return std::future::pending().await;
            }
            if t > self.stop {
                if let Some(tx) = self.stopped.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                return std::future::pending().await;
            }
            let mut now = self.now.lock().unwrap();
            if t > *now {
                *now = t;
            }
        })
    }
}

fn airings(schedule: &Value) -> Vec<(String, DateTime<Utc>, i64)> {
    schedule["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["airings"].as_array().unwrap().iter())
        .map(|a| {
            (
                a["item"].as_str().unwrap().to_string(),
                a["start"].as_str().unwrap().parse().unwrap(),
                a["duration_ms"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_speaker_agent_plays_its_slots_in_order_and_an_alert_cuts_in() {
    let app = TestApp::demo().await;
    let mut officer = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let (speaker, token) = device(&mut officer, "speaker_cluster", "Cụm loa chợ Đức Hòa").await;

    // Three recorded bulletins of a minute each in a programme for this device alone, at nine
    // and twenty past nine every day; and a 20-second priority bulletin.
    let mut items = Vec::new();
    for (title, ms, priority) in [
        ("Tin A", 60_000, "normal"),
        ("Tin B", 60_000, "normal"),
        ("Tin C", 60_000, "normal"),
        ("Thông báo ưu tiên P", 20_000, "priority"),
    ] {
        let id = new_bulletin(
            &mut officer,
            &[("kind", "audio"), ("title", title), ("priority", priority)],
        )
        .await;
        let r = officer
            .post_files(
                &format!("/bulletins/{id}/media"),
                &[],
                &[("file", "tin.wav", &wav(ms))],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        items.push(id);
    }
    let [a, b, c, p] = [&items[0], &items[1], &items[2], &items[3]].map(String::clone);
    let order = |id: &str| format!("order_{id}");
    let (oa, ob, oc) = (order(&a), order(&b), order(&c));
    let target = format!("asset:{speaker}");
    let mut fields = vec![
        ("name", "Chương trình chợ"),
        ("medium", "speaker"),
        ("target", target.as_str()),
        ("slots", "09:00-09:10, 09:20-09:30"),
        (oa.as_str(), "1"),
        (ob.as_str(), "2"),
        (oc.as_str(), "3"),
    ];
    for d in ["2", "3", "4", "5", "6", "7", "CN"] {
        fields.push(("weekdays", d));
    }
    let r = officer
        .post_form("/units/27937/broadcast/programmes", &fields)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for id in [&a, &b, &c, &p] {
        let r = officer
            .post_form(&format!("/bulletins/{id}/status"), &[("to", "approved")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }

    // A real server on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });

    // Tomorrow's airings as the server plans them (the agent will get the same).
    let vn = xaso_domain::time::vn_offset();
    let tomorrow = xaso_domain::time::today_vn() + TimeDelta::days(1);
    let at = |h: u32, m: u32| {
        tomorrow
            .and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
            .and_local_timezone(vn)
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut officer2 = app.signed_in("canbo.xaduchoa", DEMO_PASSWORD).await;
    let mut dev = app.with_token(&token);
    let schedule = dev
        .get(&format!("/api/v1/devices/{speaker}/schedule"))
        .await
        .json();
    let plan: Vec<_> = airings(&schedule)
        .into_iter()
        .filter(|(i, s, _)| items.contains(i) && *s >= at(9, 0) && *s < at(9, 30))
        .collect();
    let names: Vec<&str> = plan.iter().map(|(i, ..)| i.as_str()).collect();
    assert_eq!(
        names,
        [&p, &a, &b, &c, &p, &a, &b, &c],
        "the priority bulletin leads both slots"
    );
    // The alert comes 10 s into B's first airing.
    let b_start = plan[2].1;
    let alert_at = b_start + TimeDelta::seconds(10);

    // The device's folder; it "plays" a file by reading it until stopped, and speaks an alert
    // by copying a recording (no sound card here).
    let cache = tempfile::tempdir().unwrap();
    let voice = cache.path().join("voice.wav");
    std::fs::write(&voice, wav(3000)).unwrap();
    let mut config = xaso_speaker::Config::new(&base, &speaker, &token, cache.path().join("dev"));
    config.play = "tail -f {file}".into();
    config.speak = format!("cp {} {{file}}", voice.display());

    let issued: Arc<Mutex<Option<String>>> = Arc::default();
    let action: Action = {
        let issued = issued.clone();
        Box::pin(async move {
            let r = officer
                .post_form(
                    "/units/27937/alerts",
                    &[
                        ("hazard", "flood"),
                        ("risk_level", "4"),
                        ("headline", "Lũ lên nhanh ở chợ Đức Hòa"),
                        ("description", "Nước sông dâng cao."),
                        ("instruction", "Đưa hàng hóa lên cao."),
                        // In force until after the test's virtual morning.
                        ("hours", "48"),
                        ("repeats", "2"),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            *issued.lock().unwrap() = Some(r.location().trim_start_matches("/alerts/").into());
        })
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let clock = Arc::new(Virtual {
        now: Mutex::new(at(8, 59)),
        action: Mutex::new(Some((alert_at, action))),
        stop: at(9, 35),
        stopped: Mutex::new(Some(tx)),
    });
    let mut agent = xaso_speaker::Agent::start(config, clock).await.unwrap();
    let running = tokio::spawn(async move { agent.run().await });
    // Bounded only so a broken agent fails the test instead of hanging it.
    tokio::time::timeout(std::time::Duration::from_secs(120), rx)
        .await
        .expect("the agent reaches 09:35 (virtual)")
        .unwrap();
    running.abort();

    // The device's play log.
    let alert = issued
        .lock()
        .unwrap()
        .clone()
        .expect("the alert was issued");
    let log: Vec<LogLine> = std::fs::read_to_string(cache.path().join("dev/plays.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &LogLine| {
            l.item.as_ref().is_some_and(|i| items.contains(i)) || l.alert.as_ref() == Some(&alert)
        })
        .collect();
    let what: Vec<(String, &str)> = log
        .iter()
        .map(|l| {
            let name = match (&l.item, &l.alert) {
                (Some(i), _) if *i == a => "A",
                (Some(i), _) if *i == b => "B",
                (Some(i), _) if *i == c => "C",
                (Some(_), _) => "P",
                _ => "ALERT",
            };
            (name.to_string(), l.result.as_str())
        })
        .collect();
    let expected: Vec<(String, &str)> = [
        ("P", "played"),
        ("A", "played"),
        ("B", "interrupted"),
        ("ALERT", "played"),
        ("ALERT", "played"),
        ("C", "played"),
        ("P", "played"),
        ("A", "played"),
        ("B", "played"),
        ("C", "played"),
    ]
    .iter()
    .map(|(n, r)| (n.to_string(), *r))
    .collect();
    assert_eq!(what, expected, "{log:#?}");
    // Each at its time: the slot opens at nine; the alert cuts in at once.
    assert_eq!(log[0].started_at, at(9, 0));
    assert_eq!(log[0].duration_ms, 20_000);
    assert_eq!(log[2].started_at, b_start);
    assert_eq!(log[2].duration_ms, 10_000, "cut 10 s in");
    assert_eq!(log[3].started_at, alert_at);
    assert_eq!(log[5].started_at, plan[3].1, "C at its own time");
    assert_eq!(log[6].started_at, at(9, 20));

    // Those reports are dated tomorrow, which the server rightly refuses; a second speaker
    // switched on now (with the real time) catches up with the alert in force, says it received
    // it, airs it twice and reports that.
    let (late, late_token) = device(&mut officer2, "speaker_cluster", "Cụm loa ấp Chánh").await;
    let mut config =
        xaso_speaker::Config::new(&base, &late, &late_token, cache.path().join("late"));
    config.play = "tail -f {file}".into();
    config.speak = format!("cp {} {{file}}", voice.display());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let now = Utc::now();
    let clock = Arc::new(Virtual {
        now: Mutex::new(now),
        action: Mutex::new(None),
        stop: now + TimeDelta::minutes(3),
        stopped: Mutex::new(Some(tx)),
    });
    let mut agent = xaso_speaker::Agent::start(config.clone(), clock)
        .await
        .unwrap();
    let running = tokio::spawn(async move { agent.run().await });
    tokio::time::timeout(std::time::Duration::from_secs(120), rx)
        .await
        .expect("the second agent reaches three minutes on")
        .unwrap();
    running.abort();
    let _ = running.await;

    let mut conn = app.store.read().await.unwrap();
    let rows: Vec<(Option<String>, String, i64)> = sqlx::query_as(
        "SELECT alert_id, result, duration_ms FROM broadcast_plays WHERE asset_id = $1 ORDER BY started_at",
    )
    .bind(&late)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let aired: Vec<_> = rows
        .iter()
        .filter(|r| r.0.as_deref() == Some(alert.as_str()))
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(aired, ["played", "played"], "{rows:?}");
    let received: Option<String> = sqlx::query_scalar(
        "SELECT received_at FROM alert_deliveries WHERE alert_id = $1 AND asset_id = $2",
    )
    .bind(&alert)
    .bind(&late)
    .fetch_optional(&mut *conn)
    .await
    .unwrap()
    .flatten();
    assert!(
        received.is_some(),
        "the receipt is on the alert's dashboard"
    );
    drop(conn);

    // Switched on again, it does not air the same alert a second time.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let now = Utc::now();
    let clock = Arc::new(Virtual {
        now: Mutex::new(now),
        action: Mutex::new(None),
        stop: now + TimeDelta::minutes(2),
        stopped: Mutex::new(Some(tx)),
    });
    let mut agent = xaso_speaker::Agent::start(config, clock).await.unwrap();
    let running = tokio::spawn(async move { agent.run().await });
    tokio::time::timeout(std::time::Duration::from_secs(120), rx)
        .await
        .expect("the restarted agent runs")
        .unwrap();
    running.abort();
    let log = std::fs::read_to_string(cache.path().join("late/plays.jsonl")).unwrap();
    assert_eq!(log.matches(alert.as_str()).count(), 2, "{log}");
}
