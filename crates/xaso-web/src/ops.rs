//! Health, readiness and metrics for operators and load balancers.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::AppState;

/// The process is up.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// The process can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
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

pub async fn metrics(State(state): State<AppState>) -> Response {
    let pool = state.store.pool();
    let size = pool.size() as f64;
    let idle = pool.num_idle() as f64;
    let body = state.metrics.render(&[
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
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
