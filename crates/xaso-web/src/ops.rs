//! Health, readiness and metrics for operators and load balancers.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use xaso_core::auth::token_hash;

use crate::AppState;

/// The process is up.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The process can serve: it is not draining (SIGTERM) and the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "draining"})),
        )
            .into_response();
    }
    match state.store.ping().await {
        Ok(()) => Json(json!({"status": "ready", "database": state.store.engine().name()}))
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}

/// `/metrics` on the public address: only with the configured bearer token, and not at all
/// when metrics have their own address or no token is set (404, as if there were none).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let access = &state.config.metrics;
    if access.separate_listener || access.token.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    metrics_behind_token(State(state), headers).await
}

/// `/metrics` on the metrics address: the token too, when one is set.
pub async fn metrics_behind_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared as digests, so the time taken says nothing about the token.
        if token_hash(given) != token_hash(token) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            )
                .into_response();
        }
    }
    let pool = state.store.pool();
    let size = pool.size() as f64;
    let idle = pool.num_idle() as f64;
    let mut body = state.metrics.render(&[
        (
            "xaso_db_pool_connections",
            "Open database connections.",
            size,
        ),
        (
            "xaso_db_pool_idle_connections",
            "Idle database connections.",
            idle,
        ),
    ]);
    // Devices that report, per commune and state (a commune with none has no line).
    match xaso_core::ict::devices::gauges(&state.store).await {
        Ok(rows) => {
            body.push_str(
                "# HELP xaso_ict_devices Devices of the ICT register that report heartbeats, by commune code and state.\n# TYPE xaso_ict_devices gauge\n",
            );
            for (unit, st, n) in rows {
                body.push_str(&format!(
                    "xaso_ict_devices{{unit=\"{unit}\",state=\"{st}\"}} {n}\n"
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "device gauges not read"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
