//! Dates and times: UTC in storage, Asia/Ho_Chi_Minh (UTC+7, no daylight saving) on screen.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// Vietnam's offset. The country has kept UTC+7 without daylight saving since 1975.
pub fn vn_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// Today's date in Vietnam.
pub fn today_vn() -> NaiveDate {
    Utc::now().with_timezone(&vn_offset()).date_naive()
}

/// Parses a date given as ISO `yyyy-mm-dd` or Vietnamese `dd/mm/yyyy`.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// `dd/mm/yyyy`, as Vietnamese readers expect.
pub fn format_date_vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `dd/mm/yyyy HH:mm` in Vietnam's time.
pub fn format_datetime_vn(t: DateTime<Utc>) -> String {
    t.with_timezone(&vn_offset())
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// The fixed-width UTC text form used in storage, which sorts as time does.
pub fn to_storage(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Reads a storage timestamp back; `None` for text that is not one.
pub fn from_storage(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads a moment as typed: ISO 8601 with a zone, `yyyy-mm-ddTHH:MM` (a browser's
/// datetime-local field) or `dd/mm/yyyy HH:mm` in Vietnam's time, or a bare date (its start).
pub fn parse_moment(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M"))
        .ok()
        .or_else(|| parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    local
        .and_local_timezone(vn_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_date_forms() {
        let d = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(parse_date("2025-07-01"), Some(d));
        assert_eq!(parse_date("01/07/2025"), Some(d));
        assert_eq!(parse_date("2025-13-01"), None);
        assert_eq!(format_date_vn(d), "01/07/2025");
    }

    #[test]
    fn storage_times_round_trip_and_show_in_vn_time() {
        let t = DateTime::parse_from_rfc3339("2025-06-30T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = to_storage(t);
        assert_eq!(s, "2025-06-30T17:30:00.000000Z");
        assert_eq!(from_storage(&s), Some(t));
        assert_eq!(format_datetime_vn(t), "01/07/2025 00:30");
    }
}
