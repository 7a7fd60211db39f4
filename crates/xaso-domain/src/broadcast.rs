//! Loudspeakers and public e-bulletin boards: bulletins, their priorities as Circular
//! 39/2020/TT-BTTTT sets them, programmes with daily slots, and the plan a device plays.
//!
//! The three priorities (../shared/reference/integrations.md §3.2): a **normal** bulletin airs
//! in its programme's slots in the programme's order; a **priority** bulletin goes to the front
//! of the next slot after it is approved (and of every slot while it is valid), clashes between
//! priority bulletins ordered by the commune (`rank`, then approval time); an **emergency**
//! interrupts whatever plays, at once — it is not planned here but sent to devices as an
//! interrupt. Slots are in Vietnam's time; plans are in UTC (the planner is in `plan`).

pub mod plan;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Circular 39's priorities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Normal,
    Priority,
    Emergency,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Normal, Priority::Priority, Priority::Emergency];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Priority => "priority",
            Priority::Emergency => "emergency",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// What a bulletin is: recorded audio, text (shown on boards, spoken on speakers), or a
/// picture slide for boards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulletinKind {
    Audio,
    Text,
    Slide,
}

impl BulletinKind {
    pub const ALL: [BulletinKind; 3] =
        [BulletinKind::Audio, BulletinKind::Text, BulletinKind::Slide];

    pub fn as_str(self) -> &'static str {
        match self {
            BulletinKind::Audio => "audio",
            BulletinKind::Text => "text",
            BulletinKind::Slide => "slide",
        }
    }

    pub fn parse(s: &str) -> Option<BulletinKind> {
        BulletinKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }

    /// Whether speakers can air it (a slide is only seen).
    pub fn audible(self) -> bool {
        !matches!(self, BulletinKind::Slide)
    }

    /// Whether boards can show it (recorded audio has nothing to see).
    pub fn visible(self) -> bool {
        !matches!(self, BulletinKind::Audio)
    }
}

/// Where a bulletin comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Commune,
    Area,
    Province,
    National,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::Commune,
        Source::Area,
        Source::Province,
        Source::National,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Commune => "commune",
            Source::Area => "area",
            Source::Province => "province",
            Source::National => "national",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A bulletin's state: it airs only when approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulletinStatus {
    Draft,
    Approved,
    Withdrawn,
}

impl BulletinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BulletinStatus::Draft => "draft",
            BulletinStatus::Approved => "approved",
            BulletinStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<BulletinStatus> {
        [
            BulletinStatus::Draft,
            BulletinStatus::Approved,
            BulletinStatus::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s.trim())
    }
}

/// What a programme drives: loudspeakers (timed airings) or boards (dayparts with a loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Speaker,
    Board,
}

impl Medium {
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Speaker => "speaker",
            Medium::Board => "board",
        }
    }

    pub fn parse(s: &str) -> Option<Medium> {
        match s.trim() {
            "speaker" => Some(Medium::Speaker),
            "board" => Some(Medium::Board),
            _ => None,
        }
    }

    /// Whether a bulletin of this kind plays on this medium.
    pub fn plays(self, kind: BulletinKind) -> bool {
        match self {
            Medium::Speaker => kind.audible(),
            Medium::Board => kind.visible(),
        }
    }
}

/// A daily slot (a daypart on boards), in Vietnam's time, within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Slot {
    /// The slot as people write it: `05:30-06:00`.
    pub fn label(&self) -> String {
        format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// Reads slots written as `05:30-06:00, 17:00-17:30` (commas, semicolons or new lines between,
/// `–` or `-` inside): each must end after it starts, and they must not overlap. Sorted.
pub fn parse_slots(text: &str) -> Result<Vec<Slot>, String> {
    let mut slots = Vec::new();
    for part in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part
            .split_once(['-', '–'])
            .ok_or_else(|| format!("slot `{part}` is not written as HH:MM-HH:MM"))?;
        let t = |s: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%Hh%M"))
                .map_err(|_| format!("`{}` is not a time of day (HH:MM)", s.trim()))
        };
        let slot = Slot {
            start: t(a)?,
            end: t(b)?,
        };
        if slot.end <= slot.start {
            return Err(format!("slot `{part}` ends before it starts"));
        }
        slots.push(slot);
    }
    if slots.is_empty() {
        return Err("a programme needs at least one slot".into());
    }
    slots.sort();
    if let Some(w) = slots.windows(2).find(|w| w[1].start < w[0].end) {
        return Err(format!(
            "slots {} and {} overlap",
            w[0].label(),
            w[1].label()
        ));
    }
    Ok(slots)
}

