//! An asset's fault and maintenance log: what people type, checked.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{amount_vnd, Status};
use crate::places::FieldProblem;
use crate::text;

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// Báo hỏng: something stopped working.
    Fault,
    /// Sửa chữa.
    Repair,
    /// Thay linh kiện.
    Part,
    /// Kiểm tra, bảo dưỡng.
    Check,
}

pub const LOG_KINDS: &[LogKind] = &[
    LogKind::Fault,
    LogKind::Repair,
    LogKind::Part,
    LogKind::Check,
];

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Fault => "fault",
            LogKind::Repair => "repair",
            LogKind::Part => "part",
            LogKind::Check => "check",
        }
    }

    pub fn parse(s: &str) -> Option<LogKind> {
        LOG_KINDS.iter().copied().find(|k| k.as_str() == s.trim())
    }

    /// The status an asset takes by default after such an entry: broken after a fault, in use
    /// after a repair or a part; a check leaves it.
    pub fn status_after(self) -> Option<Status> {
        match self {
            LogKind::Fault => Some(Status::Broken),
            LogKind::Repair | LogKind::Part => Some(Status::InUse),
            LogKind::Check => None,
        }
    }
}

/// A log entry as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogInput {
    #[serde(default)]
    pub kind: String,
    /// dd/mm/yyyy or yyyy-mm-dd; today when empty.
    #[serde(default)]
    pub on_day: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub cost_vnd: String,
    /// The asset's status after the entry: a status code, "keep", or empty for the kind's
    /// default.
    #[serde(default)]
    pub status: String,
}

/// A checked log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLog {
    pub kind: LogKind,
    pub on_day: NaiveDate,
    pub text: String,
    pub cost_vnd: Option<i64>,
    /// The status to set, if any.
    pub status: Option<Status>,
}

impl LogInput {
    pub fn check(&self, today: NaiveDate) -> Result<NewLog, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let kind = LogKind::parse(&self.kind);
        if kind.is_none() {
            problems.push(FieldProblem {
                field: "kind",
                detail: "choose what the entry records (fault, repair, part, check)",
            });
        }
        let on_day = match self.on_day.trim() {
            "" => Some(today),
            s => crate::time::parse_date(s),
        };
        match on_day {
            None => problems.push(FieldProblem {
                field: "on_day",
                detail: "write the date as dd/mm/yyyy",
            }),
            Some(d) if d > today => problems.push(FieldProblem {
                field: "on_day",
                detail: "the date is in the future",
            }),
            _ => {}
        }
        let text = text::clean(&self.text);
        if text.chars().count() < 3 {
            problems.push(FieldProblem {
                field: "text",
                detail: "say what happened or what was done",
            });
        } else if text.chars().count() > 1000 {
            problems.push(FieldProblem {
                field: "text",
                detail: "the note is at most 1000 characters",
            });
        }
        let cost_vnd = match self.cost_vnd.trim() {
            "" => None,
            s => {
                let v = amount_vnd(s);
                if v.is_none() {
                    problems.push(FieldProblem {
                        field: "cost_vnd",
                        detail: "the value is a whole amount in đồng, like 12.500.000",
                    });
                }
                v
            }
        };
        let status = match self.status.trim() {
            "" => kind.and_then(LogKind::status_after),
            "keep" => None,
            s => match Status::parse(s) {
                Some(st) => Some(st),
                None => {
                    problems.push(FieldProblem {
                        field: "status",
                        detail: "the status is one of in use, broken, in repair, retired, missing",
                    });
                    None
                }
            },
        };
        match (kind, on_day) {
            (Some(kind), Some(on_day)) if problems.is_empty() => Ok(NewLog {
                kind,
                on_day,
                text,
                cost_vnd,
                status,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn a_fault_marks_the_asset_broken_unless_told_otherwise() {
        let l = LogInput {
            kind: "fault".into(),
            text: "Không phát sóng".into(),
            ..Default::default()
        }
        .check(today())
        .unwrap();
        assert_eq!(l.on_day, today());
        assert_eq!(l.status, Some(Status::Broken));
        let l = LogInput {
            kind: "check".into(),
            text: "Vệ sinh quạt".into(),
            cost_vnd: "150.000".into(),
            status: "keep".into(),
            on_day: "01/12/2026".into(),
        }
        .check(today())
        .unwrap();
        assert_eq!(l.status, None);
        assert_eq!(l.cost_vnd, Some(150_000));
    }

    #[test]
    fn bad_entries_name_every_field() {
        let e = LogInput {
            kind: "explode".into(),
            on_day: "05/12/2026".into(),
            text: "x".into(),
            cost_vnd: "nhiều".into(),
            status: "lost".into(),
        }
        .check(today())
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["kind", "on_day", "text", "cost_vnd", "status"]);
    }
}
