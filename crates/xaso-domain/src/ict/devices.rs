//! Devices that report: what a heartbeat may carry, the states a device passes through, and
//! uptime from online spans. Time is always a parameter.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::places::FieldProblem;
use crate::time::vn_offset;

/// How long a device of a kind without its own threshold may stay silent before it is offline.
pub const DEFAULT_OFFLINE_AFTER_MIN: i64 = 15;

/// The silence after which a device of a kind is offline.
pub fn offline_after(kind_minutes: Option<i64>) -> Duration {
    Duration::minutes(kind_minutes.unwrap_or(DEFAULT_OFFLINE_AFTER_MIN).max(1))
}

/// The figures a heartbeat may carry; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// Clients connected now (Wi-Fi stations, players).
    #[schema(minimum = 0, maximum = 100000)]
    pub clients: Option<i64>,
    /// Seconds since the device started.
    #[schema(minimum = 0)]
    pub uptime_s: Option<i64>,
    /// Firmware or software version, as the device names it.
    #[schema(max_length = 100)]
    pub firmware: Option<String>,
    /// Signal strength of its uplink in dBm (mobile or Wi-Fi uplinks).
    #[schema(minimum = -150, maximum = 0)]
    pub signal_dbm: Option<i64>,
}

impl Figures {
    /// Checks the ranges; a device sending nonsense is told which field.
    pub fn check(mut self) -> Result<Figures, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        if self.clients.is_some_and(|c| !(0..=100_000).contains(&c)) {
            problems.push(FieldProblem {
                field: "clients",
                detail: "clients must be between 0 and 100000",
            });
        }
        if self.uptime_s.is_some_and(|u| u < 0) {
            problems.push(FieldProblem {
                field: "uptime_s",
                detail: "uptime_s must not be negative",
            });
        }
        if self.signal_dbm.is_some_and(|s| !(-150..=0).contains(&s)) {
            problems.push(FieldProblem {
                field: "signal_dbm",
                detail: "signal_dbm must be between -150 and 0",
            });
        }
        if let Some(f) = &self.firmware {
            let f = f.trim();
            if f.chars().count() > 100 || f.chars().any(char::is_control) {
                problems.push(FieldProblem {
                    field: "firmware",
                    detail: "firmware must be at most 100 characters of text",
                });
            }
            self.firmware = Some(f.to_string());
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }
}

/// Where a device stands as far as its heartbeats tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// A token was made but no heartbeat has come yet.
    Never,
    Online,
    Offline,
}

impl DeviceState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Never => "never",
            DeviceState::Online => "online",
            DeviceState::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> DeviceState {
        match s {
            "online" => DeviceState::Online,
            "offline" => DeviceState::Offline,
            _ => DeviceState::Never,
        }
    }
}

/// An online span: from the heartbeat that brought the device online to the last heartbeat
/// before it fell silent (`None` while it is still online).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

/// Seconds of `[start, end)` covered by the spans; an open span runs to `now`.
pub fn online_seconds(
    spans: &[Span],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> i64 {
    spans
        .iter()
        .map(|s| {
            let from = s.from.max(start);
            let to = s.to.unwrap_or(now).min(end).min(now);
            (to - from).num_seconds().max(0)
        })
        .sum()
}

/// The start and end of a day in Vietnam, in UTC.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = vn_offset()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc);
    (start, start + Duration::days(1))
}

/// Uptime of one day in Vietnam as a share (0.0–1.0) of the part of the day that has passed;
/// `None` for a day that has not begun.
pub fn day_uptime(spans: &[Span], day: NaiveDate, now: DateTime<Utc>) -> Option<f64> {
    let (start, end) = day_bounds(day);
    if now <= start {
        return None;
    }
    let passed = (end.min(now) - start).num_seconds();
    if passed <= 0 {
        return None;
    }
    Some(online_seconds(spans, start, end, now) as f64 / passed as f64)
}

/// Uptime over the last `days` days ending now, as a share of that time.
pub fn uptime_since(spans: &[Span], days: i64, now: DateTime<Utc>) -> f64 {
    let start = now - Duration::days(days);
    online_seconds(spans, start, now, now) as f64 / (now - start).num_seconds().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn figures_out_of_range_name_the_field() {
        let bad = Figures {
            clients: Some(-1),
            signal_dbm: Some(20),
            ..Default::default()
        };
        let fields: Vec<_> = bad.check().unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["clients", "signal_dbm"]);
        let ok = Figures {
            clients: Some(12),
            firmware: Some("  OpenWrt 23.05.3 ".into()),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.firmware.as_deref(), Some("OpenWrt 23.05.3"));
    }

    #[test]
    fn uptime_of_a_day_counts_only_its_online_part() {
        // Vietnam's 4 December 2026 runs from 3 Dec 17:00 UTC to 4 Dec 17:00 UTC.
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let spans = [
            // Online since the evening before, until 05:00 Vietnam time (22:00 UTC).
            Span {
                from: t("2026-12-03T10:00:00Z"),
                to: Some(t("2026-12-03T22:00:00Z")),
            },
            // Back at 11:00 Vietnam time and still online.
            Span {
                from: t("2026-12-04T04:00:00Z"),
                to: None,
            },
        ];
        let end_of_day = t("2026-12-04T17:00:00Z");
        let share = day_uptime(&spans, day, end_of_day).unwrap();
        // 5 h + 13 h of 24 h.
        assert!((share - 18.0 / 24.0).abs() < 1e-9, "{share}");
        // At noon Vietnam time: 5 h + 1 h of the 12 h passed.
        let noon = t("2026-12-04T05:00:00Z");
        assert!((day_uptime(&spans, day, noon).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(day_uptime(&spans, day, t("2026-12-03T12:00:00Z")), None);
    }

    #[test]
    fn kinds_without_a_threshold_get_the_default() {
        assert_eq!(offline_after(None), Duration::minutes(15));
        assert_eq!(offline_after(Some(30)), Duration::minutes(30));
    }
}
