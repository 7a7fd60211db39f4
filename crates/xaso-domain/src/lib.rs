//! Types and rules of Xã Số. Nothing here does I/O: parsing user input into validated types, the
//! rules of administrative units, roles, and Vietnamese text handling live here so that every
//! other layer can trust what it is handed.

pub mod agri;
pub mod alerts;
pub mod auth;
pub mod broadcast;
pub mod criteria;
pub mod dt;
pub mod epcis;
pub mod feedback;
pub mod heritage;
pub mod ict;
pub mod places;
pub mod pluscode;
pub mod portal;
pub mod text;
pub mod time;
pub mod trace;
pub mod units;
