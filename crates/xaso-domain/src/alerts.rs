//! Emergency alerts: what an officer issues with one action, in OASIS CAP 1.2's terms
//! (https://docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2-os.html), with the hazards the
//! communes face. Vietnam's Decision 18/2021/QĐ-TTg risk levels (1–5) are kept as a parameter
//! beside CAP's severity; no national CAP feed was found (../shared/reference/integrations.md
//! §4.2), so the mapping between them is ours and written down here.

pub mod upstream;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

// CAP values with their Vietnamese names (the `vocabulary!` macro, crate root).
vocabulary!(Urgency {
    Immediate = "Immediate" / "Ngay lập tức",
    Expected = "Expected" / "Trong vòng một giờ",
    Future = "Future" / "Sắp tới",
    Past = "Past" / "Đã qua",
    Unknown = "Unknown" / "Chưa rõ",
});

vocabulary!(Severity {
    Extreme = "Extreme" / "Cực kỳ nghiêm trọng",
    Severe = "Severe" / "Nghiêm trọng",
    Moderate = "Moderate" / "Trung bình",
    Minor = "Minor" / "Nhẹ",
    Unknown = "Unknown" / "Chưa rõ",
});

vocabulary!(Certainty {
    Observed = "Observed" / "Đã xảy ra",
    Likely = "Likely" / "Nhiều khả năng",
    Possible = "Possible" / "Có thể",
    Unlikely = "Unlikely" / "Ít khả năng",
    Unknown = "Unknown" / "Chưa rõ",
});

vocabulary!(MsgType {
    Alert = "Alert" / "Cảnh báo",
    Update = "Update" / "Cập nhật",
    Cancel = "Cancel" / "Hủy",
});

vocabulary!(Status {
    Actual = "Actual" / "Thật",
    Exercise = "Exercise" / "Diễn tập",
    Test = "Test" / "Thử nghiệm",
});

/// The hazards a commune warns of, each with its CAP category and event name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Hazard {
    Flood,
    Storm,
    Landslide,
    Drought,
    Saline,
    Fire,
    Epidemic,
    Chemical,
    Security,
    Other,
}

impl Hazard {
    pub const ALL: &'static [Hazard] = &[
        Hazard::Flood,
        Hazard::Storm,
        Hazard::Landslide,
        Hazard::Drought,
        Hazard::Saline,
        Hazard::Fire,
        Hazard::Epidemic,
        Hazard::Chemical,
        Hazard::Security,
        Hazard::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hazard::Flood => "flood",
            Hazard::Storm => "storm",
            Hazard::Landslide => "landslide",
            Hazard::Drought => "drought",
            Hazard::Saline => "saline",
            Hazard::Fire => "fire",
            Hazard::Epidemic => "epidemic",
            Hazard::Chemical => "chemical",
            Hazard::Security => "security",
            Hazard::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Hazard> {
        Hazard::ALL.iter().copied().find(|h| h.as_str() == s.trim())
    }

    /// CAP's category for it.
    pub fn category(self) -> &'static str {
        match self {
            Hazard::Flood | Hazard::Landslide => "Geo",
            Hazard::Storm | Hazard::Drought => "Met",
            Hazard::Saline => "Env",
            Hazard::Fire => "Fire",
            Hazard::Epidemic => "Health",
            Hazard::Chemical => "CBRNE",
            Hazard::Security => "Security",
            Hazard::Other => "Other",
        }
    }

    /// The event as the message names it (Vietnamese).
    pub fn event_vi(self) -> &'static str {
        match self {
            Hazard::Flood => "Lũ, ngập lụt",
            Hazard::Storm => "Bão, áp thấp nhiệt đới, giông lốc",
            Hazard::Landslide => "Sạt lở đất",
            Hazard::Drought => "Hạn hán",
            Hazard::Saline => "Xâm nhập mặn",
            Hazard::Fire => "Cháy, nổ",
            Hazard::Epidemic => "Dịch bệnh",
            Hazard::Chemical => "Sự cố hóa chất",
            Hazard::Security => "An ninh, trật tự",
            Hazard::Other => "Tình huống khẩn cấp",
        }
    }
}