/// Days of the week a programme runs, Monday = bit 0 … Sunday = bit 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weekdays(pub u8);

impl Weekdays {
    pub const EVERY_DAY: Weekdays = Weekdays(0x7f);

    pub fn runs_on(self, date: NaiveDate) -> bool {
        self.0 & (1 << date.weekday().num_days_from_monday()) != 0
    }

    /// From the days' numbers as Vietnamese write them: 2 (thứ Hai) … 7 (thứ Bảy), 8 or "CN"
    /// for Sunday.
    pub fn from_vn_days<'a>(days: impl IntoIterator<Item = &'a str>) -> Weekdays {
        let mut bits = 0u8;
        for d in days {
            let n = match d.trim().to_uppercase().as_str() {
                "CN" | "8" => 6,
                s => match s.parse::<u8>() {
                    Ok(n @ 2..=7) => n - 2,
                    _ => continue,
                },
            };
            bits |= 1 << n;
        }
        Weekdays(bits)
    }

    /// The days as Vietnamese write them (`2`…`7`, `CN`), Monday first.
    pub fn vn_days(self) -> Vec<&'static str> {
        ["2", "3", "4", "5", "6", "7", "CN"]
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, d)| d)
            .collect()
    }
}

pub use plan::{board_day, speaker_day, vn_instant, Airing, Candidate, Daypart, Programme};

/// What a device reports it played (the device protocol's play report).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlayReport {
    /// The device's own id for this report (a UUID): a report sent again is kept once.
    pub id: String,
    /// The bulletin played (absent for an emergency alert).
    #[serde(default)]
    pub item: Option<String>,
    /// The emergency alert played, if it was one.
    #[serde(default)]
    pub alert: Option<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    pub duration_ms: i64,
    /// played, interrupted, failed or skipped
    pub result: String,
}

/// The results a play report may give.
pub const PLAY_RESULTS: [&str; 4] = ["played", "interrupted", "failed", "skipped"];

/// How long a board shows a slide or a text by default.
pub const DEFAULT_SHOW_MS: i64 = 10_000;

/// A bulletin as its author types it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BulletinInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The text shown on boards and spoken on speakers (a text bulletin's content).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub source: String,
    /// `dd/mm/yyyy HH:mm` (Vietnam's time) or empty.
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// Seconds a board shows it (slides and texts).
    #[serde(default)]
    pub show_seconds: String,
    /// The commune's order among priority bulletins.
    #[serde(default)]
    pub rank: String,
}

/// A bulletin's checked fields.
#[derive(Debug, Clone, PartialEq)]
pub struct BulletinFields {
    pub kind: BulletinKind,
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub source: Source,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub show_ms: i64,
    pub rank: i64,
}

