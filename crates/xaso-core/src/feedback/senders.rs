//! The channels a notice goes out by: a webhook (signed JSON), Zalo Official Account
//! consultation messages, and e-mail over SMTP. Each is configured at start; an unconfigured
//! channel has no sender and its jobs are skipped.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::json;
use sha2::Sha256;

use super::notify::{Notice, Sender};
use crate::queue::Outcome;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default()
}

/// POSTs each notice as JSON to one address. With a secret, the body is signed:
/// `X-Xaso-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. No private data is sent: no
/// reporter, no tracking code.
pub struct Webhook {
    url: String,
    secret: Option<String>,
    http: reqwest::Client,
}

impl Webhook {
    pub fn new(url: &str, secret: Option<String>) -> Webhook {
        Webhook {
            url: url.to_string(),
            secret: secret.filter(|s| !s.is_empty()),
            http: client(),
        }
    }

    /// The JSON body a notice becomes.
    pub fn body(notice: &Notice) -> Vec<u8> {
        json!({
            "event": notice.event,
            "service_request_id": notice.number.to_string(),
            "status": notice.status.open311(),
            "status_detail": notice.status.as_str(),
            "service_name": notice.category,
            "commune": notice.commune,
            "status_notes": notice.public_note,
            "url": notice.staff_url,
            "at": notice.at,
        })
        .to_string()
        .into_bytes()
    }

    /// The signature header's value for a body.
    pub fn signature(secret: &str, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// POSTs one JSON body with its event name (and signature); `Err` is retried.
    pub async fn post(&self, event: &str, body: Vec<u8>) -> Result<(), String> {
        let mut req = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-xaso-event", event);
        if let Some(secret) = &self.secret {
            req = req.header("x-xaso-signature", Webhook::signature(secret, &body));
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| format!("webhook unreachable: {e}"))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", resp.status()))
        }
    }

    /// The webhook the environment configures (`XASO_WEBHOOK_URL`, `XASO_WEBHOOK_SECRET`).
    pub fn from_env() -> Option<Webhook> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        var("XASO_WEBHOOK_URL").map(|url| Webhook::new(&url, var("XASO_WEBHOOK_SECRET")))
    }
}

impl Sender for Webhook {
    fn send<'a>(&'a self, _to: &'a str, notice: &'a Notice) -> Outcome<'a> {
        Box::pin(async move { self.post(&notice.event, Webhook::body(notice)).await })
    }
}

/// Sends a notice to a follower of the commune's Zalo Official Account as a consultation
/// message (`POST /v3.0/oa/message/cs`, the OA access token in the `access_token` header; see
/// ../shared/reference/integrations.md §1.3). Zalo answers HTTP 200 with `error: 0` on success
/// and a negative code otherwise (-216: token expired; -230: the user has not written to the
/// OA in 7 days), which is kept on the job.
pub struct Zalo {
    base: String,
    access_token: String,
    http: reqwest::Client,
}

impl Zalo {
    /// `base` is `https://openapi.zalo.me` in production.
    pub fn new(base: &str, access_token: &str) -> Zalo {
        Zalo {
            base: base.trim_end_matches('/').to_string(),
            access_token: access_token.to_string(),
            http: client(),
        }
    }

    /// The request body for one user.
    pub fn body(user_id: &str, notice: &Notice) -> serde_json::Value {
        json!({"recipient": {"user_id": user_id}, "message": {"text": notice.text}})
    }
}

impl Sender for Zalo {
    fn send<'a>(&'a self, to: &'a str, notice: &'a Notice) -> Outcome<'a> {
        Box::pin(async move {
            let resp = self
                .http
                .post(format!("{}/v3.0/oa/message/cs", self.base))
                .header("access_token", &self.access_token)
                .header("content-type", "application/json")
                .body(Zalo::body(to, notice).to_string())
                .send()
                .await
                .map_err(|e| format!("Zalo unreachable: {e}"))?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| format!("Zalo: {e}"))?;
            if !status.is_success() {
                return Err(format!("Zalo answered HTTP {status}"));
            }
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| "Zalo answered something not JSON".to_string())?;
            match v.get("error").and_then(|e| e.as_i64()) {
                Some(0) => Ok(()),
                Some(code) => Err(format!(
                    "Zalo error {code}: {}",
                    v.get("message").and_then(|m| m.as_str()).unwrap_or("")
                )),
                None => Err("Zalo answered without an error code".into()),
            }
        })
    }
}

/// E-mail over SMTP. The URL is lettre's: `smtp://user:pass@host:587?tls=required`,
/// `smtps://…:465`, or `smtp://host:25` for a relay on the same network.
pub struct Email {
    from: lettre::message::Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Email {
    pub fn new(url: &str, from: &str) -> Result<Email, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("sender address `{from}`: {e}"))?;
        Ok(Email { from, transport })
    }
}

impl Sender for Email {
    fn send<'a>(&'a self, to: &'a str, notice: &'a Notice) -> Outcome<'a> {
        Box::pin(async move {
            let to = to.parse().map_err(|e| format!("recipient address: {e}"))?;
            let message = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(notice.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(notice.text.clone())
                .map_err(|e| format!("message: {e}"))?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}"))
        })
    }
}

/// The senders the environment configures (each channel is off unless its variables are set):
/// `XASO_SMTP_URL` and `XASO_SMTP_FROM` for e-mail; `XASO_WEBHOOK_URL` (and
/// `XASO_WEBHOOK_SECRET` to sign) for the webhook; `XASO_ZALO_ACCESS_TOKEN` (and
/// `XASO_ZALO_API`, default `https://openapi.zalo.me`) for Zalo.
pub fn from_env() -> std::collections::HashMap<String, std::sync::Arc<dyn Sender>> {
    use std::sync::Arc;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let mut out: std::collections::HashMap<String, Arc<dyn Sender>> = Default::default();
    if let Some(webhook) = Webhook::from_env() {
        out.insert(super::notify::WEBHOOK.into(), Arc::new(webhook));
    }
    if let Some(token) = var("XASO_ZALO_ACCESS_TOKEN") {
        let base = var("XASO_ZALO_API").unwrap_or_else(|| "https://openapi.zalo.me".into());
        out.insert(
            super::notify::ZALO.into(),
            Arc::new(Zalo::new(&base, &token)),
        );
    }
    if let Some(url) = var("XASO_SMTP_URL") {
        let from = var("XASO_SMTP_FROM").unwrap_or_else(|| "Xã Số <no-reply@localhost>".into());
        match Email::new(&url, &from) {
            Ok(e) => {
                out.insert(super::notify::EMAIL.into(), Arc::new(e));
            }
            // The URL holds a password: only the reason is logged.
            Err(e) => {
                tracing::error!(error = %e, "e-mail notifications off: XASO_SMTP_URL unusable")
            }
        }
    }
    out
}