/// Decision 18/2021/QĐ-TTg's risk level (1–5) read as CAP severity (our mapping).
pub fn severity_of_risk(level: u8) -> Severity {
    match level {
        0 | 1 => Severity::Minor,
        2 => Severity::Moderate,
        3 => Severity::Severe,
        _ => Severity::Extreme,
    }
}

/// An alert as its officer types it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AlertInput {
    #[serde(default)]
    pub hazard: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub certainty: String,
    /// Decision 18/2021's risk level, 1–5, if the warning gives one.
    #[serde(default)]
    pub risk_level: String,
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub instruction: String,
    /// How many hours it stays in force (default 24).
    #[serde(default)]
    pub hours: String,
    /// How many times loudspeakers air it (default 3).
    #[serde(default)]
    pub repeats: String,
    /// Actual (default), Exercise or Test.
    #[serde(default)]
    pub status: String,
    /// A drawn area, as CAP writes a polygon: `lat,lon lat,lon …` (closed by repeating the
    /// first point; closed for you when not). Empty: the chosen units only.
    #[serde(default)]
    pub polygon: String,
}

/// An alert's checked fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFields {
    pub hazard: Hazard,
    pub urgency: Urgency,
    pub severity: Severity,
    pub certainty: Certainty,
    pub risk_level: Option<u8>,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub expires: DateTime<Utc>,
    pub repeats: i64,
    pub status: Status,
    /// The drawn area, closed, (latitude, longitude); empty when none was drawn.
    pub polygon: Vec<(f64, f64)>,
}

/// Reads a drawn area: at least three distinct points in Vietnam, closed.
pub fn check_polygon(s: &str) -> Result<Vec<(f64, f64)>, String> {
    let wrong =
        || "draw the area with at least three points in Vietnam (lat,lon lat,lon …)".to_string();
    let mut points: Vec<(f64, f64)> = Vec::new();
    for p in s.split_whitespace() {
        let (a, b) = p.split_once(',').ok_or_else(wrong)?;
        let lat: f64 = a.trim().parse().map_err(|_| wrong())?;
        let lon: f64 = b.trim().parse().map_err(|_| wrong())?;
        if !crate::places::in_vietnam(lat, lon) {
            return Err(wrong());
        }
        points.push((lat, lon));
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 || points.len() > 500 {
        return Err(wrong());
    }
    points.push(points[0]);
    Ok(points)
}

/// CAP's text of a polygon.
pub fn polygon_text(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(lat, lon)| format!("{lat:.6},{lon:.6}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A choice as typed: the default when left empty, else what it reads as (if anything).
fn pick<T>(typed: &str, default: T, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    if typed.trim().is_empty() {
        Some(default)
    } else {
        parse(typed)
    }
}

/// Checks an alert typed at `now`: (field, problem) pairs in English.
pub fn check_alert(
    i: &AlertInput,
    now: DateTime<Utc>,
) -> Result<AlertFields, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let hazard = Hazard::parse(&i.hazard);
    if hazard.is_none() {
        errors.push(("hazard", "choose the kind of hazard".to_string()));
    }
    let urgency = pick(&i.urgency, Urgency::Immediate, Urgency::parse);
    if urgency.is_none() {
        errors.push(("urgency", "choose how urgent it is".into()));
    }
    let risk_level = match i.risk_level.trim() {
        "" => None,
        s => match s.parse::<u8>() {
            Ok(n @ 1..=5) => Some(n),
            _ => {
                errors.push(("risk_level", "the risk level is 1 to 5".into()));
                None
            }
        },
    };
    let severity = pick(
        &i.severity,
        risk_level.map_or(Severity::Severe, severity_of_risk),
        Severity::parse,
    );
    if severity.is_none() {
        errors.push(("severity", "choose how severe it is".into()));
    }
    let certainty = pick(&i.certainty, Certainty::Likely, Certainty::parse);
    if certainty.is_none() {
        errors.push(("certainty", "choose how certain it is".into()));
    }
    let headline = crate::text::nfc(i.headline.trim());
    if headline.chars().count() < 5 {
        errors.push((
            "headline",
            "write a headline people understand at once".into(),
        ));
    } else if headline.chars().count() > 160 {
        errors.push(("headline", "a headline is at most 160 characters".into()));
    }
    let description = crate::text::nfc(i.description.trim());
    if description.is_empty() {
        errors.push(("description", "say what is happening".into()));
    } else if description.chars().count() > 3000 {
        errors.push((
            "description",
            "the description is at most 3,000 characters".into(),
        ));
    }
    let instruction = crate::text::nfc(i.instruction.trim());
    if instruction.chars().count() > 2000 {
        errors.push((
            "instruction",
            "the instruction is at most 2,000 characters".into(),
        ));
    }
    let hours = match i.hours.trim() {
        "" => 24,
        s => s
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=240).contains(h))
            .unwrap_or_else(|| {
                errors.push(("hours", "it stays in force 1 to 240 hours".into()));
                24
            }),
    };
    let repeats = match i.repeats.trim() {
        "" => 3,
        s => s
            .parse::<i64>()
            .ok()
            .filter(|r| (1..=10).contains(r))
            .unwrap_or_else(|| {
                errors.push(("repeats", "loudspeakers air it 1 to 10 times".into()));
                3
            }),
    };
    let status = pick(&i.status, Status::Actual, Status::parse);
    if status.is_none() {
        errors.push(("status", "choose actual, exercise or test".into()));
    }
    let polygon = if i.polygon.trim().is_empty() {
        Vec::new()
    } else {
        check_polygon(&i.polygon).unwrap_or_else(|e| {
            errors.push(("polygon", e));
            Vec::new()
        })
    };
    match (hazard, urgency, severity, certainty, status) {
        (Some(hazard), Some(urgency), Some(severity), Some(certainty), Some(status))
            if errors.is_empty() =>
        {
            Ok(AlertFields {
                hazard,
                urgency,
                severity,
                certainty,
                risk_level,
                headline,
                description,
                instruction,
                expires: now + Duration::hours(hours),
                repeats,
                status,
                polygon,
            })
        }
        _ => Err(errors),
    }
}

