//! NTM criteria sets and their assessment.
//!
//! A set (bộ tiêu chí) has criteria (tiêu chí), each with indicators (chỉ tiêu). A numeric
//! indicator's threshold depends on the commune's region (2021–2025) or commune group
//! (2026–2030), and sometimes on the year. A threshold nobody has transcribed yet is absent, and
//! an indicator without a threshold is "chưa có ngưỡng": it never counts as met. A criterion whose
//! indicators are not known ships with one judged indicator (Đạt / Không đạt) standing for it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The recognition levels, lowest first. Each level above NTM requires the one below.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NtmLevel {
    /// đạt chuẩn NTM
    Ntm,
    /// NTM nâng cao (2021–2025)
    NangCao,
    /// NTM kiểu mẫu (2021–2025)
    KieuMau,
    /// NTM hiện đại (2026–2030 pilot)
    HienDai,
}

impl NtmLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            NtmLevel::Ntm => "ntm",
            NtmLevel::NangCao => "nang_cao",
            NtmLevel::KieuMau => "kieu_mau",
            NtmLevel::HienDai => "hien_dai",
        }
    }

    pub fn parse(s: &str) -> Option<NtmLevel> {
        match s.trim() {
            "ntm" => Some(NtmLevel::Ntm),
            "nang_cao" => Some(NtmLevel::NangCao),
            "kieu_mau" => Some(NtmLevel::KieuMau),
            "hien_dai" => Some(NtmLevel::HienDai),
            _ => None,
        }
    }
}

/// What an indicator measures and which way its threshold points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Đạt / Không đạt, judged with evidence.
    Judged,
    /// A number that must be at least the threshold.
    AtLeast,
    /// A number that must be at most the threshold.
    AtMost,
    /// A percentage (0–100) that must be at least the threshold.
    PercentAtLeast,
    /// A percentage (0–100) that must be at most the threshold.
    PercentAtMost,
}

impl Kind {
    pub fn is_percent(self) -> bool {
        matches!(self, Kind::PercentAtLeast | Kind::PercentAtMost)
    }
}

/// Whether thresholds are keyed by socio-economic region or by commune group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyedBy {
    Region,
    Group,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    /// As numbered in the decision ("15.3"); for a stand-in, the criterion's number.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub kind: Kind,
    /// Threshold per key: a region or group ("DBSCL", "group2"), `*` for every key, or
    /// `KEY@YEAR` for one year. Absent = not known yet.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, f64>,
    /// True when this judged indicator stands for a whole criterion whose indicators are not
    /// transcribed yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stand_in: bool,
    /// Whether a value needs at least one evidence file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub evidence_required: bool,
    /// Where the wording and thresholds come from, and how sure they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The key of a DT-plan indicator whose actual value this indicator takes (a number
    /// indicator) or shows beside the judgement (a judged one). Set by the province as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dt_indicator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    /// "1" … "19", or a condition id such as "KM2".
    pub no: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CriteriaSet {
    /// Stable key of the set, e.g. "vn-xa-ntm-2021-2025".
    pub key: String,
    pub level: NtmLevel,
    /// First and last programme year the set applies to.
    pub from_year: i32,
    pub to_year: i32,
    pub name_vi: String,
    pub name_en: String,
    /// The legal source, e.g. "318/QĐ-TTg, Phụ lục I".
    pub decision: String,
    pub keyed_by: KeyedBy,
    /// The regions or groups a commune can belong to.
    pub keys: Vec<String>,
    /// The set a commune must meet first (the level below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// A pilot framework (2026–2030 "modern NTM commune"): assessed only for communes whose
    /// profile targets its level, not for every commune.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pilot: bool,
    pub criteria: Vec<Criterion>,
    /// How complete the transcription is, and where it comes from.
    #[serde(default)]
    pub note: String,
}

