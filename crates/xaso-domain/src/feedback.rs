//! Citizen feedback (phản ánh, kiến nghị): the life of a case, how its deadline is counted, the
//! channels it arrives by, and how it reads to Open311 GeoReport v2 clients.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use crate::time::vn_offset;

/// Where a case stands. Received → accepted → in progress → resolved, or closed without a fix,
/// or rejected; a closed case may be reopened at the reporter's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Received,
    Accepted,
    InProgress,
    /// Fixed.
    Resolved,
    /// Closed without a fix (with a reason).
    Closed,
    /// Duplicate or out of scope.
    Rejected,
}

pub const ALL_STATUSES: &[Status] = &[
    Status::Received,
    Status::Accepted,
    Status::InProgress,
    Status::Resolved,
    Status::Closed,
    Status::Rejected,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Accepted => "accepted",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        ALL_STATUSES.iter().copied().find(|x| x.as_str() == s)
    }

    /// Still waiting for the commune: counts towards the deadline.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received | Status::Accepted | Status::InProgress
        )
    }

    /// Open311's two states.
    pub fn open311(self) -> &'static str {
        if self.is_open() {
            "open"
        } else {
            "closed"
        }
    }

    /// Whether staff may move a case from `self` to `to`. Reopening goes through its own step.
    pub fn may_become(self, to: Status) -> bool {
        use Status::*;
        match self {
            Received => matches!(to, Accepted | InProgress | Resolved | Closed | Rejected),
            Accepted => matches!(to, InProgress | Resolved | Closed | Rejected),
            InProgress => matches!(to, Resolved | Closed | Rejected),
            Resolved | Closed | Rejected => false,
        }
    }

    /// Whether this move needs a reason the reporter can read.
    pub fn needs_reason(self) -> bool {
        matches!(self, Status::Closed | Status::Rejected)
    }
}

/// How a case reached the commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    App,
    Hotline1022,
    Zalo,
    Counter,
    QrPoster,
    Open311,
}

pub const ALL_CHANNELS: &[Channel] = &[
    Channel::Web,
    Channel::App,
    Channel::Hotline1022,
    Channel::Zalo,
    Channel::Counter,
    Channel::QrPoster,
    Channel::Open311,
];

/// Channels a staff member may record when entering a case for a caller or a visitor.
pub const STAFF_CHANNELS: &[Channel] = &[Channel::Hotline1022, Channel::Zalo, Channel::Counter];

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::App => "app",
            Channel::Hotline1022 => "hotline_1022",
            Channel::Zalo => "zalo",
            Channel::Counter => "counter",
            Channel::QrPoster => "qr_poster",
            Channel::Open311 => "open311",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        ALL_CHANNELS.iter().copied().find(|x| x.as_str() == s)
    }
}

/// How a category's deadline is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineUnit {
    /// Clock hours, nights and weekends included (for what cannot wait: a fallen wire).
    Hours,
    /// Monday to Friday; Saturday and Sunday are skipped.
    WorkingDays,
}

impl DeadlineUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineUnit::Hours => "hours",
            DeadlineUnit::WorkingDays => "working_days",
        }
    }

    pub fn parse(s: &str) -> Option<DeadlineUnit> {
        match s {
            "hours" => Some(DeadlineUnit::Hours),
            "working_days" => Some(DeadlineUnit::WorkingDays),
            _ => None,
        }
    }
}

/// Longest deadline a category may set: 60 working days or 60 × 24 hours.
pub const MAX_DEADLINE: i64 = 60;

/// When a case received at `from` is due. Working days are counted in Vietnam's time: each one
/// moves the deadline a day forward, jumping over Saturdays and Sundays, so a case received on
/// Friday afternoon with two working days is due on Tuesday afternoon, and one received on a
/// Saturday with one working day is due on Monday at the end of the day. Public holidays are not
/// known to the platform and count as working days.
pub fn due_at(from: DateTime<Utc>, value: i64, unit: DeadlineUnit) -> DateTime<Utc> {
    let value = value.clamp(1, MAX_DEADLINE);
    match unit {
        DeadlineUnit::Hours => from + Duration::hours(value),
        DeadlineUnit::WorkingDays => {
            let local = from.with_timezone(&vn_offset());
            let weekend = |d: &DateTime<chrono::FixedOffset>| {
                matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
            };
            // A case received at the weekend starts counting at the end of Friday's work: it
            // is due at the close of the value-th working day.
            let mut at = if weekend(&local) {
                let mut d = local;
                while weekend(&d) {
                    d -= Duration::days(1);
                }
                d.date_naive()
                    .and_hms_opt(17, 0, 0)
                    .and_then(|t| t.and_local_timezone(vn_offset()).single())
                    .unwrap_or(d)
            } else {
                local
            };
            for _ in 0..value {
                at += Duration::days(1);
                while weekend(&at) {
                    at += Duration::days(1);
                }
            }
            at.with_timezone(&Utc)
        }
    }
}

/// Most photos on one case.
pub const MAX_PHOTOS: usize = 4;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 4000;
/// Distance within which an open case of the same category counts as a likely duplicate.
pub const DUPLICATE_RADIUS_M: f64 = 300.0;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn vn(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        vn_offset()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn working_days_skip_the_weekend() {
        // Friday 27 November 2026, 15:00 + 2 working days = Tuesday 1 December, 15:00.
        assert_eq!(
            due_at(vn(2026, 11, 27, 15), 2, DeadlineUnit::WorkingDays),
            vn(2026, 12, 1, 15)
        );
        // Monday + 5 working days = next Monday.
        assert_eq!(
            due_at(vn(2026, 11, 23, 9), 5, DeadlineUnit::WorkingDays),
            vn(2026, 11, 30, 9)
        );
        // Saturday + 1 working day = Monday at the close of work.
        assert_eq!(
            due_at(vn(2026, 11, 28, 10), 1, DeadlineUnit::WorkingDays),
            vn(2026, 11, 30, 17)
        );
    }

    #[test]
    fn hours_run_through_nights_and_weekends() {
        assert_eq!(
            due_at(vn(2026, 11, 28, 22), 24, DeadlineUnit::Hours),
            vn(2026, 11, 29, 22)
        );
    }

    #[test]
    fn closed_cases_do_not_move_and_reasons_are_asked_for() {
        assert!(Status::Received.may_become(Status::Resolved));
        assert!(!Status::Resolved.may_become(Status::InProgress));
        assert!(!Status::InProgress.may_become(Status::Accepted));
        assert!(Status::Rejected.needs_reason());
        assert_eq!(Status::InProgress.open311(), "open");
        assert_eq!(Status::Closed.open311(), "closed");
    }
}
