//! The protocol's requests (docs/PLAYERS.md), each with the device's token.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::{header, StatusCode};

use crate::Config;

#[derive(Clone)]
pub(crate) struct Client {
    /// For short requests (30 s at most).
    http: reqwest::Client,
    /// For the event stream, which stays open.
    stream: reqwest::Client,
    base: String,
    device: String,
    token: String,
}

/// A schedule fetch's answer.
pub(crate) enum Fetched {
    Unchanged,
    New { body: Vec<u8>, etag: Option<String> },
}

/// What the server said of a batch of play reports.
pub(crate) enum Sent {
    Kept,
    /// Refused as wrong (422): sending them again would not help.
    Refused(String),
}

impl Client {
    pub(crate) fn new(config: &Config) -> Result<Client> {
        let agent = concat!("xaso-speaker/", env!("CARGO_PKG_VERSION"));
        Ok(Client {
            http: reqwest::Client::builder()
                .user_agent(agent)
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build()?,
            stream: reqwest::Client::builder()
                .user_agent(agent)
                .connect_timeout(Duration::from_secs(10))
                .build()?,
            base: config.server.trim_end_matches('/').to_string(),
            device: config.device.clone(),
            token: config.token.clone(),
        })
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn device_url(&self, rest: &str) -> String {
        self.url(&format!("/api/v1/devices/{}{rest}", self.device))
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub(crate) async fn schedule(&self, etag: Option<&str>) -> Result<Fetched> {
        let mut req = self
            .http
            .get(self.device_url("/schedule"))
            .header(header::AUTHORIZATION, self.auth());
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        let resp = req.send().await?;
        match resp.status() {
            StatusCode::NOT_MODIFIED => Ok(Fetched::Unchanged),
            StatusCode::OK => {
                let etag = resp
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(Fetched::New {
                    body: resp.bytes().await?.to_vec(),
                    etag,
                })
            }
            s => bail!("schedule: the server answered {s}"),
        }
    }

    /// A file the manifest names.
    pub(crate) async fn download(&self, url: &str) -> Result<Vec<u8>> {
        let resp = self
            .http
            .get(self.url(url))
            .header(header::AUTHORIZATION, self.auth())
            .timeout(Duration::from_secs(600))
            .send()
            .await?;
        if resp.status() != StatusCode::OK {
            bail!("{url}: the server answered {}", resp.status());
        }
        Ok(resp.bytes().await?.to_vec())
    }

    pub(crate) async fn alert_audio(&self, alert: &str) -> Result<Vec<u8>> {
        self.download(&format!(
            "/api/v1/devices/{}/alerts/{alert}/audio",
            self.device
        ))
        .await
    }

    pub(crate) async fn received(&self, alert: &str) -> Result<()> {
        let resp = self
            .http
            .post(self.device_url(&format!("/alerts/{alert}/received")))
            .header(header::AUTHORIZATION, self.auth())
            .send()
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            // Not (or no longer) this device's: nothing to say again.
            StatusCode::NOT_FOUND => Ok(()),
            s => bail!("received: the server answered {s}"),
        }
    }

    pub(crate) async fn plays(&self, body: Vec<u8>) -> Result<Sent> {
        let resp = self
            .http
            .post(self.device_url("/plays"))
            .header(header::AUTHORIZATION, self.auth())
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        match resp.status() {
            StatusCode::OK => Ok(Sent::Kept),
            StatusCode::UNPROCESSABLE_ENTITY => Ok(Sent::Refused(
                resp.text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(500)
                    .collect(),
            )),
            s => bail!("plays: the server answered {s}"),
        }
    }

    pub(crate) async fn events(&self) -> Result<reqwest::Response> {
        let resp = self
            .stream
            .get(self.device_url("/events"))
            .header(header::AUTHORIZATION, self.auth())
            .header(header::ACCEPT, "text/event-stream")
            .send()
            .await
            .context("events")?;
        if resp.status() != StatusCode::OK {
            bail!("events: the server answered {}", resp.status());
        }
        Ok(resp)
    }
}
