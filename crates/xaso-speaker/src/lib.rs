//! The reference loudspeaker agent: runs on the computer at a loudspeaker cluster's head (a
//! Raspberry Pi or any small Linux box with an amplifier on its audio output) and follows the
//! device protocol of docs/PLAYERS.md.
//!
//! It fetches its schedule and the files it lists (kept in a cache folder by digest, so it keeps
//! playing for three days without the network), plays each airing at its time through a
//! configurable command (`aplay -q {file}`, `mpv --no-video {file}` …), listens on the event
//! stream for emergency alerts (an alert stops what is playing, airs as many times as the officer
//! set, then the programme resumes), writes every airing to its play log and reports it to the
//! server, keeping unsent reports across restarts.
//!
//! Time comes from a [`Clock`], so a test can run a whole day in a moment.

mod agent;
mod client;
mod events;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use agent::{Agent, LogLine};
pub use events::{AlertMsg, Event};

/// What the agent needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// The platform's address, e.g. `https://xaso.example.vn`.
    pub server: String,
    /// The device's asset id in the commune's ICT register.
    pub device: String,
    /// Its device token (`xsd_…`).
    pub token: String,
    /// Where files, the last schedule, unsent reports and the play log are kept.
    pub cache: PathBuf,
    /// How to play a file: words split on spaces, `{file}` replaced by the file's path
    /// (appended when absent). The command must exit when the file ends.
    pub play: String,
    /// How to make speech of an alert's text while the server's recording is not there yet:
    /// `{file}` is the WAV to write and `{text}` the text (one argument). Empty: wait for the
    /// server's recording.
    pub speak: String,
    /// How often to ask for the schedule (a 304 costs one small request).
    pub poll: Duration,
}

impl Config {
    pub fn new(server: &str, device: &str, token: &str, cache: PathBuf) -> Config {
        Config {
            server: server.trim_end_matches('/').to_string(),
            device: device.to_string(),
            token: token.to_string(),
            cache,
            play: "aplay -q {file}".into(),
            speak: "espeak-ng -v vi -w {file} {text}".into(),
            poll: Duration::from_secs(60),
        }
    }
}

/// A boxed future, so clocks can be chosen at run time.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the agent reads the time and waits.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Resolves once [`Clock::now`] has reached `t` (at once if it has).
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_>;
}

/// The computer's clock (keep it right with NTP: airings start by it).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        Box::pin(async move {
            // Sleep in steps of at most a minute so a clock set by NTP meanwhile is followed.
            loop {
                let left = t - Utc::now();
                if left <= chrono::TimeDelta::zero() {
                    return;
                }
                let step = left
                    .to_std()
                    .unwrap_or_default()
                    .min(Duration::from_secs(60));
                tokio::time::sleep(step).await;
            }
        })
    }
}

/// Runs the agent until the process ends.
pub async fn run(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let mut agent = Agent::start(config, clock).await?;
    agent.run().await
}

/// The words of a command template with `{file}` (and `{text}`) put in; `{file}` is appended
/// when the template does not name it.
pub fn command_words(template: &str, file: &str, text: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> = template.split_whitespace().map(str::to_string).collect();
    let mut named = false;
    for w in &mut words {
        if w.contains("{file}") {
            *w = w.replace("{file}", file);
            named = true;
        }
        if let Some(t) = text {
            if w.contains("{text}") {
                *w = w.replace("{text}", t);
            }
        }
    }
    if !named {
        words.push(file.to_string());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_put_the_file_and_the_text_in_their_place() {
        assert_eq!(
            command_words("aplay -q {file}", "/c/a.wav", None),
            ["aplay", "-q", "/c/a.wav"]
        );
        assert_eq!(
            command_words("mpv --no-video", "/c/a.mp3", None),
            ["mpv", "--no-video", "/c/a.mp3"],
            "appended when not named"
        );
        assert_eq!(
            command_words(
                "espeak-ng -v vi -w {file} {text}",
                "/c/x.wav",
                Some("Lũ đang lên nhanh")
            ),
            [
                "espeak-ng",
                "-v",
                "vi",
                "-w",
                "/c/x.wav",
                "Lũ đang lên nhanh"
            ],
            "the text stays one argument"
        );
    }
}
