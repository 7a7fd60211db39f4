//! The commune's Zalo Official Account: connecting it, and sending published posts to it.
//!
//! **Connecting.** Each commune connects its own OA through Zalo's OAuth v4 consent with PKCE
//! (the flow of zaloplatform/zalo-java-sdk and ../shared/reference/integrations.md §1.2): the
//! officer is sent to `{oauth}/v4/oa/permission?app_id&redirect_uri&code_challenge&state`, Zalo
//! comes back to `/zalo/callback?code&state&oa_id`, and the code is exchanged at
//! `POST {oauth}/v4/oa/access_token` (header `secret_key`, form `app_id`, `code`,
//! `grant_type=authorization_code`, `code_verifier`). The access token lives as long as Zalo's
//! `expires_in` says; it is renewed with the single-use refresh token (form `refresh_token`,
//! `grant_type=refresh_token`) shortly before it expires, or when Zalo answers -216 (invalid
//! token). An install with one OA can instead set `XASO_ZALO_ACCESS_TOKEN`, used for units
//! without their own connection.
//!
//! **Sending.** Through the job queue with its retries, at the post's publishing time:
//! `POST {api}/v2.0/article/create` with the OA access token in the `access_token` header and a
//! JSON body `{type: "normal", title, author, cover: {cover_type: "photo", photo_url, status:
//! "show"}, description, body: [{type: "text", content} …], status: "show", comment: "show"}`
//! (the SDK's `CreateNormalArticle`). Zalo answers `error: 0` and `data.token` on success. When
//! the editor also asks for a broadcast, a second job asks `POST {api}/v2.0/article/verify
//! {token}` for the article's id (Zalo prepares articles asynchronously, so this is retried
//! until it has one) and broadcasts it to the OA's followers with `POST {api}/v2.0/oa/message
//! {recipient: {target: {}}, message: {attachment: {type: "template", payload:
//! {template_type: "media", elements: [{media_type: "article", attachment_id}]}}}}` (the SDK's
//! `SendBroadcastMessage`; an empty target, meaning every follower, is our reading and was not
//! verified against Zalo). Whether a cover is required was not verified either: it is sent when
//! the post has a picture. Each attempt's outcome is written to the post's deliveries.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use xaso_domain::portal::paragraphs;
use xaso_storage::portal::{self as db, DeliveryRow, OaLinkRow};
use xaso_storage::Store;

use super::{get_for_editor, publishes, Post};
use crate::queue::{Handler, Outcome, Running};
use crate::{Actor, Error, Result};

mod connect;
pub use connect::{begin_connect, disconnect, finish_connect, oa_status, OaStatus};

/// The job that sends a post to the Zalo OA as an article.
pub const JOB_ZALO_ARTICLE: &str = "portal.zalo_article";
/// The job that broadcasts a sent article to the OA's followers.
pub const JOB_ZALO_BROADCAST: &str = "portal.zalo_broadcast";

/// The channels' names in a post's deliveries.
pub const CHANNEL: &str = "zalo_oa";
pub const CHANNEL_BROADCAST: &str = "zalo_broadcast";

/// A token this close to its end is renewed before use.
const RENEW_BEFORE: Duration = Duration::minutes(5);
/// Zalo's code for an invalid or expired access token.
const INVALID_TOKEN: i64 = -216;

/// Where Zalo is and the app that speaks for the install: `XASO_ZALO_API` (default
/// `https://openapi.zalo.me`), `XASO_ZALO_OAUTH` (default `https://oauth.zaloapp.com`),
/// `XASO_ZALO_APP_ID` and `XASO_ZALO_APP_SECRET` (the app registered at developers.zalo.me,
/// needed to connect communes' OAs), and `XASO_ZALO_ACCESS_TOKEN` (one OA for every unit
/// without its own connection; the same variable as the feedback notices).
#[derive(Clone)]
pub struct ZaloConfig {
    pub api: String,
    pub oauth: String,
    pub app_id: Option<String>,
    pub app_secret: Option<String>,
    pub access_token: Option<String>,
}

impl Default for ZaloConfig {
    fn default() -> ZaloConfig {
        ZaloConfig {
            api: "https://openapi.zalo.me".into(),
            oauth: "https://oauth.zaloapp.com".into(),
            app_id: None,
            app_secret: None,
            access_token: None,
        }
    }
}

