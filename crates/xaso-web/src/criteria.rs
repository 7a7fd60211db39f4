//! NTM criteria: sets, a commune's assessment and data entry, an area's roll-up.

pub mod api;
pub mod html;
