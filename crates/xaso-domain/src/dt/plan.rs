//! The yearly DT plan: an indicator catalogue the province edits (key, names, unit, how the
//! actual value is obtained, how communes add up), and the rules for targets and actual values.
//!
//! No national list of team KPIs with definitions was found (shared/reference/dt-programme.md),
//! so the catalogue is data. The ways a value can be computed are the records the platform
//! keeps; anything else is entered with evidence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Service, SERVICES};
use crate::places::FieldProblem;
use crate::text;

/// How an indicator's actual value is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Typed by the commune with its evidence (a figure from the police, the public-service
    /// portal, a bank …).
    Entered,
    /// Team members who attended at least one training session in the year.
    MembersTrained,
    /// Different people (members and citizens) trained in the year.
    PeopleTrained,
    /// People helped by the teams in the year, for one service or (None) every service.
    Support(Option<Service>),
    /// Free public Wi-Fi points registered in the places registry (active today).
    WifiPoints,
    /// Approved producers of the commune with at least one product listed on a marketplace.
    EcommerceSellers,
}

/// Every measure, in the order forms list them.
pub fn measures() -> Vec<Measure> {
    let mut out = vec![
        Measure::Entered,
        Measure::MembersTrained,
        Measure::PeopleTrained,
        Measure::Support(None),
    ];
    out.extend(SERVICES.iter().map(|s| Measure::Support(Some(*s))));
    out.push(Measure::WifiPoints);
    out.push(Measure::EcommerceSellers);
    out
}

impl Measure {
    pub fn as_str(self) -> String {
        match self {
            Measure::Entered => "entered".into(),
            Measure::MembersTrained => "members_trained".into(),
            Measure::PeopleTrained => "people_trained".into(),
            Measure::Support(None) => "support".into(),
            Measure::Support(Some(s)) => format!("support:{}", s.as_str()),
            Measure::WifiPoints => "wifi_points".into(),
            Measure::EcommerceSellers => "ecommerce_sellers".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        match s.trim() {
            "entered" => Some(Measure::Entered),
            "members_trained" => Some(Measure::MembersTrained),
            "people_trained" => Some(Measure::PeopleTrained),
            "support" => Some(Measure::Support(None)),
            "wifi_points" => Some(Measure::WifiPoints),
            "ecommerce_sellers" => Some(Measure::EcommerceSellers),
            other => other
                .strip_prefix("support:")
                .and_then(Service::parse)
                .map(|s| Measure::Support(Some(s))),
        }
    }

    pub fn is_computed(self) -> bool {
        self != Measure::Entered
    }

    /// Whether the records behind this measure name a village, so villages get actual values.
    pub fn by_village(self) -> bool {
        matches!(
            self,
            Measure::MembersTrained
                | Measure::PeopleTrained
                | Measure::Support(_)
                | Measure::WifiPoints
        )
    }
}

/// How communes' values add up in an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Counts: the area's value is the communes' total.
    Sum,
    /// Shares: the area's value is the plain average of the communes that have one.
    Average,
}

impl Aggregate {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Average => "average",
        }
    }

    pub fn parse(s: &str) -> Option<Aggregate> {
        match s.trim() {
            "sum" => Some(Aggregate::Sum),
            "average" => Some(Aggregate::Average),
            _ => None,
        }
    }

    /// Combines values of several units.
    pub fn combine(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let sum: f64 = values.iter().sum();
        Some(match self {
            Aggregate::Sum => sum,
            Aggregate::Average => sum / values.len() as f64,
        })
    }
}

/// What the catalogue form sends for one indicator.
#[derive(Debug, Clone, Default)]
pub struct IndicatorInput {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub unit: String,
    pub measure: String,
    pub aggregate: String,
    pub position: String,
    pub active: bool,
    pub note: String,
}

/// A checked catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorDef {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub unit: String,
    pub measure: Measure,
    pub aggregate: Aggregate,
    pub position: i64,
    pub active: bool,
    pub note: String,
}

impl IndicatorDef {
    /// A share in per cent: values and targets are 0–100.
    pub fn is_percent(&self) -> bool {
        self.unit.trim() == "%"
    }
}

