//! Use cases of Xã Số: plain async functions that take the store and the acting person, check
//! authorisation, run one transaction and record the change in the audit log. The web pages, the
//! JSON API and the CLI all call these, so a rule is enforced once.

pub mod agri;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod broadcast;
pub mod catalogue;
pub mod cluster;
pub mod criteria;
pub mod demo;
pub mod dossier;
pub mod dt;
pub mod epcis;
pub mod error;
pub mod evidence;
pub mod feedback;
pub mod field;
pub mod heritage;
pub mod ict;
pub mod jobs;
pub mod places;
pub mod portal;
pub mod producers;
pub mod qr;
pub mod queue;
pub(crate) mod sheet;
pub mod stamps;
pub mod units;
pub mod upload;
pub mod users;
pub mod xml;

pub use auth::{Actor, Assignment};
pub use error::{Error, Result};
