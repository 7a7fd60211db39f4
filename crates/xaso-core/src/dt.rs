//! The commune's digital-transformation programme: community digital technology teams and
//! their members ([`teams`]), training with attendance ([`training`]) and certificates
//! ([`certificates`]), and the help teams give households ([`support`]).
//!
//! Rights: the commune's officers (and the area's, and administrators) manage teams, courses
//! and sessions of the communes they cover; a village team member records support for their
//! own village only. Members' contacts and the names of people trained or helped never leave
//! the staff pages: the public sees counts.

pub mod certificates;
pub mod plan;
pub mod support;
pub mod teams;
pub mod training;

use chrono::NaiveDate;
use xaso_domain::auth::Role;
use xaso_domain::places::FieldProblem;
use xaso_domain::units::{Level, Unit};
use xaso_storage::Store;

use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// Roles that manage a commune's programme: teams, courses, sessions, certificates.
pub const MANAGERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];
/// Roles that record the programme's daily work (support given) for a village.
pub const RECORDERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer, Role::VillageTeam];

pub(crate) fn today() -> NaiveDate {
    xaso_domain::time::today_vn()
}

pub(crate) fn invalid(problems: Vec<FieldProblem>) -> Error {
    Error::Invalid(
        problems
            .into_iter()
            .map(|p| Problem::new(p.field, p.detail))
            .collect(),
    )
}

/// The commune with this code today (the programme is run per commune).
pub async fn commune(store: &Store, code: &str) -> Result<Unit> {
    let unit = crate::units::by_code(store, code, today()).await?;
    if unit.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            "the digital-transformation programme is kept per commune (xã, phường)",
        ));
    }
    Ok(unit)
}

/// A unit by id.
pub(crate) async fn unit(store: &Store, id: &str) -> Result<Unit> {
    let mut conn = store.read().await?;
    xaso_storage::units::by_id(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Whether the actor manages the programme of a commune.
pub async fn manages(store: &Store, actor: Option<&Actor>, commune_id: &str) -> Result<bool> {
    match actor {
        Some(a) => authz::has_role_over(store, a, MANAGERS, commune_id).await,
        None => Ok(false),
    }
}

/// The villages of a commune valid today, by name.
pub async fn villages(store: &Store, commune: &Unit) -> Result<Vec<Unit>> {
    let mut conn = store.read().await?;
    let mut out: Vec<Unit> = xaso_storage::units::children(&mut conn, &commune.id, Some(today()))
        .await?
        .into_iter()
        .filter(|u| u.level == Level::Village)
        .collect();
    out.sort_by_key(|u| xaso_domain::text::fold(&u.name));
    Ok(out)
}
