//! The event stream (docs/PLAYERS.md §4): Server-Sent Events read off one long-lived request,
//! reconnected when it drops.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::client::Client;

/// An alert message as the stream gives it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AlertMsg {
    pub id: String,
    /// The first message of its thread (its own id for a new alert).
    pub first: String,
    /// `Alert`, `Update` or `Cancel`.
    pub msg_type: String,
    #[serde(default)]
    pub headline: String,
    /// What to say, in one piece.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default = "one")]
    pub repeats: u32,
    /// Whether the server's recording is ready.
    #[serde(default)]
    pub audio: bool,
    #[serde(default)]
    pub audio_ms: i64,
}

fn one() -> u32 {
    1
}

/// What the stream tells the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Connected (again): alerts in force follow.
    Hello,
    Alert(AlertMsg),
    /// Something this device plays changed: fetch the schedule now.
    Schedule,
}

/// Reads `text/event-stream` blocks as they arrive.
#[derive(Default)]
pub(crate) struct Parser {
    buffer: String,
}

impl Parser {
    /// Feeds bytes; returns the events completed by them (name, data).
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.buffer
            .push_str(&String::from_utf8_lossy(bytes).replace("\r\n", "\n"));
        let mut out = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut name = String::from("message");
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines() {
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => name = value.to_string(),
                    "data" => data.push(value),
                    _ => {}
                }
            }
            if !data.is_empty() {
                out.push((name, data.join("\n")));
            }
        }
        out
    }
}

fn event_of(name: &str, data: &str) -> Option<Event> {
    match name {
        "hello" => Some(Event::Hello),
        "schedule" => Some(Event::Schedule),
        "alert" => match serde_json::from_str::<AlertMsg>(data) {
            Ok(a) => Some(Event::Alert(a)),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable alert event");
                None
            }
        },
        _ => None,
    }
}

/// Keeps the stream open and passes its events on, reconnecting two seconds after it drops,
/// until the receiver is gone.
pub(crate) async fn follow(client: Client, tx: mpsc::UnboundedSender<Event>) {
    loop {
        match client.events().await {
            Ok(mut resp) => {
                let mut parser = Parser::default();
                loop {
                    match resp.chunk().await {
                        Ok(Some(bytes)) => {
                            for (name, data) in parser.feed(&bytes) {
                                if let Some(ev) = event_of(&name, &data) {
                                    if tx.send(ev).is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            tracing::info!(error = %e, "event stream dropped");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::info!(error = %e, "event stream not reachable"),
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_across_chunks_and_comments_are_ignored() {
        let mut p = Parser::default();
        assert!(p.feed(b"event: hello\ndata: {\"device\":\"d\"}").is_empty());
        let got =
            p.feed(b"\n\n:\n\nevent: alert\r\ndata: {\"id\":\"a\",\r\ndata: \"x\":1}\r\n\r\n");
        assert_eq!(
            got,
            [
                ("hello".to_string(), "{\"device\":\"d\"}".to_string()),
                ("alert".to_string(), "{\"id\":\"a\",\n\"x\":1}".to_string()),
            ]
        );
    }

    #[test]
    fn an_alert_event_is_read_as_the_server_writes_it() {
        let data = r#"{"id":"b","first":"a","identifier":"urn:uuid:b","msg_type":"Update","status":"Actual","hazard":"flood","urgency":"Immediate","severity":"Extreme","certainty":"Likely","headline":"Lũ","description":"","instruction":"","text":"Lũ.","expires":"2026-12-04T08:00:00Z","repeats":3,"audio":false,"audio_ms":0}"#;
        let Some(Event::Alert(a)) = event_of("alert", data) else {
            panic!("an alert")
        };
        assert_eq!(a.first, "a");
        assert_eq!(a.repeats, 3);
        assert_eq!(a.expires.unwrap().to_rfc3339(), "2026-12-04T08:00:00+00:00");
    }
}