/// CAP's dateTime: seconds, an explicit offset (never `Z`), here Vietnam's.
pub fn cap_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::vn_offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// What loudspeakers say: the headline, what is happening and what to do.
pub fn spoken_text(headline: &str, description: &str, instruction: &str) -> String {
    [headline, description, instruction]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.ends_with(['.', '!', '?']) {
                s.to_string()
            } else {
                format!("{s}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_checked_with_sensible_defaults() {
        let now = Utc::now();
        let a = check_alert(
            &AlertInput {
                hazard: "flood".into(),
                risk_level: "4".into(),
                headline: "Cảnh báo lũ trên sông Vàm Cỏ Đông".into(),
                description: "Mực nước sông dâng nhanh.".into(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(
            a.severity,
            Severity::Extreme,
            "risk level 4 reads as Extreme"
        );
        assert_eq!(a.urgency, Urgency::Immediate);
        assert_eq!(a.certainty, Certainty::Likely);
        assert_eq!(a.status, Status::Actual);
        assert_eq!(a.repeats, 3);
        assert_eq!(a.expires, now + Duration::hours(24));
        assert_eq!(a.hazard.category(), "Geo");
        let bad = check_alert(
            &AlertInput {
                hazard: "meteor".into(),
                risk_level: "7".into(),
                repeats: "50".into(),
                ..Default::default()
            },
            now,
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            ["hazard", "risk_level", "headline", "description", "repeats"]
        );
    }

    #[test]
    fn cap_times_carry_vietnams_offset_and_no_fraction() {
        let t = DateTime::parse_from_rfc3339("2026-12-04T01:02:03.456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(cap_time(t), "2026-12-04T08:02:03+07:00");
    }

    #[test]
    fn speakers_say_headline_description_and_instruction() {
        assert_eq!(
            spoken_text("Cảnh báo lũ", "Nước lên nhanh", "Di chuyển lên chỗ cao!"),
            "Cảnh báo lũ. Nước lên nhanh. Di chuyển lên chỗ cao!"
        );
    }
}