impl std::fmt::Debug for ZaloConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "***");
        f.debug_struct("ZaloConfig")
            .field("api", &self.api)
            .field("oauth", &self.oauth)
            .field("app_id", &self.app_id)
            .field("app_secret", &hidden(&self.app_secret))
            .field("access_token", &hidden(&self.access_token))
            .finish()
    }
}

impl ZaloConfig {
    pub fn from_env() -> ZaloConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let d = ZaloConfig::default();
        ZaloConfig {
            api: var("XASO_ZALO_API").unwrap_or(d.api),
            oauth: var("XASO_ZALO_OAUTH").unwrap_or(d.oauth),
            app_id: var("XASO_ZALO_APP_ID"),
            app_secret: var("XASO_ZALO_APP_SECRET"),
            access_token: var("XASO_ZALO_ACCESS_TOKEN"),
        }
    }

    /// Whether communes can connect their own OA (the install has a Zalo app).
    pub fn connects(&self) -> bool {
        self.app_id.is_some() && self.app_secret.is_some()
    }

    fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.api.trim_end_matches('/'))
    }

    fn oauth_url(&self, path: &str) -> String {
        format!("{}{path}", self.oauth.trim_end_matches('/'))
    }
}

/// The HTTP client for Zalo's servers (bounded waits).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap_or_default()
}

/// Tokens as Zalo's OAuth server gives them.
pub(super) struct Tokens {
    access: String,
    refresh: String,
    expires_at: DateTime<Utc>,
}

/// Asks Zalo's OAuth server for tokens (a code's exchange or a renewal).
pub(super) async fn token_request(
    http: &reqwest::Client,
    cfg: &ZaloConfig,
    form: &[(&str, &str)],
) -> std::result::Result<Tokens, String> {
    let (Some(app_id), Some(secret)) = (&cfg.app_id, &cfg.app_secret) else {
        return Err("no Zalo app is configured (XASO_ZALO_APP_ID, XASO_ZALO_APP_SECRET)".into());
    };
    let mut fields = vec![("app_id", app_id.as_str())];
    fields.extend_from_slice(form);
    let resp = http
        .post(cfg.oauth_url("/v4/oa/access_token"))
        .header("secret_key", secret)
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("Zalo OAuth unreachable: {e}"))?;
    let status = resp.status();
    let v: Value = json_of(resp)
        .await
        .ok_or_else(|| format!("Zalo OAuth answered HTTP {status} without JSON"))?;
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let access = text("access_token");
    if !status.is_success() || access.is_empty() {
        let why = [
            text("error_description"),
            text("error_name"),
            text("message"),
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
        return Err(format!(
            "Zalo OAuth refused (HTTP {status}, error {}): {why}",
            v.get("error").map(Value::to_string).unwrap_or_default()
        ));
    }
    // Zalo sends the lifetime in seconds, as a string in some answers and a number in others.
    let secs = match v.get("expires_in") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(n) => n.as_i64(),
        None => None,
    }
    .unwrap_or(3600);
    Ok(Tokens {
        access,
        refresh: text("refresh_token"),
        expires_at: Utc::now() + Duration::seconds(secs.clamp(60, 366 * 86_400)),
    })
}

/// An answer's body as JSON, if it is.
async fn json_of(resp: reqwest::Response) -> Option<Value> {
    serde_json::from_str(&resp.text().await.ok()?).ok()
}

/// The article Zalo is asked to create for a post; `base` is the portal's public address
/// (the article ends with a link to the post there).
pub fn article(post: &Post, base: &str) -> Value {
    let base = base.trim_end_matches('/');
    let url = format!("{base}/posts/{}", post.row.id);
    let mut body: Vec<Value> = paragraphs(&post.row.body)
        .into_iter()
        .map(|p| json!({"type": "text", "content": p}))
        .collect();
    if post.row.image_key.is_some() {
        body.insert(
            0,
            json!({"type": "image", "url": format!("{url}/image.jpg"), "caption": post.row.image_alt}),
        );
    }
    body.push(
        json!({"type": "text", "content": format!("Xem trên trang thông tin điện tử: {url}")}),
    );
    let mut a = json!({
        "type": "normal",
        "title": post.row.title,
        "author": post.unit.full_name,
        "description": if post.row.summary.is_empty() { post.row.title.clone() } else { post.row.summary.clone() },
        "body": body,
        "status": "show",
        "comment": "show",
    });
    if post.row.image_key.is_some() {
        a["cover"] = json!({"cover_type": "photo", "photo_url": format!("{url}/image.jpg"), "status": "show"});
    }
    a
}

