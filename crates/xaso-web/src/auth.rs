//! Signing in and out, password changes, and "who am I" for the API.

pub mod api;
pub mod html;
