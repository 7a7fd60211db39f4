//! The ICT register's two timed paths: device heartbeats taken at once from many devices, and
//! the public Wi-Fi map over every point. `cargo bench -p xaso-core --bench ict` runs SQLite
//! in a temp folder with the demo loaded; with XASO_BENCH_POSTGRES_URL set it runs PostgreSQL
//! too (a database `xaso_bench_ict` is made and dropped). XASO_BENCH_DEVICES (default 10,000)
//! public Wi-Fi access points, each with a token; XASO_BENCH_BEATS (default 50,000) heartbeats
//! from XASO_BENCH_SENDERS (default 32) concurrent senders.

mod support;
use support::env;

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use xaso_domain::ict::devices::Figures;
use xaso_storage::ict::AssetRow;
use xaso_storage::Store;

/// `n` access points over the demo's communes and places, each with a token: (id, token).
async fn seed(store: &Store, n: usize) -> Vec<(String, String)> {
    let mut conn = store.read().await.unwrap();
    let places: Vec<(String, String)> =
        sqlx::query_as("SELECT id, commune_id FROM places ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    let now = xaso_storage::now();
    let mut out = Vec::with_capacity(n);
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        let (place, unit) = &places[i % places.len()];
        let id = xaso_storage::new_id();
        let row = AssetRow {
            id: id.clone(),
            unit_id: unit.clone(),
            tag: format!("BENCH-TB-{i:06}"),
            kind: "wifi_ap".into(),
            name: format!("Wi-Fi {i}"),
            name_key: format!("wi-fi {i}"),
            place_id: Some(place.clone()),
            location: String::new(),
            custodian: "Bench".into(),
            serial: format!("SN{i}"),
            model: String::new(),
            purchased_on: None,
            funding: None,
            value_vnd: None,
            warranty_until: None,
            status: "in_use".into(),
            ip: Some("10.0.0.1".into()),
            mac: None,
            vlan: None,
            admin_url: None,
            wifi_ssid: format!("Free-{i}"),
            wifi_hours: "5:00–22:00".into(),
            wifi_howto: String::new(),
            note: String::new(),
            created_by: "bench".into(),
            created_at: now.clone(),
            updated_by: "bench".into(),
            updated_at: now.clone(),
        };
        xaso_storage::ict::save_asset(tx.conn(), &row)
            .await
            .unwrap();
        let token = format!("xsd_bench{i:040}");
        xaso_storage::ict::devices::set_token(
            tx.conn(),
            &id,
            Some(&xaso_core::auth::token_hash(&token)),
            "bench",
            &now,
        )
        .await
        .unwrap();
        out.push((id, token));
    }
    tx.commit().await.unwrap();
    out
}

async fn run(engine: &str, store: &Store) {
    let n = env("XASO_BENCH_DEVICES", 10_000);
    let beats = env("XASO_BENCH_BEATS", 50_000);
    let senders = env("XASO_BENCH_SENDERS", 32).max(1);
    let devices = Arc::new(seed(store, n).await);
    let start = Utc::now() - Duration::days(7);

    // Every device's first heartbeat opens its online span (a heavier write: state, span).
    let t = Instant::now();
    for (id, token) in devices.iter() {
        xaso_core::ict::devices::heartbeat(store, id, token, Figures::default(), start)
            .await
            .unwrap();
    }
    println!(
        "{engine}: {n} first heartbeats (device comes online) in {:.2} s, {:.0}/s",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );

    // Steady state: devices already online report, from many senders at once.
    let t = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..senders {
        let (store, devices) = (store.clone(), devices.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = s;
            let mut k = 0i64;
            while i < beats {
                let (id, token) = &devices[i % devices.len()];
                let figures = Figures {
                    clients: Some((i % 40) as i64),
                    uptime_s: Some(3600 + i as i64),
                    firmware: Some("OpenWrt 23.05.3".into()),
                    signal_dbm: None,
                };
                k += 1;
                xaso_core::ict::devices::heartbeat(
                    &store,
                    id,
                    token,
                    figures,
                    start + Duration::seconds(k),
                )
                .await
                .unwrap();
                i += senders;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{engine}: {beats} heartbeats each written at once from {senders} senders in {secs:.2} s, {:.0}/s",
        beats as f64 / secs
    );

    // A tenth of the devices had an outage this week: closed spans beside the open ones.
    // The server's path: heartbeats through the write-behind buffer, flushed every second in
    // one transaction (the server flushes every 5 s), the last flush included in the time.
    let buffer = Arc::new(xaso_core::ict::devices::Beats::new());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flusher = {
        let (buffer, store, stop) = (buffer.clone(), store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut slowest = 0f64;
            let mut flushes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let t = Instant::now();
                buffer.flush(&store).await.unwrap();
                slowest = f64::max(slowest, t.elapsed().as_secs_f64() * 1000.0);
                flushes += 1;
            }
            (flushes, slowest)
        })
    };
    let t = Instant::now();
    let mut tasks = Vec::new();
    let later = start + Duration::hours(1);
    for s in 0..senders {
        let (store, devices, buffer) = (store.clone(), devices.clone(), buffer.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = s;
            let mut k = 0i64;
            while i < beats {
                let (id, token) = &devices[i % devices.len()];
                let figures = Figures {
                    clients: Some((i % 40) as i64),
                    uptime_s: Some(3600 + i as i64),
                    firmware: Some("OpenWrt 23.05.3".into()),
                    signal_dbm: None,
                };
                k += 1;
                buffer
                    .take(&store, id, token, figures, later + Duration::seconds(k))
                    .await
                    .unwrap();
                i += senders;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (flushes, slowest) = flusher.await.unwrap();
    let (last, _) = buffer.flush(store).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{engine}: {beats} heartbeats through the buffer from {senders} senders in {secs:.2} s, {:.0}/s \
         ({flushes} flushes, slowest {slowest:.0} ms, last {last} devices) (target ≥ 5,000/s on SQLite)",
        beats as f64 / secs
    );

    let outage = Utc::now() - Duration::days(3);
    for (id, token) in devices.iter().step_by(10) {
        xaso_core::ict::devices::heartbeat(store, id, token, Figures::default(), outage)
            .await
            .unwrap();
    }
    xaso_core::ict::devices::sweep(store, outage + Duration::minutes(20))
        .await
        .unwrap();
    for (id, token) in devices.iter() {
        xaso_core::ict::devices::heartbeat(store, id, token, Figures::default(), Utc::now())
            .await
            .unwrap();
    }

    // The public Wi-Fi map over every point, with its state and 7-day uptime.
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..21 {
        let t = Instant::now();
        let all = xaso_core::ict::devices::wifi(store, None, Utc::now())
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        points = all.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{engine}: Wi-Fi map over {points} points read from the database: median {:.1} ms, slowest {:.1} ms of 21",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    // As the server answers: from the map kept for 30 s (one read from the database first).
    let map = xaso_core::ict::devices::WifiMap::new();
    let mut times = Vec::new();
    for _ in 0..201 {
        let t = Instant::now();
        let all = map.get(store, None, Utc::now()).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        points = all.len();
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    println!(
        "{engine}: Wi-Fi map over {points} points as served (kept 30 s): first {first:.1} ms, median {:.1} µs, slowest {:.1} ms of 201 (target < 50 ms)",
        times[times.len() / 2] * 1000.0,
        times[times.len() - 1]
    );
}

fn main() {
    support::on_each_engine("xaso_bench_ict", |engine, store| async move {
        run(engine, &store).await
    });
}
