//! Connecting a unit's own Zalo OA through Zalo's OAuth v4 consent with PKCE, and forgetting
//! it (the flow is described at the top of `portal::zalo`).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use xaso_domain::units::Unit;
use xaso_storage::portal::{self as db, OaGrantRow, OaLinkRow};
use xaso_storage::Store;

use super::super::EDITORS;
use super::{token_request, ZaloConfig};
use crate::{authz, Actor, Error, Result};

/// How long a consent may take, from the officer's click to Zalo's answer.
const GRANT_LIFETIME: Duration = Duration::minutes(15);

/// A unit's OA connection as its officers see it (never its tokens).
#[derive(Debug, Clone)]
pub struct OaStatus {
    pub oa_id: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub connected_by: String,
    pub connected_at: Option<DateTime<Utc>>,
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Why the last renewal failed: the officers must connect again.
    pub problem: String,
}

/// The unit's OA connection, for its editors; `None` when it has none.
pub async fn oa_status(
    store: &Store,
    actor: Option<&Actor>,
    unit: &Unit,
) -> Result<Option<OaStatus>> {
    may_connect(store, actor, unit).await?;
    let mut conn = store.read().await?;
    let t = |s: &str| xaso_domain::time::from_storage(s);
    Ok(db::oa_link(&mut conn, &unit.id).await?.map(|l| OaStatus {
        oa_id: l.oa_id,
        expires_at: t(&l.expires_at),
        connected_by: l.connected_by,
        connected_at: t(&l.connected_at),
        refreshed_at: l.refreshed_at.as_deref().and_then(t),
        problem: l.problem,
    }))
}

async fn may_connect<'a>(
    store: &Store,
    actor: Option<&'a Actor>,
    unit: &Unit,
) -> Result<&'a Actor> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    if !authz::has_role_over(store, a, EDITORS, &unit.id).await? {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

fn challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Starts connecting the unit's OA: keeps a consent under way and gives the address of Zalo's
/// consent page, which comes back to `redirect_uri` (registered on the Zalo app).
pub async fn begin_connect(
    store: &Store,
    cfg: &ZaloConfig,
    actor: Option<&Actor>,
    unit: &Unit,
    redirect_uri: &str,
) -> Result<String> {
    let a = may_connect(store, actor, unit).await?;
    let Some(app_id) = cfg.app_id.as_deref().filter(|_| cfg.connects()) else {
        return Err(Error::Conflict(
            "no Zalo app is configured (XASO_ZALO_APP_ID, XASO_ZALO_APP_SECRET)".into(),
        ));
    };
    let grant = OaGrantRow {
        state: crate::auth::random_secret(),
        unit_id: unit.id.clone(),
        verifier: crate::auth::random_secret(),
        user_id: a.user_id.clone().unwrap_or_else(|| a.username.clone()),
        created_at: xaso_storage::now(),
    };
    let stale = xaso_domain::time::to_storage(Utc::now() - GRANT_LIFETIME);
    let mut tx = store.begin().await?;
    db::add_oa_grant(tx.conn(), &grant, &stale).await?;
    tx.commit().await?;
    let url = reqwest::Url::parse_with_params(
        &cfg.oauth_url("/v4/oa/permission"),
        &[
            ("app_id", app_id),
            ("redirect_uri", redirect_uri),
            ("code_challenge", &challenge(&grant.verifier)),
            ("state", &grant.state),
        ],
    )
    .map_err(|e| Error::Internal(format!("Zalo OAuth address: {e}")))?;
    Ok(url.to_string())
}

/// Ends a consent: Zalo came back with `code` for the grant `state`. The same officer must
/// finish it within 15 minutes. Returns the unit, now connected.
pub async fn finish_connect(
    store: &Store,
    cfg: &ZaloConfig,
    http: &reqwest::Client,
    actor: Option<&Actor>,
    state: &str,
    code: &str,
    oa_id: &str,
) -> Result<Unit> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    let grant = {
        let mut tx = store.begin().await?;
        let g = db::take_oa_grant(tx.conn(), state).await?;
        tx.commit().await?;
        g
    };
    let expired = |g: &OaGrantRow| {
        xaso_domain::time::from_storage(&g.created_at)
            .is_none_or(|t| t + GRANT_LIFETIME < Utc::now())
    };
    let me = a.user_id.clone().unwrap_or_else(|| a.username.clone());
    let grant = match grant {
        Some(g) if g.user_id == me && !expired(&g) => g,
        _ => {
            return Err(Error::Conflict(
                "this Zalo consent is unknown, used or expired; start again".into(),
            ))
        }
    };
    let unit = super::super::unit_by_id(store, &grant.unit_id).await?;
    may_connect(store, actor, &unit).await?;
    if code.trim().is_empty() {
        return Err(Error::Conflict(
            "Zalo sent no authorisation code (consent refused?)".into(),
        ));
    }
    let t = token_request(
        http,
        cfg,
        &[
            ("code", code.trim()),
            ("grant_type", "authorization_code"),
            ("code_verifier", &grant.verifier),
        ],
    )
    .await
    .map_err(Error::Conflict)?;
    let now = xaso_storage::now();
    let oa_id: String = oa_id
        .chars()
        .filter(char::is_ascii_digit)
        .take(32)
        .collect();
    let mut tx = store.begin().await?;
    db::save_oa_link(
        tx.conn(),
        &OaLinkRow {
            unit_id: unit.id.clone(),
            oa_id: oa_id.clone(),
            access_token: t.access,
            refresh_token: t.refresh,
            expires_at: xaso_domain::time::to_storage(t.expires_at),
            connected_by: a.username.clone(),
            connected_at: now,
            refreshed_at: None,
            problem: String::new(),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "connect",
            record_type: "zalo_oa",
            record_id: &unit.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"oa_id": oa_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
}

/// Forgets the unit's OA connection (its posts then go to the install's OA, if any).
pub async fn disconnect(store: &Store, actor: Option<&Actor>, unit: &Unit) -> Result<()> {
    let a = may_connect(store, actor, unit).await?;
    let mut tx = store.begin().await?;
    let before = db::oa_link(tx.conn(), &unit.id)
        .await?
        .ok_or(Error::NotFound)?;
    db::delete_oa_link(tx.conn(), &unit.id).await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "disconnect",
            record_type: "zalo_oa",
            record_id: &unit.id,
            unit_id: Some(&unit.id),
            before: Some(json!({"oa_id": before.oa_id})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
