//! Roles and account input rules.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a person may do, always scoped to a unit and everything under it (except the system
/// administrator, who is not scoped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị hệ thống: everything, everywhere.
    Admin,
    /// Cán bộ phụ trách địa bàn: a province or an old district; reads and approves.
    AreaOfficer,
    /// Cán bộ xã: enters and edits data of one commune.
    CommuneOfficer,
    /// Thành viên tổ công nghệ số cộng đồng: one village.
    VillageTeam,
    /// Cơ sở sản xuất: their own products.
    Producer,
}

pub const ALL_ROLES: &[Role] = &[
    Role::Admin,
    Role::AreaOfficer,
    Role::CommuneOfficer,
    Role::VillageTeam,
    Role::Producer,
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::AreaOfficer => "area_officer",
            Role::CommuneOfficer => "commune_officer",
            Role::VillageTeam => "village_team",
            Role::Producer => "producer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        ALL_ROLES.iter().copied().find(|r| r.as_str() == s.trim())
    }

    /// Whether the role needs a unit to scope it.
    pub fn is_scoped(self) -> bool {
        self != Role::Admin
    }

    /// Roles that may change units' own records (add villages, later: edit commune data).
    pub fn may_edit_units(self) -> bool {
        matches!(self, Role::Admin | Role::AreaOfficer | Role::CommuneOfficer)
    }

    /// Roles that may read the audit log of their units.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::AreaOfficer)
    }
}

/// Why a username or password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("username must be 3–40 characters: lower-case letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("password must be at least 10 characters")]
    PasswordTooShort,
    #[error("password must be at most 200 characters")]
    PasswordTooLong,
}

/// A username: 3–40 characters of `a-z0-9._-`, stored lower case.
pub fn parse_username(s: &str) -> Result<String, AccountError> {
    let s = s.trim().to_lowercase();
    let ok = (3..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err(AccountError::BadUsername)
    }
}

/// Passwords: long enough to resist guessing, short enough not to be a hashing DoS.
pub fn check_password(p: &str) -> Result<(), AccountError> {
    let n = p.chars().count();
    if n < 10 {
        Err(AccountError::PasswordTooShort)
    } else if n > 200 {
        Err(AccountError::PasswordTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in ALL_ROLES {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::Admin.is_scoped());
        assert!(!Role::Producer.may_edit_units());
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(parse_username(" CanBo.DHH ").unwrap(), "canbo.dhh");
        assert!(parse_username("ab").is_err());
        assert!(parse_username("cán bộ").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}