async fn record(
    store: &Store,
    post_id: &str,
    channel: &str,
    status: &str,
    detail: &str,
    by: &str,
) -> Result<()> {
    let mut tx = store.begin().await?;
    db::add_delivery(
        tx.conn(),
        &DeliveryRow {
            id: xaso_storage::new_id(),
            post_id: post_id.into(),
            channel: channel.into(),
            status: status.into(),
            detail: detail.chars().take(500).collect(),
            by_user: by.into(),
            at: xaso_storage::now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues the post for the Zalo OA, to go at its publishing time (now if that has passed), and
/// with `broadcast` also to the OA's followers. Who may publish it may send it; a published
/// post only.
pub async fn send(store: &Store, actor: Option<&Actor>, id: &str, broadcast: bool) -> Result<()> {
    let post = get_for_editor(store, actor, id).await?;
    let actor = actor.expect("get_for_editor checked the actor");
    if !publishes(store, Some(actor), &post.row.unit_id).await? {
        return Err(Error::Forbidden);
    }
    if post.status != xaso_domain::portal::PostStatus::Published {
        return Err(Error::Conflict(
            "only a published post is sent to Zalo".into(),
        ));
    }
    let now = Utc::now();
    let at = post
        .row
        .publish_at
        .as_deref()
        .and_then(xaso_domain::time::from_storage)
        .filter(|t| *t > now);
    let mut tx = store.begin().await?;
    crate::queue::enqueue_at(
        &mut tx,
        JOB_ZALO_ARTICLE,
        &json!({"post": post.row.id, "by": actor.username, "broadcast": broadcast}),
        crate::queue::DEFAULT_ATTEMPTS,
        at.unwrap_or(now),
    )
    .await?;
    db::add_delivery(
        tx.conn(),
        &DeliveryRow {
            id: xaso_storage::new_id(),
            post_id: post.row.id.clone(),
            channel: CHANNEL.into(),
            status: "queued".into(),
            // The time it is due, when later than now (shown as such on the post's page).
            detail: at.map(xaso_domain::time::to_storage).unwrap_or_default(),
            by_user: actor.username.clone(),
            at: xaso_storage::now(),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "send",
            record_type: "portal_post",
            record_id: &post.row.id,
            unit_id: Some(&post.row.unit_id),
            before: None,
            after: Some(json!({"channel": CHANNEL, "broadcast": broadcast})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A post's deliveries, newest first (its editors).
pub async fn deliveries(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<Vec<DeliveryRow>> {
    get_for_editor(store, actor, id).await?;
    let mut conn = store.read().await?;
    Ok(db::deliveries(&mut conn, id).await?)
}

/// Runs [`JOB_ZALO_ARTICLE`] jobs (and, through [`ZaloBroadcastJob`], the broadcasts).
pub struct ZaloJob {
    pub store: Store,
    /// The portal's public address, for links and the cover picture.
    pub base_url: String,
    pub cfg: ZaloConfig,
    pub http: reqwest::Client,
}

/// What a call to the OA API came to: Zalo's `data`, or why not (and whether to retry).
enum Failure {
    /// Nothing to send with (no OA): recorded, not retried.
    NoOa(String),
    /// Refused or unreachable: recorded and retried by the queue.
    Retry(String),
}

impl ZaloJob {
    pub fn new(store: Store, base_url: &str, cfg: ZaloConfig) -> ZaloJob {
        ZaloJob {
            store,
            base_url: base_url.trim_end_matches('/').to_string(),
            cfg,
            http: http_client(),
        }
    }

    /// The access token for the unit's OA, renewed first if it is about to end (or `force`).
    /// Falls back to the install's token for units without their own connection.
    async fn token(
        &self,
        unit_id: &str,
        force: bool,
    ) -> std::result::Result<(String, bool), Failure> {
        let link = {
            let mut conn = self
                .store
                .read()
                .await
                .map_err(|e| Failure::Retry(e.to_string()))?;
            db::oa_link(&mut conn, unit_id)
                .await
                .map_err(|e| Failure::Retry(e.to_string()))?
        };
        let Some(link) = link else {
            return match &self.cfg.access_token {
                Some(t) => Ok((t.clone(), false)),
                None => Err(Failure::NoOa(
                    "no Zalo OA is connected for this unit (and XASO_ZALO_ACCESS_TOKEN is not set)"
                        .into(),
                )),
            };
        };
        let ends = xaso_domain::time::from_storage(&link.expires_at);
        if !force && ends.is_some_and(|t| t - RENEW_BEFORE > Utc::now()) {
            return Ok((link.access_token, true));
        }
        self.renew(&link).await.map(|t| (t, true))
    }

    /// Renews a unit's tokens; if another server renewed them first, uses its token.
    async fn renew(&self, link: &OaLinkRow) -> std::result::Result<String, Failure> {
        let sql = |e: xaso_storage::StoreError| Failure::Retry(e.to_string());
        let got = if link.refresh_token.is_empty() {
            Err("the OA connection has no refresh token".to_string())
        } else {
            token_request(
                &self.http,
                &self.cfg,
                &[
                    ("refresh_token", &link.refresh_token),
                    ("grant_type", "refresh_token"),
                ],
            )
            .await
        };
        let mut tx = self
            .store
            .begin()
            .await
            .map_err(|e| Failure::Retry(e.to_string()))?;
        let out = match got {
            Ok(t) => {
                let landed = db::renew_oa_link(
                    tx.conn(),
                    &link.unit_id,
                    &link.refresh_token,
                    &t.access,
                    &t.refresh,
                    &xaso_domain::time::to_storage(t.expires_at),
                    &xaso_storage::now(),
                )
                .await
                .map_err(sql)?;
                if landed {
                    Ok(t.access)
                } else {
                    match db::oa_link(tx.conn(), &link.unit_id).await.map_err(sql)? {
                        Some(l) => Ok(l.access_token),
                        None => Err(Failure::NoOa("the OA was disconnected".into())),
                    }
                }
            }
            Err(why) => {
                let why = format!("renewing the OA token failed; connect the OA again ({why})");
                db::oa_link_problem(tx.conn(), &link.unit_id, &why)
                    .await
                    .map_err(sql)?;
                Err(Failure::Retry(why))
            }
        };
        tx.commit()
            .await
            .map_err(|e| Failure::Retry(e.to_string()))?;
        out
    }

    /// Calls the OA API for the unit: renews the token once if Zalo says it is invalid.
    async fn call(
        &self,
        unit_id: &str,
        path: &str,
        body: &Value,
    ) -> std::result::Result<Value, Failure> {
        let (mut token, linked) = self.token(unit_id, false).await?;
        let mut renewed = false;
        loop {
            match self.post(path, &token, body).await {
                Err((Some(INVALID_TOKEN), _)) if linked && !renewed => {
                    renewed = true;
                    token = self.token(unit_id, true).await?.0;
                }
                Err((_, why)) => return Err(Failure::Retry(why)),
                Ok(data) => return Ok(data),
            }
        }
    }

    /// One request to the OA API: Zalo's `data` when it answers `error: 0`.
    async fn post(
        &self,
        path: &str,
        token: &str,
        body: &Value,
    ) -> std::result::Result<Value, (Option<i64>, String)> {
        let resp = self
            .http
            .post(self.cfg.api_url(path))
            .header("access_token", token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| (None, format!("Zalo unreachable: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err((None, format!("Zalo answered HTTP {status}")));
        }
        let v = json_of(resp)
            .await
            .ok_or((None, "Zalo answered something not JSON".to_string()))?;
        match v.get("error").and_then(Value::as_i64) {
            Some(0) => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
            Some(code) => Err((
                Some(code),
                format!(
                    "Zalo error {code}: {}",
                    v.get("message").and_then(Value::as_str).unwrap_or("")
                ),
            )),
            None => Err((None, "Zalo answered without an error code".into())),
        }
    }

    /// The post of a job, if it should still go: (post, by) or `None` when it was recorded as
    /// skipped.
    async fn due_post(
        &self,
        job: &Running,
        channel: &str,
    ) -> std::result::Result<Option<(Post, String)>, String> {
        let id = job.payload["post"].as_str().unwrap_or_default().to_string();
        let by = job.payload["by"].as_str().unwrap_or("system").to_string();
        let row = {
            let mut conn = self.store.read().await.map_err(|e| e.to_string())?;
            db::get(&mut conn, &id).await.map_err(|e| e.to_string())?
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let unit = super::unit_by_id(&self.store, &row.unit_id)
            .await
            .map_err(|e| e.to_string())?;
        let post = super::assemble(row, unit);
        let t = |s: &Option<String>| s.as_deref().and_then(xaso_domain::time::from_storage);
        let skip = if post.status != xaso_domain::portal::PostStatus::Published {
            Some("the post is no longer published")
        } else if t(&post.row.expire_at).is_some_and(|e| e <= Utc::now()) {
            Some("the post has expired")
        } else {
            None
        };
        if let Some(why) = skip {
            let _ = record(&self.store, &id, channel, "skipped", why, &by).await;
            return Ok(None);
        }
        Ok(Some((post, by)))
    }

    /// Records a call's outcome; an error for the queue to retry.
    async fn settle(
        &self,
        post: &Post,
        channel: &str,
        by: &str,
        got: &std::result::Result<Value, Failure>,
    ) -> std::result::Result<(), String> {
        let id = &post.row.id;
        match got {
            Ok(data) => record(&self.store, id, channel, "sent", &data.to_string(), by)
                .await
                .map_err(|e| e.to_string()),
            Err(Failure::NoOa(why)) => {
                let _ = record(&self.store, id, channel, "failed", why, by).await;
                Ok(())
            }
            Err(Failure::Retry(why)) => {
                let _ = record(&self.store, id, channel, "failed", why, by).await;
                Err(why.clone())
            }
        }
    }

    async fn article(&self, job: &Running) -> std::result::Result<(), String> {
        let Some((post, by)) = self.due_post(job, CHANNEL).await? else {
            return Ok(());
        };
        let got = self
            .call(
                &post.row.unit_id,
                "/v2.0/article/create",
                &article(&post, &self.base_url),
            )
            .await;
        self.settle(&post, CHANNEL, &by, &got).await?;
        let token = got
            .ok()
            .and_then(|d| d["token"].as_str().map(str::to_string));
        if let (Some(token), true) = (token, job.payload["broadcast"] == json!(true)) {
            let queued = async {
                let mut tx = self.store.begin().await?;
                crate::queue::enqueue(
                    &mut tx,
                    JOB_ZALO_BROADCAST,
                    &json!({"post": post.row.id, "by": by, "token": token}),
                    crate::queue::DEFAULT_ATTEMPTS,
                )
                .await?;
                tx.commit().await?;
                Ok::<_, Error>(())
            }
            .await;
            if let Err(e) = queued {
                let _ = record(
                    &self.store,
                    &post.row.id,
                    CHANNEL_BROADCAST,
                    "failed",
                    &e.to_string(),
                    &by,
                )
                .await;
            }
        }
        Ok(())
    }

    async fn broadcast(&self, job: &Running) -> std::result::Result<(), String> {
        let Some((post, by)) = self.due_post(job, CHANNEL_BROADCAST).await? else {
            return Ok(());
        };
        let unit = post.row.unit_id.clone();
        let token = job.payload["token"].as_str().unwrap_or_default();
        let got = match self.call(&unit, "/v2.0/article/verify", &json!({"token": token})).await {
            Ok(d) => match d["id"].as_str().filter(|s| !s.is_empty()) {
                Some(article_id) => {
                    self.call(
                        &unit,
                        "/v2.0/oa/message",
                        &json!({
                            "recipient": {"target": {}},
                            "message": {"attachment": {"type": "template", "payload": {
                                "template_type": "media",
                                "elements": [{"media_type": "article", "attachment_id": article_id}],
                            }}},
                        }),
                    )
                    .await
                }
                None => Err(Failure::Retry("Zalo has not prepared the article yet".into())),
            },
            Err(f) => Err(f),
        };
        self.settle(&post, CHANNEL_BROADCAST, &by, &got).await
    }
}

impl Handler for ZaloJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.article(job))
    }
}

/// Runs [`JOB_ZALO_BROADCAST`] jobs with the same connection as the articles.
pub struct ZaloBroadcastJob(pub std::sync::Arc<ZaloJob>);

impl Handler for ZaloBroadcastJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.0.broadcast(job))
    }
}
