//! The ICT register on the web: the JSON API ([`api`]) for a commune's assets.

pub mod api;
