//! Sending a published post to the commune's Zalo Official Account as an article, through the
//! job queue with its retries. The request is Zalo's article API as its official SDK uses it
//! (zaloplatform/zalo-java-sdk, `CreateNormalArticle`): `POST {api}/v2.0/article/create` with
//! the OA access token in the `access_token` header and a JSON body `{type: "normal", title,
//! author, cover: {cover_type: "photo", photo_url, status: "show"}, description, body:
//! [{type: "text", content} …], status: "show", comment: "show"}`. Zalo answers `error: 0` on
//! success (a negative code otherwise, kept on the job and in the post's deliveries). Whether
//! a cover is required was not verified: it is sent when the post has a picture. Each attempt's
//! outcome is written to the post's deliveries.

use serde_json::{json, Value};
use xaso_domain::portal::paragraphs;
use xaso_storage::portal::{self as db, DeliveryRow};
use xaso_storage::Store;

use super::{get_for_editor, publishes, Post};
use crate::queue::{Handler, Outcome, Running};
use crate::{Actor, Error, Result};

/// The job that sends a post to the Zalo OA.
pub const JOB_ZALO_ARTICLE: &str = "portal.zalo_article";

/// The channel's name in a post's deliveries.
pub const CHANNEL: &str = "zalo_oa";

/// The OA's API address and access token (`XASO_ZALO_API`, default `https://openapi.zalo.me`,
/// and `XASO_ZALO_ACCESS_TOKEN`, the same variables as the feedback notices).
#[derive(Clone)]
pub struct ZaloOa {
    pub api: String,
    pub access_token: String,
}

impl ZaloOa {
    pub fn from_env() -> Option<ZaloOa> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Some(ZaloOa {
            access_token: var("XASO_ZALO_ACCESS_TOKEN")?,
            api: var("XASO_ZALO_API").unwrap_or_else(|| "https://openapi.zalo.me".into()),
        })
    }
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

async fn record(store: &Store, post_id: &str, status: &str, detail: &str, by: &str) -> Result<()> {
    let mut tx = store.begin().await?;
    db::add_delivery(
        tx.conn(),
        &DeliveryRow {
            id: xaso_storage::new_id(),
            post_id: post_id.into(),
            channel: CHANNEL.into(),
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

/// Queues the post for the Zalo OA (who may publish it may send it; a published post only).
pub async fn send(store: &Store, actor: Option<&Actor>, id: &str) -> Result<()> {
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
    let mut tx = store.begin().await?;
    crate::queue::enqueue(
        &mut tx,
        JOB_ZALO_ARTICLE,
        &json!({"post": post.row.id, "by": actor.username}),
        crate::queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    db::add_delivery(
        tx.conn(),
        &DeliveryRow {
            id: xaso_storage::new_id(),
            post_id: post.row.id.clone(),
            channel: CHANNEL.into(),
            status: "queued".into(),
            detail: String::new(),
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
            after: Some(json!({"channel": CHANNEL})),
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

/// Runs [`JOB_ZALO_ARTICLE`] jobs.
pub struct ZaloArticleJob {
    pub store: Store,
    /// The portal's public address, for links and the cover picture.
    pub base_url: String,
    /// `None` when no OA is configured: the post's deliveries say so, nothing is retried.
    pub oa: Option<ZaloOa>,
    pub http: reqwest::Client,
}

impl ZaloArticleJob {
    pub fn new(store: Store, base_url: &str, oa: Option<ZaloOa>) -> ZaloArticleJob {
        ZaloArticleJob {
            store,
            base_url: base_url.trim_end_matches('/').to_string(),
            oa,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .connect_timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn run_one(&self, job: &Running) -> std::result::Result<(), String> {
        let id = job.payload["post"].as_str().unwrap_or_default().to_string();
        let by = job.payload["by"].as_str().unwrap_or("system").to_string();
        let post = {
            let mut conn = self.store.read().await.map_err(|e| e.to_string())?;
            db::get(&mut conn, &id).await.map_err(|e| e.to_string())?
        };
        let Some(row) = post else {
            return Ok(());
        };
        let unit = {
            let mut conn = self.store.read().await.map_err(|e| e.to_string())?;
            xaso_storage::units::by_id(&mut conn, &row.unit_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the post's unit is gone")?
        };
        let post = super::assemble(row, unit);
        if post.status != xaso_domain::portal::PostStatus::Published {
            let _ = record(
                &self.store,
                &id,
                "skipped",
                "the post is no longer published",
                &by,
            )
            .await;
            return Ok(());
        }
        let Some(oa) = &self.oa else {
            let _ = record(
                &self.store,
                &id,
                "failed",
                "no Zalo OA is configured (XASO_ZALO_ACCESS_TOKEN)",
                &by,
            )
            .await;
            return Ok(());
        };
        let sent = async {
            let resp = self
                .http
                .post(format!(
                    "{}/v2.0/article/create",
                    oa.api.trim_end_matches('/')
                ))
                .header("access_token", &oa.access_token)
                .header("content-type", "application/json")
                .body(article(&post, &self.base_url).to_string())
                .send()
                .await
                .map_err(|e| format!("Zalo unreachable: {e}"))?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| format!("Zalo: {e}"))?;
            if !status.is_success() {
                return Err(format!("Zalo answered HTTP {status}"));
            }
            let v: Value = serde_json::from_str(&text)
                .map_err(|_| "Zalo answered something not JSON".to_string())?;
            match v.get("error").and_then(Value::as_i64) {
                Some(0) => Ok(v.get("data").map(Value::to_string).unwrap_or_default()),
                Some(code) => Err(format!(
                    "Zalo error {code}: {}",
                    v.get("message").and_then(Value::as_str).unwrap_or("")
                )),
                None => Err("Zalo answered without an error code".into()),
            }
        }
        .await;
        match sent {
            Ok(data) => {
                record(&self.store, &id, "sent", &data, &by)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
            Err(e) => {
                let _ = record(&self.store, &id, "failed", &e, &by).await;
                Err(e)
            }
        }
    }
}

impl Handler for ZaloArticleJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.run_one(job))
    }
}