/// Checks a bulletin: (field, problem) pairs in English for the API, keys for the UI.
pub fn check_bulletin(i: &BulletinInput) -> Result<BulletinFields, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let kind = BulletinKind::parse(&i.kind);
    if kind.is_none() {
        errors.push(("kind", "choose audio, text or slide".to_string()));
    }
    let title = crate::text::nfc(i.title.trim());
    if title.is_empty() {
        errors.push(("title", "a bulletin needs a title".into()));
    } else if title.chars().count() > 200 {
        errors.push(("title", "a title is at most 200 characters".into()));
    }
    let body = crate::text::nfc(i.body.trim());
    if kind == Some(BulletinKind::Text) && body.is_empty() {
        errors.push(("body", "a text bulletin needs its text".into()));
    }
    if body.chars().count() > 5000 {
        errors.push((
            "body",
            "a bulletin's text is at most 5,000 characters".into(),
        ));
    }
    let priority = if i.priority.trim().is_empty() {
        Some(Priority::Normal)
    } else {
        Priority::parse(&i.priority)
    };
    if priority.is_none() {
        errors.push(("priority", "choose normal, priority or emergency".into()));
    }
    let source = if i.source.trim().is_empty() {
        Some(Source::Commune)
    } else {
        Source::parse(&i.source)
    };
    if source.is_none() {
        errors.push((
            "source",
            "choose commune, area, province or national".into(),
        ));
    }
    let moment = |field: &'static str, s: &str, errors: &mut Vec<(&'static str, String)>| {
        if s.trim().is_empty() {
            return None;
        }
        let t = crate::time::parse_moment(s);
        if t.is_none() {
            errors.push((field, "write the time as dd/mm/yyyy HH:mm".into()));
        }
        t
    };
    let valid_from = moment("valid_from", &i.valid_from, &mut errors);
    let valid_to = moment("valid_to", &i.valid_to, &mut errors);
    if let (Some(f), Some(t)) = (valid_from, valid_to) {
        if t <= f {
            errors.push((
                "valid_to",
                "the end of validity must be after its start".into(),
            ));
        }
    }
    let show_ms = match i.show_seconds.trim() {
        "" => DEFAULT_SHOW_MS,
        s => match s.parse::<i64>() {
            Ok(n @ 1..=600) => n * 1000,
            _ => {
                errors.push(("show_seconds", "between 1 and 600 seconds".into()));
                DEFAULT_SHOW_MS
            }
        },
    };
    let rank = match i.rank.trim() {
        "" => 0,
        s => s.parse::<i64>().unwrap_or_else(|_| {
            errors.push(("rank", "the order is a whole number".into()));
            0
        }),
    };
    match (kind, priority, source) {
        (Some(kind), Some(priority), Some(source)) if errors.is_empty() => Ok(BulletinFields {
            kind,
            title,
            body,
            priority,
            source,
            valid_from,
            valid_to,
            show_ms,
            rank,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_read_checked_and_sorted() {
        let s = parse_slots("17:00-17:30; 05:30–06:00").unwrap();
        assert_eq!(s[0].label(), "05:30-06:00");
        assert_eq!(s[1].label(), "17:00-17:30");
        assert!(parse_slots("06:00-05:30")
            .unwrap_err()
            .contains("ends before"));
        assert!(parse_slots("05:00-06:00, 05:30-07:00")
            .unwrap_err()
            .contains("overlap"));
        assert!(parse_slots("5 giờ").is_err());
        assert!(parse_slots(" ").is_err());
    }

    #[test]
    fn weekdays_follow_vietnamese_numbering() {
        let w = Weekdays::from_vn_days(["2", "4", "CN"]);
        assert_eq!(w.vn_days(), ["2", "4", "CN"]);
        assert!(w.runs_on(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())); // Monday
        assert!(!w.runs_on(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap())); // Friday
        assert!(w.runs_on(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())); // Sunday
    }

    #[test]
    fn a_bulletin_is_checked_before_it_is_kept() {
        let ok = check_bulletin(&BulletinInput {
            kind: "text".into(),
            title: "Lịch tiêm chủng".into(),
            body: "Sáng thứ Ba tại trạm y tế.".into(),
            valid_from: "04/12/2026 07:00".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.priority, Priority::Normal);
        assert_eq!(ok.source, Source::Commune);
        assert_eq!(ok.show_ms, DEFAULT_SHOW_MS);
        let bad = check_bulletin(&BulletinInput {
            kind: "text".into(),
            valid_from: "04/12/2026 07:00".into(),
            valid_to: "03/12/2026 07:00".into(),
            show_seconds: "0".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.0).collect();
        assert_eq!(fields, ["title", "body", "valid_to", "show_seconds"]);
    }
}
