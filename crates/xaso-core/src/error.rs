//! What can go wrong in a use case, spelled out so the HTTP edge can pick a real status.

use serde::Serialize;

/// One problem with one input: a form field, a CSV line, a spreadsheet cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: a field name ("name"), or "line 12".
    pub at: String,
    /// What is wrong, in English (logs, API); pages translate by `code` where they can.
    pub detail: String,
}

impl Problem {
    pub fn new(at: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            at: at.into(),
            detail: detail.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    Unauthenticated,
    #[error("not allowed for your account")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<Problem>),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A record made offline that the server had already stored (sent twice).
    #[error("this record was received already")]
    AlreadyReceived,
    #[error("too many failed sign-in attempts; try again later")]
    Throttled,
    #[error("wrong username or password")]
    BadCredentials,
    #[error(transparent)]
    Store(#[from] xaso_storage::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<xaso_storage::SqlError> for Error {
    fn from(e: xaso_storage::SqlError) -> Error {
        Error::Store(xaso_storage::StoreError::Sql(e))
    }
}

impl Error {
    pub fn invalid(at: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Invalid(vec![Problem::new(at, detail)])
    }

    /// The problems a domain check found, as (field, detail) pairs.
    pub fn problems(list: Vec<(&'static str, String)>) -> Error {
        Error::Invalid(
            list.into_iter()
                .map(|(at, detail)| Problem::new(at, detail))
                .collect(),
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
