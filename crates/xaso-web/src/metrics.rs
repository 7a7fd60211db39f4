//! A few Prometheus counters, kept by a middleware and written out by `/metrics` in the text
//! exposition format.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// (method, status) → count, for one route.
type ByRoute = HashMap<(axum::http::Method, u16), u64>;

pub struct Metrics {
    started: Instant,
    /// route pattern → (method, status) → count; nested so a repeat request allocates nothing.
    requests: Mutex<HashMap<String, ByRoute>>,
    duration_micros: AtomicU64,
    count: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::new(HashMap::new()),
            duration_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let start = Instant::now();
    let resp = next.run(req).await;
    let m = &state.metrics;
    m.duration_micros
        .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
    m.count.fetch_add(1, Ordering::Relaxed);
    let route = route.as_ref().map(|r| r.as_str()).unwrap_or("unmatched");
    let key = (method, resp.status().as_u16());
    let mut requests = m.requests.lock().expect("metrics lock");
    match requests.get_mut(route) {
        Some(by) => *by.entry(key).or_default() += 1,
        None => {
            requests
                .entry(route.to_string())
                .or_default()
                .insert(key, 1);
        }
    }
    drop(requests);
    resp
}

impl Metrics {
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP xaso_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE xaso_http_requests_total counter\n");
        // Sorted, so the output is stable between scrapes.
        let mut lines: Vec<String> = Vec::new();
        for (route, by) in self.requests.lock().expect("metrics lock").iter() {
            for ((method, status), n) in by {
                lines.push(format!(
                    "xaso_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        lines.sort();
        out.extend(lines);
        out.push_str(
            "# HELP xaso_http_request_duration_seconds Time spent answering HTTP requests.\n",
        );
        out.push_str("# TYPE xaso_http_request_duration_seconds summary\n");
        out.push_str(&format!(
            "xaso_http_request_duration_seconds_sum {}\n",
            self.duration_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!(
            "xaso_http_request_duration_seconds_count {}\n",
            self.count.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP xaso_uptime_seconds Seconds since the process started.\n");
        out.push_str("# TYPE xaso_uptime_seconds gauge\n");
        out.push_str(&format!(
            "xaso_uptime_seconds {}\n",
            self.started.elapsed().as_secs_f64()
        ));
        for (name, help, value) in extra {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}