/// Checks a catalogue entry. Keys are short snake_case words (`vneid_l2_share`), since criteria
/// sets bind to them.
pub fn check_indicator(input: &IndicatorInput) -> Result<IndicatorDef, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let key = input.key.trim().to_string();
    let key_ok = (2..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        problems.push(FieldProblem {
            field: "key",
            detail: "the key is 2 to 40 lower-case letters, digits or _ and starts with a letter",
        });
    }
    let name_vi = text::clean(&input.name_vi);
    if name_vi.is_empty() || name_vi.chars().count() > 200 {
        problems.push(FieldProblem {
            field: "name_vi",
            detail: "the indicator needs a Vietnamese name of at most 200 characters",
        });
    }
    let name_en = text::clean(&input.name_en);
    if name_en.chars().count() > 200 {
        problems.push(FieldProblem {
            field: "name_en",
            detail: "the English name is at most 200 characters",
        });
    }
    let unit = text::clean(&input.unit);
    if unit.is_empty() || unit.chars().count() > 20 {
        problems.push(FieldProblem {
            field: "unit",
            detail: "the unit (người, hộ, %, điểm …) is 1 to 20 characters",
        });
    }
    let measure = Measure::parse(&input.measure);
    if measure.is_none() {
        problems.push(FieldProblem {
            field: "measure",
            detail: "choose how the actual value is obtained",
        });
    }
    let aggregate = Aggregate::parse(&input.aggregate);
    if aggregate.is_none() {
        problems.push(FieldProblem {
            field: "aggregate",
            detail: "choose how communes add up (sum or average)",
        });
    }
    if unit == "%" && measure.is_some_and(Measure::is_computed) {
        problems.push(FieldProblem {
            field: "measure",
            detail: "a share in % is entered; computed measures are counts",
        });
    }
    if unit == "%" && aggregate == Some(Aggregate::Sum) {
        problems.push(FieldProblem {
            field: "aggregate",
            detail: "shares in % do not add up; choose average",
        });
    }
    let position = if input.position.trim().is_empty() {
        Some(100)
    } else {
        input
            .position
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| (0..=9999).contains(p))
    };
    if position.is_none() {
        problems.push(FieldProblem {
            field: "position",
            detail: "the order is a whole number from 0 to 9999",
        });
    }
    let note = text::clean(&input.note);
    if note.chars().count() > 500 {
        problems.push(FieldProblem {
            field: "note",
            detail: "the note is at most 500 characters",
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(IndicatorDef {
        key,
        name_vi,
        name_en,
        unit,
        measure: measure.expect("checked"),
        aggregate: aggregate.expect("checked"),
        position: position.expect("checked"),
        active: input.active,
        note,
    })
}

/// Why a typed target or actual value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("write a number, such as 120 or 85,5")]
    NotANumber,
    #[error("the number must not be negative")]
    Negative,
    #[error("a share in % is from 0 to 100")]
    PercentOutOfRange,
}

/// Reads a target or actual as people type it: `120`, `85,5` or `85.5` (a decimal comma is the
/// Vietnamese habit), `1 200`. Empty means "no value" (`Ok(None)`).
pub fn parse_number(input: &str, percent: bool) -> Result<Option<f64>, NumberError> {
    let s: String = input
        .trim()
        .trim_end_matches('%')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    let n = s
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or(NumberError::NotANumber)?;
    if n < 0.0 {
        return Err(NumberError::Negative);
    }
    if percent && n > 100.0 {
        return Err(NumberError::PercentOutOfRange);
    }
    Ok(Some(n))
}

/// How far an actual value is towards its target, in per cent (None without both).
pub fn progress(target: Option<f64>, actual: Option<f64>) -> Option<f64> {
    match (target, actual) {
        (Some(t), Some(a)) if t > 0.0 => Some(a / t * 100.0),
        (Some(0.0), Some(_)) => Some(100.0),
        _ => None,
    }
}

/// A figure as Vietnamese pages print it: `1.234`, `85,5`.
pub fn format_number(n: f64) -> String {
    let rounded = (n * 10.0).round() / 10.0;
    let whole = rounded.trunc() as i64;
    let tenth = ((rounded - whole as f64).abs() * 10.0).round() as i64;
    let grouped = crate::text::amount_vi(whole.abs());
    let sign = if rounded < 0.0 { "-" } else { "" };
    if tenth == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{tenth}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_round_trip() {
        for m in measures() {
            assert_eq!(Measure::parse(&m.as_str()), Some(m));
        }
        assert_eq!(Measure::parse("support:nothing"), None);
        assert_eq!(Measure::parse("made_up"), None);
    }

    #[test]
    fn numbers_as_typed() {
        assert_eq!(parse_number("85,5", true), Ok(Some(85.5)));
        assert_eq!(parse_number(" 1 200 ", false), Ok(Some(1200.0)));
        assert_eq!(parse_number("90%", true), Ok(Some(90.0)));
        assert_eq!(parse_number("", true), Ok(None));
        assert_eq!(parse_number("abc", false), Err(NumberError::NotANumber));
        assert_eq!(parse_number("-1", false), Err(NumberError::Negative));
        assert_eq!(
            parse_number("101", true),
            Err(NumberError::PercentOutOfRange)
        );
        assert_eq!(parse_number("101", false), Ok(Some(101.0)));
    }

    #[test]
    fn figures_print_the_vietnamese_way() {
        assert_eq!(format_number(1234.0), "1.234");
        assert_eq!(format_number(85.5), "85,5");
        assert_eq!(format_number(310.0), "310");
        assert_eq!(format_number(1_000_000.04), "1.000.000");
    }

    #[test]
    fn progress_and_aggregates() {
        assert_eq!(
            progress(Some(300.0), Some(310.0)).map(|p| p.round()),
            Some(103.0)
        );
        assert_eq!(progress(None, Some(1.0)), None);
        assert_eq!(Aggregate::Sum.combine(&[1.0, 2.0]), Some(3.0));
        assert_eq!(Aggregate::Average.combine(&[80.0, 90.0]), Some(85.0));
        assert_eq!(Aggregate::Average.combine(&[]), None);
    }

    #[test]
    fn catalogue_entries_are_checked() {
        let good = IndicatorInput {
            key: "vneid_l2_share".into(),
            name_vi: "Tỷ lệ người trưởng thành có VNeID mức 2".into(),
            unit: "%".into(),
            measure: "entered".into(),
            aggregate: "average".into(),
            active: true,
            ..Default::default()
        };
        let d = check_indicator(&good).expect("valid");
        assert!(d.is_percent());
        assert_eq!(d.position, 100);
        let bad = IndicatorInput {
            key: "Bad Key".into(),
            unit: "%".into(),
            measure: "members_trained".into(),
            aggregate: "sum".into(),
            ..Default::default()
        };
        let fields: Vec<&str> = check_indicator(&bad)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["key", "name_vi", "measure", "aggregate"]);
    }
}
