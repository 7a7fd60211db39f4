//! Administrative units: levels, types, full names, codes and succession links.
//!
//! A GSO code alone does not identify a unit: codes were reused in the 2025 reform (80 was
//! Long An and is Tây Ninh). A unit is a code together with its validity period.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text;

/// Depth of a unit in the hierarchy. Before 1 July 2025 communes sat under districts; since then
/// they sit directly under provinces. Villages (ấp, thôn, khu phố) sit under communes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    District,
    Commune,
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
            Level::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim() {
            "province" => Some(Level::Province),
            "district" => Some(Level::District),
            "commune" => Some(Level::Commune),
            "village" => Some(Level::Village),
            _ => None,
        }
    }

    /// The levels a unit of this level may have as parent.
    pub fn allowed_parents(self) -> &'static [Level] {
        match self {
            Level::Province => &[],
            Level::District => &[Level::Province],
            Level::Commune => &[Level::District, Level::Province],
            Level::Village => &[Level::Commune],
        }
    }
}

/// Unit types as the GSO lists them, per level. Anything else in an import is an error.
pub const TYPES: &[(&str, Level)] = &[
    ("Tỉnh", Level::Province),
    ("Thành phố trực thuộc trung ương", Level::Province),
    ("Huyện", Level::District),
    ("Quận", Level::District),
    ("Thị xã", Level::District),
    ("Thành phố thuộc tỉnh", Level::District),
    (
        "Thành phố thuộc thành phố trực thuộc trung ương",
        Level::District,
    ),
    ("Xã", Level::Commune),
    ("Phường", Level::Commune),
    ("Thị trấn", Level::Commune),
    ("Đặc khu tại hải đảo", Level::Commune),
    ("Đặc khu", Level::Commune),
    ("Ấp", Level::Village),
    ("Thôn", Level::Village),
    ("Khu phố", Level::Village),
    ("Tổ dân phố", Level::Village),
    ("Bản", Level::Village),
];

/// The kinds of village a commune officer may add.
pub const VILLAGE_TYPES: &[&str] = &["Ấp", "Thôn", "Khu phố", "Tổ dân phố", "Bản"];

/// The level a unit type belongs to, if the type is known.
pub fn level_of_type(unit_type: &str) -> Option<Level> {
    TYPES
        .iter()
        .find(|(t, _)| *t == unit_type)
        .map(|(_, level)| *level)
}

/// The prefix of a unit's official full name: "Tỉnh" for provinces, "Thành phố" for every kind
/// of city, "Đặc khu" for island special zones, the type itself otherwise.
pub fn name_prefix(unit_type: &str) -> &str {
    if unit_type.starts_with("Thành phố") {
        "Thành phố"
    } else if unit_type.starts_with("Đặc khu") {
        "Đặc khu"
    } else {
        unit_type
    }
}

/// "Xã Đức Hòa Hạ", "Tỉnh Long An", "Phường 5".
pub fn full_name(unit_type: &str, name: &str) -> String {
    format!("{} {}", name_prefix(unit_type), name)
}

/// Whether a code has the shape of a GSO code for its level (2, 3 and 5 digits), or of a village
/// code (its commune's code, a dash and a number).
pub fn code_is_valid(code: &str, level: Level) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match level {
        Level::Province => digits(code, 2),
        Level::District => digits(code, 3),
        Level::Commune => digits(code, 5),
        Level::Village => match code.split_once('-') {
            Some((commune, n)) => {
                digits(commune, 5)
                    && !n.is_empty()
                    && n.len() <= 4
                    && n.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        },
    }
}

/// How much of an old unit went into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Portion {
    Whole,
    Part,
    Remainder,
}

impl Portion {
    pub fn as_str(self) -> &'static str {
        match self {
            Portion::Whole => "whole",
            Portion::Part => "part",
            Portion::Remainder => "remainder",
        }
    }

    pub fn parse(s: &str) -> Option<Portion> {
        match s.trim() {
            "whole" => Some(Portion::Whole),
            "part" => Some(Portion::Part),
            "remainder" => Some(Portion::Remainder),
            _ => None,
        }
    }
}

/// A validity period; `None` at either end means open (unknown start, or still valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Validity {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }

    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }

    /// Whether `inner` lies wholly inside `self`.
    pub fn covers(&self, inner: &Validity) -> bool {
        let start_ok = match (self.from, inner.from) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a <= b,
        };
        let end_ok = match (self.to, inner.to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => b <= a,
        };
        start_ok && end_ok
    }
}

/// A validated request to add a village under a commune.
#[derive(Debug, Clone)]
pub struct NewVillage {
    pub name: String,
    pub unit_type: String,
    pub valid_from: Option<NaiveDate>,
}

