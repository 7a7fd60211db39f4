//! Livestock surveys: headcounts by species, entered per village on a survey date, and added up
//! the same way for a commune and an area.

use std::collections::BTreeMap;

use chrono::NaiveDate;

pub use super::stats::Species;

/// The most head of one species a village may report (a check against a typing slip).
pub const MAX_HEAD: i64 = 10_000_000;

/// Reads a headcount as typed: empty means not counted; "1.200" and "1200" are 1,200.
pub fn parse_head(s: &str) -> Result<Option<i64>, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ' '))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=MAX_HEAD).contains(&n) => Ok(Some(n)),
        _ => Err(format!("a whole number of head, 0 to {MAX_HEAD}")),
    }
}

/// Checks a survey date: a real date, not ahead of `today`.
pub fn check_survey_date(s: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    match crate::time::parse_date(s) {
        Some(d) if d <= today => Ok(d),
        Some(_) => Err("the survey date is in the future".into()),
        None => Err("the date of the survey (dd/mm/yyyy)".into()),
    }
}

/// Headcounts by species, in the vocabulary's order, summed over the given counts.
pub fn totals<'a>(counts: impl IntoIterator<Item = &'a (Species, i64)>) -> Vec<(Species, i64)> {
    let mut by: BTreeMap<usize, (Species, i64)> = BTreeMap::new();
    for (s, n) in counts {
        let order = Species::ALL.iter().position(|x| x == s).unwrap_or(0);
        by.entry(order).or_insert((*s, 0)).1 += n;
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headcounts_are_read_as_typed() {
        assert_eq!(parse_head(""), Ok(None));
        assert_eq!(parse_head(" 1.200 "), Ok(Some(1200)));
        assert_eq!(parse_head("0"), Ok(Some(0)));
        assert!(parse_head("-3").is_err());
        assert!(parse_head("12,5").is_err());
        assert!(parse_head("99999999").is_err());
    }

    #[test]
    fn totals_follow_the_vocabulary_and_add_up() {
        let counts = [
            (Species::Poultry, 1000),
            (Species::Cattle, 12),
            (Species::Poultry, 500),
        ];
        assert_eq!(
            totals(&counts),
            vec![(Species::Cattle, 12), (Species::Poultry, 1500)]
        );
        let today = crate::time::parse_date("2026-12-04").unwrap();
        assert!(check_survey_date("01/10/2026", today).is_ok());
        assert!(check_survey_date("01/01/2027", today).is_err());
    }
}
