//! Serving: bind, print what a newcomer needs, run until Ctrl-C or SIGTERM.

use anyhow::{Context, Result};

/// Prints a line for the person who started the server; a closed or full standard output
/// (`xaso serve | head -1`, a supervisor that stopped reading) must not stop the server, as
/// `println!` would by panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use xaso_storage::Store;
use xaso_web::{AppState, WebConfig};

use crate::config::Config;

/// The file store: `files_url` when set, else the data folder's `files`.
pub fn open_files(config: &Config) -> Result<xaso_storage::Files> {
    if let Some(url) = &config.files_url {
        return xaso_storage::Files::open(url)
            .with_context(|| format!("cannot use the file store {url}"));
    }
    let dir = config.data_dir.join("files");
    xaso_storage::Files::local(&dir)
        .with_context(|| format!("cannot use the file folder {}", dir.display()))
}

pub async fn serve(config: Config, store: Store, demo_loaded_now: Option<bool>) -> Result<()> {
    let web = WebConfig {
        secure_cookies: config.secure_cookies(),
        trust_proxy: config.trust_proxy,
        area: config.area.clone(),
        tile_url: config.tile_url.clone(),
        public_url: config.public_url.clone(),
        metrics: xaso_web::MetricsAccess {
            token: config.metrics_token.clone(),
            separate_listener: config.metrics_listen.is_some(),
        },
        commune_hosts: config.commune_hosts.clone(),
        zalo: xaso_core::portal::zalo::ZaloConfig::from_env(),
    };
    let files = open_files(&config)?;
    tracing::info!(files = files.place(), "file store");
    let state = AppState::new(store.clone(), files, web)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Several instances on one PostgreSQL database: what this one changes, the others' caches
    // forget, and the other way round (nothing to do on SQLite).
    let cluster = xaso_web::join_cluster(&state, &store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for other instances' changes: {e}"))?;
    let lease = config.job_lease;
    // The background job queue: jobs a stopped server left running go back in line (stamp
    // sheets are made again; imports are marked interrupted for their owner to start again),
    // then the workers run what is due. Modules register their runners here.
    let now = chrono::Utc::now();
    let requeued = xaso_core::queue::requeue_stale(&store, now, lease)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (again, interrupted) = xaso_core::jobs::at_start(&store, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let orders = xaso_core::stamps::queue_unfinished(&store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if requeued + again + interrupted > 0 || orders > 0 {
        tracing::info!(
            jobs = requeued,
            stamp_sheets = again as usize + orders,
            imports_interrupted = interrupted,
            "work left unfinished by a stopped server: queued again or marked interrupted"
        );
    }
    // Long jobs (imports, stamp sheets) have a lane of their own, woken when one is started.
    let long_worker = state.worker.clone();
    let long_lane = long_worker.spawn(std::time::Duration::from_secs(2));
    let (worker, held_jobs) = {
        use std::sync::Arc;
        use xaso_core::feedback::{self, notify, senders};
        let senders = senders::from_env();
        let channels: Vec<&String> = senders.keys().collect();
        tracing::info!(?channels, "feedback notification channels");
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        let zalo = Arc::new(xaso_core::portal::zalo::ZaloJob::new(
            store.clone(),
            &base_url,
            state.config.zalo.clone(),
        ));
        // Every kind but the long jobs.
        let queue = xaso_core::queue::Queue::new()
            .with_lease(lease)
            .handle(
                feedback::JOB_NOTIFY,
                Arc::new(notify::NotifyJob {
                    store: store.clone(),
                    senders,
                    base_url: base_url.clone(),
                }),
            )
            .handle(
                feedback::JOB_PHOTO,
                Arc::new(feedback::PhotoJob {
                    store: store.clone(),
                    files: state.files.clone(),
                }),
            )
            .handle(xaso_core::portal::zalo::JOB_ZALO_ARTICLE, zalo.clone())
            .handle(
                xaso_core::alerts::JOB_ALERT_SPEECH,
                Arc::new(xaso_core::alerts::AlertSpeechJob {
                    store: store.clone(),
                    files: state.files.clone(),
                    speech: Arc::new(xaso_core::broadcast::speech::CommandSpeech::from_env()),
                    hub: state.hub.clone(),
                }),
            )
            .handle(
                xaso_core::alerts::relay::JOB_ALERT_WEBHOOK,
                Arc::new(xaso_core::alerts::relay::AlertWebhookJob {
                    store: store.clone(),
                    webhook: feedback::senders::Webhook::from_env(),
                }),
            )
            .handle(
                xaso_core::broadcast::speech::JOB_SPEAK,
                Arc::new(xaso_core::broadcast::speech::SpeakJob {
                    store: store.clone(),
                    files: state.files.clone(),
                    speech: Arc::new(xaso_core::broadcast::speech::CommandSpeech::from_env()),
                }),
            )
            .handle(
                xaso_core::portal::zalo::JOB_ZALO_BROADCAST,
                Arc::new(xaso_core::portal::zalo::ZaloBroadcastJob(zalo)),
            )
            .handle(
                xaso_core::agri::advisory::JOB_ADVISORY,
                Arc::new(xaso_core::agri::advisory::AdvisoryJob {
                    store: store.clone(),
                    zalo: state.config.zalo.access_token.is_some(),
                }),
            )
            .handle(
                xaso_core::ict::devices::JOB_DEVICE_NOTICE,
                Arc::new(xaso_core::ict::devices::DeviceNoticeJob {
                    store: store.clone(),
                    webhook: feedback::senders::Webhook::from_env(),
                    base_url: base_url.clone(),
                }),
            );
        let store = store.clone();
        let (beats, wifi) = (state.beats.clone(), state.wifi.clone());
        let held = queue.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
            let mut passes: u64 = 0;
            loop {
                tick.tick().await;
                // Jobs another instance claimed and stopped renewing (it was killed or cut
                // off) go back in line, and long jobs it was running are made again or marked
                // interrupted; checked every half minute, and at once at start (above).
                if passes > 0 && passes.is_multiple_of(15) {
                    let now = chrono::Utc::now();
                    match xaso_core::queue::requeue_stale(&store, now, lease).await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::warn!(jobs = n, "jobs of a stopped instance queued again")
                        }
                        Err(e) => tracing::warn!(error = %e, "lease check failed; will retry"),
                    }
                    match xaso_core::jobs::at_start(&store, now).await {
                        Ok((0, 0)) => {}
                        Ok((again, interrupted)) => {
                            tracing::warn!(again, interrupted, "long jobs of a stopped instance")
                        }
                        Err(e) => tracing::warn!(error = %e, "long-job check failed; will retry"),
                    }
                }
                if let Err(e) = queue.run_due(&store, chrono::Utc::now(), 50).await {
                    tracing::warn!(error = %e, "job queue pass failed; will retry");
                }
                // Once a minute: cases that just ran past their deadline are flagged and
                // their staff told.
                if passes.is_multiple_of(30) {
                    if let Err(e) = feedback::notice_overdue(&store, chrono::Utc::now()).await {
                        tracing::warn!(error = %e, "overdue check failed; will retry");
                    }
                    // Devices silent longer than their kind allows go offline (their commune
                    // is told once); heartbeats waiting in memory are written first.
                    match beats.flush(&store).await {
                        Ok((_, true)) => wifi.clear(),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "heartbeats not written yet; will retry")
                        }
                    }
                    if let Err(e) = xaso_core::auth::Throttle::forget_old(&store).await {
                        tracing::warn!(error = %e, "old throttle counts not removed; will retry");
                    }
                    match xaso_core::ict::devices::sweep(&store, chrono::Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => {
                            wifi.clear();
                            tracing::info!(devices = n, "devices went offline");
                        }
                        Err(e) => tracing::warn!(error = %e, "offline check failed; will retry"),
                    }
                }
                passes += 1;
            }
        });
        (task, held)
    };
    // Upstream CAP sources are read on their own task: a slow source delays nothing else.
    let cap_follower = {
        let (store, hub) = (store.clone(), state.hub.clone());
        let (banners, pages) = (state.banners.clone(), state.pages.clone());
        let base = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                let http = xaso_core::alerts::follow::client();
                match xaso_core::alerts::follow::poll_all(
                    &store,
                    &hub,
                    http,
                    &base,
                    chrono::Utc::now(),
                )
                .await
                {
                    Ok(0) => {}
                    Ok(n) => {
                        // Relayed ones show on the banners at once.
                        banners.clear();
                        pages.clear();
                        tracing::info!(drafts = n, "new alerts from upstream CAP sources")
                    }
                    Err(e) => tracing::warn!(error = %e, "CAP sources not read; will retry"),
                }
            }
        })
    };
    let qr = state.qr.clone();
    let verifier = state.verifier.clone();
    let (beats, wifi) = (state.beats.clone(), state.wifi.clone());
    let metrics_server = match config.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?;
            let addr = listener.local_addr()?;
            let app = xaso_web::metrics_router(state.clone());
            say!("Metrics (Prometheus) at http://{addr}/metrics");
            tracing::info!(%addr, token = config.metrics_token.is_some(), "metrics served");
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "metrics server failed");
                }
            }))
        }
        None => {
            if config.metrics_token.is_none() {
                tracing::info!("metrics off: set metrics_listen or metrics_token to read /metrics");
            }
            None
        }
    };
    let draining = state.clone();
    let drain = config.drain;
    let app = xaso_web::router(state);
    // Scan counts are written in batches every few seconds, and once more on the way out.
    let flusher = {
        let (qr, verifier, store) = (qr.clone(), verifier.clone(), store.clone());
        let (beats, wifi) = (beats.clone(), wifi.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                if let Err(e) = qr.flush(&store).await {
                    tracing::warn!(error = %e, "scan counts not written yet; will retry");
                }
                if let Err(e) = verifier.flush(&store).await {
                    tracing::warn!(error = %e, "stamp scan counts not written yet; will retry");
                }
                match beats.flush(&store).await {
                    Ok((_, true)) => wifi.clear(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "heartbeats not written yet; will retry"),
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another program using it? try --listen 127.0.0.1:8081)",
                config.listen
            )
        })?;
    let addr = listener.local_addr()?;
    say!(
        "Xã Số is ready at http://{addr}/  ({} database)",
        store.engine().name()
    );
    if let Some(now) = demo_loaded_now {
        print_demo(now, addr);
    }
    tracing::info!(%addr, engine = store.engine().name(), "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let sigterm = shutdown().await;
        // Readiness fails first, so a load balancer stops sending requests; then the
        // listener closes and the requests under way finish.
        draining
            .draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if sigterm && !drain.is_zero() {
            tracing::info!(seconds = drain.as_secs(), "draining: /readyz answers 503");
            tokio::time::sleep(drain).await;
        }
        tracing::info!("no longer accepting; finishing requests under way");
    })
    .await
    .context("server failed")?;
    // Changes published by the last requests still go out.
    cluster.finish().await;
    flusher.abort();
    worker.abort();
    // Jobs the worker was in the middle of go back in line now, for another instance (or the
    // next start), instead of after their lease.
    match held_jobs.release_held(&store).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "jobs under way put back in line"),
        Err(e) => {
            tracing::warn!(error = %e, "jobs under way not put back; their lease will run out")
        }
    }
    cap_follower.abort();
    // The long job under way (an import, a stamp sheet) goes back in line too.
    long_lane.abort();
    let _ = long_lane.await;
    match long_worker.release_held().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "long job under way put back in line"),
        Err(e) => tracing::warn!(error = %e, "long job not put back; it is picked up 30 s on"),
    }
    if let Some(m) = metrics_server {
        m.abort();
    }
    match qr.flush(&store).await {
        Ok(n) => tracing::info!(rows = n, "scan counts written"),
        Err(e) => tracing::error!(error = %e, "scan counts could not be written at shutdown"),
    }
    match verifier.flush(&store).await {
        Ok(n) => tracing::info!(stamps = n, "stamp scan counts written"),
        Err(e) => tracing::error!(error = %e, "stamp scan counts could not be written at shutdown"),
    }
    match beats.flush(&store).await {
        Ok((n, _)) => tracing::info!(devices = n, "heartbeats written"),
        Err(e) => tracing::error!(error = %e, "heartbeats could not be written at shutdown"),
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn print_demo(loaded_now: bool, addr: std::net::SocketAddr) {
    use xaso_core::demo::{
        ACCOUNTS, DEMO_ADMIN_TOKEN, DEMO_OPEN311_KEY, DEMO_PASSWORD, TEAM_ACCOUNT,
    };
    if loaded_now {
        say!("Demo data loaded: Long An before 1 July 2025, Tây Ninh after it, the Đức Hòa mapping, a few villages.");
    } else {
        say!("Demo data was already loaded.");
    }
    say!("Demo accounts (password for all: {DEMO_PASSWORD}) — demo only:");
    for a in ACCOUNTS {
        say!("  {:<16} {}", a.username, a.display_name);
    }
    say!("  {TEAM_ACCOUNT:<16} Tổ trưởng tổ công nghệ số ấp Bình Tả 1, Xã Đức Hòa (mẫu)");
    say!("Demo API token (administrator): {DEMO_ADMIN_TOKEN}");
    say!("  e.g. curl -H 'Authorization: Bearer {DEMO_ADMIN_TOKEN}' http://{addr}/api/v1/me");
    say!("Demo Open311 api_key: {DEMO_OPEN311_KEY}  (GeoReport v2 at http://{addr}/open311/v2/discovery.json)");
}

/// Waits for Ctrl-C (false) or SIGTERM (true).
async fn shutdown() -> bool {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    let sigterm = tokio::select! {
        _ = ctrl_c => false,
        _ = term => true,
    };
    tracing::info!("shutting down");
    sigterm
}