/// Why a village cannot be added, in terms a form can show next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VillageError {
    #[error("name is required")]
    NameMissing,
    #[error("name is longer than 100 characters")]
    NameTooLong,
    #[error("unknown village type `{0}`; use one of Ấp, Thôn, Khu phố, Tổ dân phố, Bản")]
    BadType(String),
}

impl NewVillage {
    pub fn parse(
        name: &str,
        unit_type: &str,
        valid_from: Option<NaiveDate>,
    ) -> Result<NewVillage, VillageError> {
        let name = text::clean(name);
        let unit_type = text::clean(unit_type);
        if name.is_empty() {
            return Err(VillageError::NameMissing);
        }
        if name.chars().count() > 100 {
            return Err(VillageError::NameTooLong);
        }
        if !VILLAGE_TYPES.contains(&unit_type.as_str()) {
            return Err(VillageError::BadType(unit_type));
        }
        // A name typed with its type ("Ấp Bình Tả 1") keeps only the name part.
        let name = name
            .strip_prefix(&format!("{unit_type} "))
            .map(str::to_string)
            .unwrap_or(name);
        Ok(NewVillage {
            name,
            unit_type,
            valid_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn full_names_follow_gso_prefixes() {
        assert_eq!(full_name("Tỉnh", "Long An"), "Tỉnh Long An");
        assert_eq!(
            full_name("Thành phố thuộc tỉnh", "Tân An"),
            "Thành phố Tân An"
        );
        assert_eq!(
            full_name("Đặc khu tại hải đảo", "Côn Đảo"),
            "Đặc khu Côn Đảo"
        );
        assert_eq!(full_name("Thị trấn", "Hậu Nghĩa"), "Thị trấn Hậu Nghĩa");
        assert_eq!(level_of_type("Huyện"), Some(Level::District));
        assert_eq!(level_of_type("Làng"), None);
    }

    #[test]
    fn codes_have_the_shape_of_their_level() {
        assert!(code_is_valid("80", Level::Province));
        assert!(code_is_valid("802", Level::District));
        assert!(code_is_valid("27985", Level::Commune));
        assert!(!code_is_valid("2798", Level::Commune));
        assert!(code_is_valid("27985-01", Level::Village));
        assert!(!code_is_valid("27985", Level::Village));
        assert!(!code_is_valid("8O", Level::Province));
    }

    #[test]
    fn validity_periods_compare() {
        let old = Validity {
            from: None,
            to: Some(d("2025-06-30")),
        };
        let new = Validity {
            from: Some(d("2025-07-01")),
            to: None,
        };
        assert!(old.contains(d("2024-06-30")));
        assert!(!old.contains(d("2025-07-01")));
        assert!(new.contains(d("2026-01-01")));
        assert!(!old.overlaps(&new));
        assert!(old.overlaps(&old));
        assert!(old.covers(&Validity {
            from: Some(d("2020-01-01")),
            to: Some(d("2025-06-30"))
        }));
        assert!(!old.covers(&new));
    }

    #[test]
    fn village_input_is_cleaned_and_checked() {
        let v = NewVillage::parse("  Ấp Bình Tả 3 ", "Ấp", None).unwrap();
        assert_eq!(v.name, "Bình Tả 3");
        assert_eq!(
            NewVillage::parse("", "Ấp", None).unwrap_err(),
            VillageError::NameMissing
        );
        assert!(matches!(
            NewVillage::parse("X", "Tỉnh", None),
            Err(VillageError::BadType(_))
        ));
    }
}

/// An administrative unit as it stood during its validity period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Unit {
    /// Internal id; stable across renames, unlike the code.
    pub id: String,
    /// GSO code (villages: the commune's code, a dash and a number).
    pub code: String,
    /// Short name without the type, e.g. "Đức Hòa Hạ".
    pub name: String,
    /// Official full name, e.g. "Xã Đức Hòa Hạ".
    pub full_name: String,
    /// Type as the GSO lists it, e.g. "Xã", "Thành phố thuộc tỉnh".
    pub unit_type: String,
    pub level: Level,
    #[serde(skip)]
    pub parent_id: Option<String>,
    /// First day of validity; absent when unknown.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity; absent while the unit still exists.
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    pub fn validity(&self) -> Validity {
        Validity {
            from: self.valid_from,
            to: self.valid_to,
        }
    }
}

/// A succession link seen from one side: the unit on the other side, and how much went over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitLink {
    pub unit: Unit,
    pub portion: Portion,
    /// The day the new unit took over.
    pub effective: NaiveDate,
    pub legal_basis: Option<String>,
}
