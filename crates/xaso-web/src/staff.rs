//! The staff area: module navigation, the audit log, API tokens, accounts.

pub mod api;
pub mod html;

use serde::Deserialize;
use utoipa::IntoParams;
use xaso_core::audit::AuditQuery;

use crate::error::PageError;

/// Audit log filters, from a query string (page and API alike).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Unit code; entries about it and everything under it.
    #[serde(default)]
    pub unit: String,
    /// The date the unit code is read on (yyyy-mm-dd); today by default.
    #[serde(default)]
    pub as_of: String,
    /// Username of the person who made the change.
    #[serde(default)]
    pub user: String,
    /// Kind of record: unit, user, api_token, unit_import.
    #[serde(default)]
    pub record_type: String,
    /// Id of one record.
    #[serde(default)]
    pub record_id: String,
    /// First day (yyyy-mm-dd; pages also take dd/mm/yyyy), Vietnam time.
    #[serde(default)]
    pub from: String,
    /// Last day, inclusive.
    #[serde(default)]
    pub to: String,
    /// Page number from 0, 50 entries a page.
    #[serde(default)]
    #[param(minimum = 0, maximum = 100_000)]
    pub page: i64,
}

impl AuditParams {
    pub fn to_query(&self, json: bool) -> Result<AuditQuery, PageError> {
        let date = |name: &str, s: &str| -> Result<Option<chrono::NaiveDate>, PageError> {
            match s.trim() {
                "" => Ok(None),
                v => xaso_domain::time::parse_date(v).map(Some).ok_or_else(|| {
                    PageError::bad_request(format!("{name} `{v}` is not a date"), json)
                }),
            }
        };
        if !(0..=xaso_core::audit::MAX_PAGE).contains(&self.page) {
            return Err(PageError::bad_request(
                format!("page must be 0 to {}", xaso_core::audit::MAX_PAGE),
                json,
            ));
        }
        Ok(AuditQuery {
            unit: Some(self.unit.clone()),
            as_of: date("as_of", &self.as_of)?,
            username: Some(self.user.clone()),
            record_type: Some(self.record_type.clone()),
            record_id: Some(self.record_id.clone()),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            page: self.page,
        })
    }
}
