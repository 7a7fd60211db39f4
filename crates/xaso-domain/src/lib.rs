//! Types and rules of Xã Số. Nothing here does I/O: parsing user input into validated types, the
//! rules of administrative units, roles, and Vietnamese text handling live here so that every
//! other layer can trust what it is handed.

/// A closed vocabulary: an enum with the code it is written as (in data, CAP, the API), its
/// Vietnamese name, every value in order, and a reader that ignores case and spaces around.
macro_rules! vocabulary {
    ($name:ident { $($v:ident = $s:literal / $vi:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The value as it is written (data, CAP, the API).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// The value as Vietnamese readers read it.
            pub fn vi(self) -> &'static str {
                match self { $($name::$v => $vi),+ }
            }

            /// Every value as (code, Vietnamese name), in order: a form's choices.
            pub fn choices() -> Vec<(&'static str, &'static str)> {
                $name::ALL.iter().map(|v| (v.as_str(), v.vi())).collect()
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }
    };
}

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