/// Why a set definition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("the set has no criteria")]
    NoCriteria,
    #[error("criterion {0} has no indicators")]
    EmptyCriterion(String),
    #[error("indicator code {0} appears twice")]
    DuplicateCode(String),
    #[error("indicator {code}: threshold key `{key}` is not one of the set's keys")]
    UnknownKey { code: String, key: String },
    #[error("indicator {code}: a judged indicator has no numeric threshold")]
    JudgedWithThreshold { code: String },
    #[error("indicator {code}: percentage threshold {value} is outside 0–100")]
    PercentOutOfRange { code: String, value: String },
    #[error("indicator {0}: a threshold is not a finite number")]
    NotFinite(String),
}

impl CriteriaSet {
    /// Checks the structure a set must have before it is stored or used.
    pub fn validate(&self) -> Result<(), SetError> {
        if self.criteria.is_empty() {
            return Err(SetError::NoCriteria);
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.criteria {
            if c.indicators.is_empty() {
                return Err(SetError::EmptyCriterion(c.no.clone()));
            }
            for i in &c.indicators {
                if !seen.insert(i.code.as_str()) {
                    return Err(SetError::DuplicateCode(i.code.clone()));
                }
                if i.kind == Kind::Judged && !i.thresholds.is_empty() {
                    return Err(SetError::JudgedWithThreshold {
                        code: i.code.clone(),
                    });
                }
                for (k, v) in &i.thresholds {
                    let base = k.split('@').next().unwrap_or(k);
                    if base != "*" && !self.keys.iter().any(|key| key == base) {
                        return Err(SetError::UnknownKey {
                            code: i.code.clone(),
                            key: k.clone(),
                        });
                    }
                    if !v.is_finite() {
                        return Err(SetError::NotFinite(i.code.clone()));
                    }
                    if i.kind.is_percent() && !(0.0..=100.0).contains(v) {
                        return Err(SetError::PercentOutOfRange {
                            code: i.code.clone(),
                            value: v.to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.criteria
            .iter()
            .flat_map(|c| &c.indicators)
            .find(|i| i.code == code)
    }

    pub fn indicator_count(&self) -> usize {
        self.criteria.iter().map(|c| c.indicators.len()).sum()
    }
}

impl Indicator {
    /// The threshold for a commune in region or group `key` in `year`: the year-specific value
    /// first, then the key's value, then a value for every key. `None` = not known.
    pub fn threshold(&self, key: &str, year: i32) -> Option<f64> {
        if self.kind == Kind::Judged {
            return None;
        }
        self.thresholds
            .get(&format!("{key}@{year}"))
            .or_else(|| self.thresholds.get(key))
            .or_else(|| self.thresholds.get(&format!("*@{year}")))
            .or_else(|| self.thresholds.get("*"))
            .copied()
    }
}

/// A value entered for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Đạt (true) / Không đạt (false), for judged indicators.
    Judged(bool),
    Number(f64),
}

// utoipa's derive mishandles untagged tuple variants, so the schema is written out: a boolean
// (judged: Đạt / Không đạt) or a number.
impl utoipa::PartialSchema for Value {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("judged: true = Đạt, false = Không đạt")),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .into()
    }
}

impl utoipa::ToSchema for Value {}

/// Why a value does not fit its indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("this indicator is judged: answer Đạt or Không đạt")]
    NeedsJudgement,
    #[error("this indicator needs a number")]
    NeedsNumber,
    #[error("a percentage must be between 0 and 100")]
    PercentOutOfRange,
    #[error("the number must not be negative")]
    Negative,
    #[error("not a number")]
    NotANumber,
}

impl Value {
    /// Checks a value against its indicator's kind.
    pub fn check(self, kind: Kind) -> Result<Value, ValueError> {
        match (kind, self) {
            (Kind::Judged, Value::Judged(_)) => Ok(self),
            (Kind::Judged, Value::Number(_)) => Err(ValueError::NeedsJudgement),
            (_, Value::Judged(_)) => Err(ValueError::NeedsNumber),
            (k, Value::Number(n)) => {
                if !n.is_finite() {
                    Err(ValueError::NotANumber)
                } else if n < 0.0 {
                    Err(ValueError::Negative)
                } else if k.is_percent() && n > 100.0 {
                    Err(ValueError::PercentOutOfRange)
                } else {
                    Ok(self)
                }
            }
        }
    }

    /// Reads what a person typed: "Đạt"/"Không đạt" (with or without diacritics) for judged
    /// indicators; a number with "," or "." as decimal mark otherwise. Empty = no value.
    pub fn parse(input: &str, kind: Kind) -> Result<Option<Value>, ValueError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let v = if kind == Kind::Judged {
            match crate::text::fold(s).as_str() {
                "dat" | "x" | "1" | "true" | "yes" | "met" => Value::Judged(true),
                "khong dat" | "chua dat" | "0" | "false" | "no" | "not met" => Value::Judged(false),
                _ => return Err(ValueError::NeedsJudgement),
            }
        } else {
            Value::Number(crate::text::parse_number_vi(s).ok_or(ValueError::NotANumber)?)
        };
        v.check(kind).map(Some)
    }

    /// Text form used in storage and spreadsheets.
    pub fn to_storage(self) -> String {
        match self {
            Value::Judged(true) => "dat".into(),
            Value::Judged(false) => "khong_dat".into(),
            Value::Number(n) => n.to_string(),
        }
    }

    pub fn from_storage(s: &str) -> Option<Value> {
        match s {
            "dat" => Some(Value::Judged(true)),
            "khong_dat" => Some(Value::Judged(false)),
            n => n.parse().ok().map(Value::Number),
        }
    }
}

/// The outcome for one indicator, criterion or set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// đạt
    Met,
    /// chưa đạt
    NotMet,
    /// chưa có ngưỡng — the threshold is not known, so it cannot count as met
    NoThreshold,
    /// chưa có số liệu
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "not_met",
            Status::NoThreshold => "no_threshold",
            Status::NoData => "no_data",
        }
    }

    /// Combines parts: met only when every part is met; a failure wins over a gap in knowledge,
    /// which wins over missing data.
    pub fn all(parts: impl IntoIterator<Item = Status>) -> Status {
        let mut out = Status::Met;
        for s in parts {
            out = match (out, s) {
                (Status::NotMet, _) | (_, Status::NotMet) => Status::NotMet,
                (Status::NoThreshold, _) | (_, Status::NoThreshold) => Status::NoThreshold,
                (Status::NoData, _) | (_, Status::NoData) => Status::NoData,
                _ => Status::Met,
            };
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorResult {
    pub code: String,
    pub status: Status,
    pub value: Option<Value>,
    pub threshold: Option<f64>,
    /// How far a number is from its threshold (positive = still missing).
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CriterionResult {
    pub no: String,
    pub status: Status,
    pub indicators: Vec<IndicatorResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SetResult {
    pub set_key: String,
    pub level: NtmLevel,
    pub status: Status,
    pub criteria_met: usize,
    pub criteria_total: usize,
    pub criteria: Vec<CriterionResult>,
}

pub fn assess_indicator(
    ind: &Indicator,
    key: &str,
    year: i32,
    value: Option<Value>,
) -> IndicatorResult {
    let threshold = ind.threshold(key, year);
    let (status, gap) = match (ind.kind, value) {
        (_, None) => (
            if ind.kind != Kind::Judged && threshold.is_none() {
                Status::NoThreshold
            } else {
                Status::NoData
            },
            None,
        ),
        (Kind::Judged, Some(Value::Judged(ok))) => {
            (if ok { Status::Met } else { Status::NotMet }, None)
        }
        (Kind::Judged, Some(Value::Number(_))) => (Status::NoData, None),
        (_, Some(Value::Judged(_))) => (Status::NoData, None),
        (kind, Some(Value::Number(v))) => match threshold {
            None => (Status::NoThreshold, None),
            Some(t) => {
                let (met, gap) = match kind {
                    Kind::AtLeast | Kind::PercentAtLeast => (v >= t, t - v),
                    _ => (v <= t, v - t),
                };
                (if met { Status::Met } else { Status::NotMet }, Some(gap))
            }
        },
    };
    IndicatorResult {
        code: ind.code.clone(),
        status,
        value,
        threshold,
        gap,
    }
}

/// Assesses a commune's values (by indicator code) against a set.
pub fn assess_set(
    set: &CriteriaSet,
    key: &str,
    year: i32,
    values: &BTreeMap<String, Value>,
) -> SetResult {
    let criteria: Vec<CriterionResult> = set
        .criteria
        .iter()
        .map(|c| {
            let indicators: Vec<IndicatorResult> = c
                .indicators
                .iter()
                .map(|i| assess_indicator(i, key, year, values.get(&i.code).copied()))
                .collect();
            CriterionResult {
                no: c.no.clone(),
                status: Status::all(indicators.iter().map(|r| r.status)),
                indicators,
            }
        })
        .collect();
    let criteria_met = criteria.iter().filter(|c| c.status == Status::Met).count();
    SetResult {
        set_key: set.key.clone(),
        level: set.level,
        status: Status::all(criteria.iter().map(|c| c.status)),
        criteria_met,
        criteria_total: criteria.len(),
        criteria,
    }
}

/// The highest level reached: a level counts only when its own set is met and every set it
/// requires is met too. `outcomes` pairs each set with its status.
pub fn level_reached(outcomes: &[(&CriteriaSet, Status)]) -> Option<NtmLevel> {
    fn met(key: &str, outcomes: &[(&CriteriaSet, Status)], depth: u8) -> bool {
        if depth > 8 {
            return false;
        }
        let Some((set, status)) = outcomes.iter().find(|(s, _)| s.key == key) else {
            return false;
        };
        *status == Status::Met
            && set
                .requires
                .as_deref()
                .is_none_or(|req| met(req, outcomes, depth + 1))
    }
    outcomes
        .iter()
        .filter(|(s, _)| met(&s.key, outcomes, 0))
        .map(|(s, _)| s.level)
        .max()
}

/// Where a commune's year of data stands in the approval flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// đang nhập — the commune enters data
    Draft,
    /// đã gửi duyệt — waiting for the area officer; no more edits
    Submitted,
    /// đã phê duyệt — locked
    Approved,
    /// bị trả lại — back to the commune with a comment
    Returned,
}

/// A step in the approval flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// gửi duyệt
    Submit,
    /// phê duyệt (khóa số liệu)
    Approve,
    /// trả lại
    Return,
    /// mở khóa
    Reopen,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a year that is {from}")]
pub struct ReviewError {
    pub from: &'static str,
    pub action: &'static str,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::Submitted => "submitted",
            ReviewState::Approved => "approved",
            ReviewState::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        match s {
            "draft" => Some(ReviewState::Draft),
            "submitted" => Some(ReviewState::Submitted),
            "approved" => Some(ReviewState::Approved),
            "returned" => Some(ReviewState::Returned),
            _ => None,
        }
    }

    /// Whether values and the profile may change.
    pub fn editable(self) -> bool {
        matches!(self, ReviewState::Draft | ReviewState::Returned)
    }

    /// The state after `action`, or why the action does not fit.
    pub fn apply(self, action: ReviewAction) -> Result<ReviewState, ReviewError> {
        use ReviewAction::*;
        use ReviewState::*;
        match (self, action) {
            (Draft | Returned, Submit) => Ok(Submitted),
            (Submitted, Approve) => Ok(Approved),
            (Submitted, Return) => Ok(Returned),
            (Approved, Reopen) => Ok(Draft),
            _ => Err(ReviewError {
                from: self.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Submit => "submit",
            ReviewAction::Approve => "approve",
            ReviewAction::Return => "return",
            ReviewAction::Reopen => "reopen",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewAction> {
        match s {
            "submit" => Some(ReviewAction::Submit),
            "approve" => Some(ReviewAction::Approve),
            "return" => Some(ReviewAction::Return),
            "reopen" => Some(ReviewAction::Reopen),
            _ => None,
        }
    }

    /// Returning and reopening must say why.
    pub fn needs_comment(self) -> bool {
        matches!(self, ReviewAction::Return | ReviewAction::Reopen)
    }

    /// Only the area officer above the commune (or an administrator) approves, returns and
    /// reopens; the commune itself may submit.
    pub fn commune_may(self) -> bool {
        self == ReviewAction::Submit
    }
}

/// The national sets shipped in the binary (see data/criteria/README.md).
pub fn national_sets() -> Vec<CriteriaSet> {
    [
        include_str!("../../../data/criteria/vn-xa-ntm-2021-2025.json"),
        include_str!("../../../data/criteria/vn-xa-ntm-nang-cao-2021-2025.json"),
        include_str!("../../../data/criteria/vn-xa-ntm-kieu-mau-2021-2025.json"),
        include_str!("../../../data/criteria/vn-xa-ntm-2026-2030.json"),
        include_str!("../../../data/criteria/vn-xa-ntm-hien-dai-2026-2030.json"),
    ]
    .iter()
    .map(|s| serde_json::from_str(s).expect("shipped criteria sets are valid JSON"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(code: &str) -> Indicator {
        Indicator {
            code: code.into(),
            name_vi: code.into(),
            name_en: code.into(),
            unit: None,
            kind: Kind::Judged,
            thresholds: BTreeMap::new(),
            stand_in: false,
            evidence_required: false,
            source: None,
            dt_indicator: None,
        }
    }

    fn numeric(code: &str, kind: Kind, thresholds: &[(&str, f64)]) -> Indicator {
        Indicator {
            kind,
            thresholds: thresholds
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            ..judged(code)
        }
    }

    fn set(
        key: &str,
        level: NtmLevel,
        requires: Option<&str>,
        criteria: Vec<Vec<Indicator>>,
    ) -> CriteriaSet {
        CriteriaSet {
            key: key.into(),
            level,
            from_year: 2021,
            to_year: 2025,
            name_vi: key.into(),
            name_en: key.into(),
            decision: "test".into(),
            keyed_by: KeyedBy::Region,
            keys: vec!["DBSCL".into(), "DBSH".into()],
            requires: requires.map(str::to_string),
            pilot: false,
            criteria: criteria
                .into_iter()
                .enumerate()
                .map(|(i, indicators)| Criterion {
                    no: (i + 1).to_string(),
                    name_vi: "c".into(),
                    name_en: "c".into(),
                    indicators,
                })
                .collect(),
            note: String::new(),
        }
    }

    fn values(v: &[(&str, Value)]) -> BTreeMap<String, Value> {
        v.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn shipped_sets_are_valid_and_invent_nothing() {
        let sets = national_sets();
        assert_eq!(sets.len(), 5);
        assert!(sets
            .iter()
            .filter(|s| s.pilot)
            .all(|s| s.level == NtmLevel::HienDai));
        for s in &sets {
            s.validate().unwrap_or_else(|e| panic!("{}: {e}", s.key));
        }
        let ntm = &sets[0];
        assert_eq!(ntm.criteria.len(), 19);
        // Known: stunting by region. Unknown: income; Long An (DBSCL) has no e-health threshold.
        assert_eq!(
            ntm.indicator("15.3").unwrap().threshold("DBSCL", 2024),
            Some(19.0)
        );
        assert_eq!(
            ntm.indicator("15.4").unwrap().threshold("DBSCL", 2024),
            None
        );
        assert_eq!(
            ntm.indicator("15.4").unwrap().threshold("DBSH", 2024),
            Some(70.0)
        );
        assert_eq!(ntm.indicator("10").unwrap().threshold("DBSCL", 2024), None);
        let s26 = &sets[3];
        assert_eq!((s26.criteria.len(), s26.keyed_by), (10, KeyedBy::Group));
        assert!(s26
            .criteria
            .iter()
            .all(|c| c.indicators.len() == 1 && c.indicators[0].stand_in));
    }

    #[test]
    fn thresholds_follow_region_year_and_wildcards() {
        let i = numeric(
            "10",
            Kind::AtLeast,
            &[("DBSCL@2024", 60.0), ("DBSCL", 55.0), ("*", 50.0)],
        );
        assert_eq!(i.threshold("DBSCL", 2024), Some(60.0));
        assert_eq!(i.threshold("DBSCL", 2023), Some(55.0));
        assert_eq!(i.threshold("DBSH", 2023), Some(50.0));
        let r = assess_indicator(&i, "DBSCL", 2024, Some(Value::Number(58.0)));
        assert_eq!((r.status, r.gap), (Status::NotMet, Some(2.0)));
        let r = assess_indicator(&i, "DBSCL", 2023, Some(Value::Number(58.0)));
        assert_eq!(r.status, Status::Met);
        let at_most = numeric("15.3", Kind::PercentAtMost, &[("DBSCL", 19.0)]);
        assert_eq!(
            assess_indicator(&at_most, "DBSCL", 2024, Some(Value::Number(19.0))).status,
            Status::Met
        );
        assert_eq!(
            assess_indicator(&at_most, "DBSCL", 2024, Some(Value::Number(19.5))).status,
            Status::NotMet
        );
    }

    #[test]
    fn unknown_thresholds_never_count_as_met() {
        let i = numeric("15.4", Kind::PercentAtLeast, &[("DBSH", 70.0)]);
        let r = assess_indicator(&i, "DBSCL", 2024, Some(Value::Number(99.0)));
        assert_eq!((r.status, r.threshold), (Status::NoThreshold, None));
        let s = set("a", NtmLevel::Ntm, None, vec![vec![judged("1")], vec![i]]);
        let res = assess_set(
            &s,
            "DBSCL",
            2024,
            &values(&[("1", Value::Judged(true)), ("15.4", Value::Number(99.0))]),
        );
        assert_eq!(res.status, Status::NoThreshold);
        assert_eq!((res.criteria_met, res.criteria_total), (1, 2));
        // The same values in a region with a threshold: met.
        let res = assess_set(
            &s,
            "DBSH",
            2024,
            &values(&[("1", Value::Judged(true)), ("15.4", Value::Number(99.0))]),
        );
        assert_eq!(res.status, Status::Met);
    }

    #[test]
    fn a_criterion_needs_all_its_indicators_and_failures_win() {
        let s = set(
            "a",
            NtmLevel::Ntm,
            None,
            vec![vec![judged("3.1"), judged("3.2")]],
        );
        let res = assess_set(&s, "DBSCL", 2024, &values(&[("3.1", Value::Judged(true))]));
        assert_eq!(res.criteria[0].status, Status::NoData);
        let res = assess_set(&s, "DBSCL", 2024, &values(&[("3.1", Value::Judged(false))]));
        assert_eq!(res.criteria[0].status, Status::NotMet);
        assert_eq!(
            Status::all([Status::NoData, Status::NoThreshold, Status::Met]),
            Status::NoThreshold
        );
        assert_eq!(
            Status::all([Status::NoThreshold, Status::NotMet]),
            Status::NotMet
        );
        assert_eq!(Status::all([]), Status::Met);
    }

    #[test]
    fn each_level_requires_the_one_below() {
        let sets = [
            set("ntm", NtmLevel::Ntm, None, vec![vec![judged("1")]]),
            set(
                "nc",
                NtmLevel::NangCao,
                Some("ntm"),
                vec![vec![judged("1")]],
            ),
            set("km", NtmLevel::KieuMau, Some("nc"), vec![vec![judged("1")]]),
        ];
        let ok = values(&[("1", Value::Judged(true))]);
        let no = values(&[("1", Value::Judged(false))]);
        let level = |a: &BTreeMap<String, Value>,
                     b: &BTreeMap<String, Value>,
                     c: &BTreeMap<String, Value>| {
            let outcomes: Vec<(&CriteriaSet, Status)> = sets
                .iter()
                .zip([a, b, c])
                .map(|(s, v)| (s, assess_set(s, "DBSCL", 2024, v).status))
                .collect();
            level_reached(&outcomes)
        };
        assert_eq!(level(&ok, &ok, &ok), Some(NtmLevel::KieuMau));
        assert_eq!(level(&ok, &ok, &no), Some(NtmLevel::NangCao));
        // Model-level conditions met but not advanced: only NTM.
        assert_eq!(level(&ok, &no, &ok), Some(NtmLevel::Ntm));
        assert_eq!(level(&no, &ok, &ok), None);
    }

    #[test]
    fn values_are_read_as_people_type_them() {
        assert_eq!(
            Value::parse("Đạt", Kind::Judged),
            Ok(Some(Value::Judged(true)))
        );
        assert_eq!(
            Value::parse("không đạt", Kind::Judged),
            Ok(Some(Value::Judged(false)))
        );
        assert_eq!(Value::parse("", Kind::Judged), Ok(None));
        assert_eq!(
            Value::parse("maybe", Kind::Judged),
            Err(ValueError::NeedsJudgement)
        );
        assert_eq!(
            Value::parse("1.234,5", Kind::AtLeast),
            Ok(Some(Value::Number(1234.5)))
        );
        assert_eq!(
            Value::parse("62.5", Kind::AtLeast),
            Ok(Some(Value::Number(62.5)))
        );
        assert_eq!(
            Value::parse("101", Kind::PercentAtLeast),
            Err(ValueError::PercentOutOfRange)
        );
        assert_eq!(Value::parse("-1", Kind::AtLeast), Err(ValueError::Negative));
        assert_eq!(
            Value::parse("abc", Kind::AtMost),
            Err(ValueError::NotANumber)
        );
        for v in [
            Value::Judged(true),
            Value::Judged(false),
            Value::Number(19.25),
        ] {
            assert_eq!(Value::from_storage(&v.to_storage()), Some(v));
        }
    }

    #[test]
    fn the_approval_flow_only_moves_forward_as_allowed() {
        use ReviewAction::*;
        use ReviewState::*;
        assert_eq!(Draft.apply(Submit), Ok(Submitted));
        assert_eq!(Submitted.apply(Approve), Ok(Approved));
        assert_eq!(Submitted.apply(Return), Ok(Returned));
        assert_eq!(Returned.apply(Submit), Ok(Submitted));
        assert_eq!(Approved.apply(Reopen), Ok(Draft));
        assert!(Draft.apply(Approve).is_err());
        assert!(Approved.apply(Submit).is_err());
        assert!(Submitted.apply(Submit).is_err());
        assert!(
            Draft.editable()
                && Returned.editable()
                && !Submitted.editable()
                && !Approved.editable()
        );
        assert!(Return.needs_comment() && Reopen.needs_comment() && !Approve.needs_comment());
    }

    #[test]
    fn broken_sets_are_refused() {
        let mut s = set(
            "a",
            NtmLevel::Ntm,
            None,
            vec![vec![numeric("1", Kind::PercentAtLeast, &[("XYZ", 5.0)])]],
        );
        assert!(matches!(s.validate(), Err(SetError::UnknownKey { .. })));
        s.criteria[0].indicators[0].thresholds = [("DBSCL".to_string(), 150.0)].into();
        assert!(matches!(
            s.validate(),
            Err(SetError::PercentOutOfRange { .. })
        ));
        s.criteria[0].indicators.push(judged("1"));
        s.criteria[0].indicators[0].thresholds.clear();
        assert!(matches!(s.validate(), Err(SetError::DuplicateCode(_))));
        s.criteria[0].indicators.clear();
        assert!(matches!(s.validate(), Err(SetError::EmptyCriterion(_))));
    }
}
