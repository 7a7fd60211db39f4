//! Places, digital addresses and Plus Codes.

pub mod api;
pub mod html;
pub mod transfer;
