//! Administrative units: the tree as of a date, a unit's page with its history, search, and
//! adding villages; as pages and as JSON.

pub mod api;
pub mod html;

use chrono::NaiveDate;

use crate::error::PageError;

/// Reads an optional `as_of` query value; today (in Vietnam) when absent.
pub fn as_of(value: Option<&str>, json: bool) -> Result<(NaiveDate, bool), PageError> {
    match value.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => xaso_domain::time::parse_date(s)
            .map(|d| (d, true))
            .ok_or_else(|| {
                PageError::bad_request(format!("as_of `{s}` is not a date (use yyyy-mm-dd)"), json)
            }),
        None => Ok((xaso_domain::time::today_vn(), false)),
    }
}
