//! The agent's loop: keep the schedule and its files, air each item at its time, let an
//! emergency alert cut in, log and report every airing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::client::{Client, Fetched, Sent};
use crate::events::{self, AlertMsg, Event};
use crate::{command_words, Clock, Config};

/// A player command may run this much past its item's end before it is stopped.
const GRACE: TimeDelta = TimeDelta::seconds(2);
/// At most this many reports per request (the protocol's limit).
const BATCH: usize = 500;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Schedule {
    #[serde(default)]
    days: Vec<Day>,
    #[serde(default)]
    media: Vec<Media>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Day {
    #[serde(default)]
    airings: Vec<Airing>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Airing {
    item: String,
    start: DateTime<Utc>,
    duration_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Media {
    item: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
}

/// One line of the play log (`plays.jsonl` in the cache folder), also what is reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// The report's id (sent again after a failure, kept once by the server).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(default)]
    pub title: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// played, interrupted, failed or skipped
    pub result: String,
}

/// What is on air while the agent waits for a player command.
enum OnAir<'a> {
    Bulletin,
    Alert(&'a AlertMsg),
}

enum Outcome {
    Ended(&'static str),
    Interrupted,
}

pub struct Agent {
    config: Config,
    clock: Arc<dyn Clock>,
    client: Client,
    events: mpsc::UnboundedReceiver<Event>,
    follower: tokio::task::JoinHandle<()>,
    schedule: Schedule,
    etag: Option<String>,
    /// Airings starting before this were aired or passed over.
    cursor: DateTime<Utc>,
    next_poll: DateTime<Utc>,
    refresh_now: bool,
    /// Alert messages waiting to air, in arrival order.
    pending: VecDeque<AlertMsg>,
    /// The latest copy of each alert message seen (its recording may have become ready).
    known: HashMap<String, AlertMsg>,
    /// Messages aired, being aired or replaced: not aired again.
    done: HashSet<String>,
    /// Threads (first message ids) cancelled.
    cancelled: HashSet<String>,
    unsent: Vec<LogLine>,
    /// Alert messages not yet acknowledged as received.
    acks: Vec<String>,
}

/// What is kept of alerts across restarts, so a rebooted device does not air again what it
/// aired.
#[derive(Default, Serialize, Deserialize)]
struct Aired {
    done: HashSet<String>,
    cancelled: HashSet<String>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl Agent {
    /// Reads what the cache folder holds (the last schedule, unsent reports) and opens the
    /// event stream; the schedule is fetched on the first step.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Agent> {
        for dir in ["media", "alerts"] {
            std::fs::create_dir_all(config.cache.join(dir))
                .with_context(|| format!("cannot create {}", config.cache.display()))?;
        }
        let client = Client::new(&config)?;
        let schedule = std::fs::read(config.cache.join("schedule.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let etag = std::fs::read_to_string(config.cache.join("schedule.etag")).ok();
        let unsent = std::fs::read(config.cache.join("unsent.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let aired: Aired = std::fs::read(config.cache.join("alerts/aired.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let (tx, rx) = mpsc::unbounded_channel();
        let follower = tokio::spawn(events::follow(client.clone(), tx));
        tracing::info!(server = %config.server, device = %config.device, cache = %config.cache.display(), "speaker agent started");
        let now = clock.now();
        Ok(Agent {
            config,
            clock,
            client,
            events: rx,
            follower,
            schedule,
            etag,
            cursor: now,
            next_poll: now,
            refresh_now: true,
            pending: VecDeque::new(),
            known: HashMap::new(),
            done: aired.done,
            cancelled: aired.cancelled,
            unsent,
            acks: Vec::new(),
        })
    }

    pub async fn run(&mut self) -> Result<()> {
        loop {
            self.step().await;
        }
    }

    /// One turn: take events, refresh when due, air what is due or wait for it.
    async fn step(&mut self) {
        while let Ok(ev) = self.events.try_recv() {
            self.take(ev, &OnAir::Bulletin);
        }
        let now = self.clock.now();
        if self.refresh_now || now >= self.next_poll {
            self.refresh_now = false;
            self.next_poll = now + TimeDelta::from_std(self.config.poll).unwrap_or(TimeDelta::MAX);
            self.refresh().await;
            self.flush().await;
        }
        if let Some(alert) = self.pending.pop_front() {
            self.air_alert(alert).await;
            return;
        }
        let now = self.clock.now();
        loop {
            match self.next_airing() {
                // Its whole time passed (an alert took it, or the agent was down): say so.
                Some(a) if now >= a.start + TimeDelta::milliseconds(a.duration_ms) => {
                    let title = self.title(&a.item);
                    self.cursor = a.start + TimeDelta::milliseconds(1);
                    self.record(Some(a.item), None, title, a.start, 0, "skipped");
                }
                Some(a) if a.start <= now => {
                    self.air(a).await;
                    return;
                }
                next => {
                    let until = next.map_or(self.next_poll, |a| a.start.min(self.next_poll));
                    self.wait(until).await;
                    return;
                }
            }
        }
    }

    fn next_airing(&self) -> Option<Airing> {
        self.schedule
            .days
            .iter()
            .flat_map(|d| d.airings.iter())
            .filter(|a| a.start >= self.cursor)
            .min_by_key(|a| a.start)
            .cloned()
    }

    fn title(&self, item: &str) -> String {
        self.schedule
            .media
            .iter()
            .find(|m| m.item == item)
            .map(|m| m.title.clone())
            .unwrap_or_default()
    }

    /// Waits until `until` or the next event, whichever comes first.
    async fn wait(&mut self, until: DateTime<Utc>) {
        let clock = self.clock.clone();
        let mut sleep = clock.sleep_until(until);
        tokio::select! {
            biased;
            ev = self.events.recv() => {
                if let Some(ev) = ev {
                    self.take(ev, &OnAir::Bulletin);
                } else {
                    (&mut sleep).await;
                }
            }
            () = &mut sleep => {}
        }
    }

    /// Takes an event; true when it stops what is on air.
    fn take(&mut self, ev: Event, on_air: &OnAir<'_>) -> bool {
        let msg = match ev {
            Event::Hello => return false,
            Event::Schedule => {
                self.refresh_now = true;
                return false;
            }
            Event::Alert(msg) => msg,
        };
        if !self.known.contains_key(&msg.id) {
            self.acks.push(msg.id.clone());
        }
        self.known.insert(msg.id.clone(), msg.clone());
        let same_thread = matches!(on_air, OnAir::Alert(a) if a.first == msg.first);
        if msg.msg_type == "Cancel" {
            self.cancelled.insert(msg.first.clone());
            self.save_aired();
            self.pending.retain(|p| p.first != msg.first);
            return same_thread;
        }
        if self.done.contains(&msg.id)
            || self.cancelled.contains(&msg.first)
            || msg.expires.is_some_and(|e| e <= self.clock.now())
        {
            return false;
        }
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == msg.id) {
            *p = msg;
            return false;
        }
        // An update replaces what its thread had waiting.
        self.pending.retain(|p| p.first != msg.first);
        self.pending.push_back(msg);
        match on_air {
            OnAir::Bulletin => true,
            OnAir::Alert(_) => same_thread,
        }
    }

    /// Runs the player on `file` until it ends, `until` passes or an event stops it.
    async fn play(&mut self, file: &Path, until: DateTime<Utc>, on_air: &OnAir<'_>) -> Outcome {
        let words = command_words(&self.config.play, &file.to_string_lossy(), None);
        let child = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, command = %words[0], "the player command did not start");
                return Outcome::Ended("failed");
            }
        };
        let clock = self.clock.clone();
        let mut sleep = clock.sleep_until(until);
        let mut open = true;
        loop {
            tokio::select! {
                biased;
                ev = self.events.recv(), if open => match ev {
                    Some(ev) => {
                        if self.take(ev, on_air) {
                            let _ = child.kill().await;
                            return Outcome::Interrupted;
                        }
                    }
                    None => open = false,
                },
                status = child.wait() => {
                    let ok = status.is_ok_and(|s| s.success());
                    return Outcome::Ended(if ok { "played" } else { "failed" });
                }
                () = &mut sleep => {
                    // The item's time is up: a player still running is stopped.
                    let _ = child.kill().await;
                    return Outcome::Ended("played");
                }
            }
        }
    }

    async fn air(&mut self, a: Airing) {
        let start = self.clock.now();
        self.cursor = a.start + TimeDelta::milliseconds(1);
        let title = self.title(&a.item);
        let file = self
            .schedule
            .media
            .iter()
            .find(|m| m.item == a.item)
            .and_then(|m| m.sha256.as_deref())
            .map(|sha| self.config.cache.join("media").join(sha))
            .filter(|p| p.exists());
        let Some(file) = file else {
            tracing::warn!(item = %a.item, "no file for this airing");
            self.record(Some(a.item), None, title, start, 0, "failed");
            return;
        };
        // A player still running past the item's end is stopped: after a grace period, or
        // when the next airing is due (items of a slot follow each other without a gap).
        let end = start.max(a.start) + TimeDelta::milliseconds(a.duration_ms);
        let until = match self.next_airing() {
            Some(n) => (end + GRACE).min(n.start.max(end)),
            None => end + GRACE,
        };
        let outcome = self.play(&file, until, &OnAir::Bulletin).await;
        let took = (self.clock.now() - start)
            .num_milliseconds()
            .clamp(0, a.duration_ms);
        let result = match outcome {
            Outcome::Ended(r) => r,
            Outcome::Interrupted => "interrupted",
        };
        self.record(Some(a.item), None, title, start, took, result);
    }

    async fn air_alert(&mut self, msg: AlertMsg) {
        self.done.insert(msg.id.clone());
        self.save_aired();
        self.acknowledge().await;
        for _ in 0..msg.repeats.max(1) {
            if self.cancelled.contains(&msg.first) {
                return;
            }
            let start = self.clock.now();
            let Some((file, ms)) = self.alert_file(&msg).await else {
                self.record(
                    None,
                    Some(msg.id.clone()),
                    msg.headline.clone(),
                    start,
                    0,
                    "failed",
                );
                return;
            };
            let until = self.clock.now() + TimeDelta::milliseconds(ms) + GRACE;
            let outcome = self.play(&file, until, &OnAir::Alert(&msg)).await;
            let took = (self.clock.now() - start).num_milliseconds().clamp(0, ms);
            let result = match outcome {
                Outcome::Ended(r) => r,
                Outcome::Interrupted => "interrupted",
            };
            self.record(
                None,
                Some(msg.id.clone()),
                msg.headline.clone(),
                start,
                took,
                result,
            );
            if matches!(outcome, Outcome::Interrupted) {
                return;
            }
        }
    }

    /// The recording to air for an alert and its length: the server's when ready, else speech
    /// made here, else the server's once it comes (waiting at most 30 s).
    async fn alert_file(&mut self, msg: &AlertMsg) -> Option<(PathBuf, i64)> {
        let dir = self.config.cache.join("alerts");
        let latest = self
            .known
            .get(&msg.id)
            .cloned()
            .unwrap_or_else(|| msg.clone());
        if latest.audio {
            // Keyed by length too: an officer's recording may replace the machine speech.
            let path = dir.join(format!("{}-{}.audio", msg.id, latest.audio_ms));
            if path.exists() {
                return Some((path, latest.audio_ms.max(1000)));
            }
            match self.client.alert_audio(&msg.id).await {
                Ok(bytes) if write_file(&path, &bytes).is_ok() => {
                    return Some((path, latest.audio_ms.max(1000)));
                }
                Ok(_) => {}
                Err(e) => tracing::info!(error = %e, "alert recording not fetched"),
            }
        }
        let estimate = speech_ms(&msg.text);
        if !self.config.speak.trim().is_empty() {
            let path = dir.join(format!("{}.wav", msg.id));
            if path.exists() {
                return Some((path, estimate));
            }
            let words = command_words(&self.config.speak, &path.to_string_lossy(), Some(&msg.text));
            let made = Command::new(&words[0])
                .args(&words[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .await;
            if made.is_ok_and(|s| s.success()) && path.exists() {
                return Some((path, estimate));
            }
            tracing::warn!(command = %words[0], "local speech failed");
        }
        // Wait for the server's recording.
        let deadline = tokio::time::sleep(Duration::from_secs(30));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                ev = self.events.recv() => {
                    let ev = ev?;
                    self.take(ev, &OnAir::Alert(msg));
                    if self.cancelled.contains(&msg.first) {
                        return None;
                    }
                    if self.known.get(&msg.id).is_some_and(|m| m.audio) {
                        return Box::pin(self.alert_file(msg)).await;
                    }
                }
                () = &mut deadline => return None,
            }
        }
    }

    /// Fetches the schedule (304 while unchanged) and the files it lists; offline, the last
    /// one stays.
    async fn refresh(&mut self) {
        match self.client.schedule(self.etag.as_deref()).await {
            Ok(Fetched::Unchanged) => {}
            Ok(Fetched::New { body, etag }) => match serde_json::from_slice::<Schedule>(&body) {
                Ok(s) => {
                    self.schedule = s;
                    self.etag = etag;
                    let _ = write_file(&self.config.cache.join("schedule.json"), &body);
                    if let Some(e) = &self.etag {
                        let _ = write_file(&self.config.cache.join("schedule.etag"), e.as_bytes());
                    }
                    self.sync_media().await;
                    let airings: usize = self.schedule.days.iter().map(|d| d.airings.len()).sum();
                    tracing::info!(airings, files = self.schedule.media.len(), "new schedule");
                }
                Err(e) => tracing::warn!(error = %e, "unreadable schedule"),
            },
            Err(e) => tracing::info!(error = %e, "schedule not fetched; playing from the cache"),
        }
    }

    /// Downloads the files the manifest lists and this device lacks (checking their digest)
    /// and drops the others.
    async fn sync_media(&mut self) {
        let dir = self.config.cache.join("media");
        let wanted: Vec<(String, String)> = self
            .schedule
            .media
            .iter()
            .filter_map(|m| Some((m.sha256.clone()?, m.url.clone()?)))
            .collect();
        for (sha, url) in &wanted {
            let path = dir.join(sha);
            if path.exists() {
                continue;
            }
            match self.client.download(url).await {
                Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == *sha => {
                    if let Err(e) = write_file(&path, &bytes) {
                        tracing::warn!(error = %e, "cannot keep a file");
                    }
                }
                Ok(_) => tracing::warn!(%url, "downloaded file does not match its digest"),
                Err(e) => tracing::info!(error = %e, "file not downloaded"),
            }
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !wanted.iter().any(|(s, _)| *s == name) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    fn record(
        &mut self,
        item: Option<String>,
        alert: Option<String>,
        title: String,
        started_at: DateTime<Utc>,
        duration_ms: i64,
        result: &str,
    ) {
        let line = LogLine {
            id: uuid::Uuid::now_v7().to_string(),
            item,
            alert,
            title,
            started_at,
            duration_ms,
            result: result.to_string(),
        };
        tracing::info!(item = ?line.item, alert = ?line.alert, result, "aired");
        if let Ok(mut text) = serde_json::to_string(&line) {
            text.push('\n');
            let log = self.config.cache.join("plays.jsonl");
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
            if let Err(e) = appended {
                tracing::warn!(error = %e, "cannot write the play log");
            }
        }
        self.unsent.push(line);
        self.save_unsent();
    }

    fn save_aired(&self) {
        let aired = serde_json::json!({"done": self.done, "cancelled": self.cancelled});
        let _ = write_file(
            &self.config.cache.join("alerts/aired.json"),
            aired.to_string().as_bytes(),
        );
    }

    /// Tells the server which alert messages arrived (kept for later when it cannot be
    /// reached).
    async fn acknowledge(&mut self) {
        while let Some(id) = self.acks.first().cloned() {
            match tokio::time::timeout(Duration::from_secs(5), self.client.received(&id)).await {
                Ok(Ok(())) => {
                    self.acks.remove(0);
                }
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "could not say an alert was received");
                    return;
                }
                Err(_) => return,
            }
        }
    }

    fn save_unsent(&self) {
        if let Ok(b) = serde_json::to_vec(&self.unsent) {
            let _ = write_file(&self.config.cache.join("unsent.json"), &b);
        }
    }

    /// Sends the reports not yet acknowledged, oldest first.
    async fn flush(&mut self) {
        self.acknowledge().await;
        while !self.unsent.is_empty() {
            let n = self.unsent.len().min(BATCH);
            let plays: Vec<serde_json::Value> = self.unsent[..n]
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "id": l.id, "item": l.item, "alert": l.alert,
                        "started_at": l.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        "duration_ms": l.duration_ms, "result": l.result,
                    })
                })
                .collect();
            let body =
                serde_json::to_vec(&serde_json::json!({ "plays": plays })).unwrap_or_default();
            match self.client.plays(body).await {
                Ok(Sent::Kept) => {}
                Ok(Sent::Refused(why)) => {
                    tracing::warn!(%why, "the server refused play reports; dropped");
                }
                Err(e) => {
                    tracing::info!(error = %e, "reports not sent; kept for later");
                    return;
                }
            }
            self.unsent.drain(..n);
            self.save_unsent();
        }
    }
}

/// How long speech of `text` may last before its player is stopped: generous (a Vietnamese
/// voice reads some 12 characters a second), since the player ends by itself when done.
fn speech_ms(text: &str) -> i64 {
    text.chars().count() as i64 * 150 + 5000
}

/// Writes a whole file or nothing (through a temporary file and a rename).
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
