//! Household support: a team member records, in a few taps, that they helped a household (a
//! registered place) or an anonymous person with a service. No names are kept; the public sees
//! counts per service and month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::dt::Service;
use xaso_domain::units::{Level, Unit};
use xaso_storage::dt::{self as db, SupportRow};
use xaso_storage::Store;

use super::{commune, RECORDERS};
use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// Most people one record may count (a family, or a small group helped together).
pub const MAX_PEOPLE: i64 = 50;

/// What the support form sends.
#[derive(Debug, Clone, Default)]
pub struct SupportInput {
    pub village_code: String,
    pub service: String,
    /// A digital address (full Plus Code) of a registered place; empty for an anonymous person.
    pub address: String,
    pub people: String,
    /// dd/mm/yyyy; empty for today.
    pub helped_on: String,
    pub note: String,
}

/// One record as its village's staff see it.
#[derive(Debug, Clone)]
pub struct Support {
    pub id: String,
    pub village: String,
    pub service: Service,
    pub place_id: Option<String>,
    pub people: i64,
    pub helped_on: NaiveDate,
    pub note: String,
    pub recorded_by: String,
}

/// Records help given. The actor must be a village-team member of that village, or an officer
/// covering it. Audited.
pub async fn record(store: &Store, actor: Option<&Actor>, input: &SupportInput) -> Result<String> {
    let village = crate::units::by_code(store, input.village_code.trim(), super::today())
        .await
        .map_err(|_| Error::invalid("village_code", "choose your village"))?;
    if village.level != Level::Village {
        return Err(Error::invalid("village_code", "choose your village"));
    }
    let actor = authz::require_role_over(store, actor, RECORDERS, &village.id).await?;
    let commune_id = village.parent_id.clone().ok_or(Error::NotFound)?;
    let mut problems = Vec::new();
    let service = Service::parse(&input.service);
    if service.is_none() {
        problems.push(Problem::new(
            "service",
            "choose the service you helped with",
        ));
    }
    let people = if input.people.trim().is_empty() {
        Some(1)
    } else {
        input.people.trim().parse::<i64>().ok()
    };
    if !people.is_some_and(|n| (1..=MAX_PEOPLE).contains(&n)) {
        problems.push(Problem::new(
            "people",
            "the number of people is from 1 to 50",
        ));
    }
    let today = super::today();
    let helped_on = if input.helped_on.trim().is_empty() {
        Some(today)
    } else {
        xaso_domain::time::parse_date(&input.helped_on)
    };
    match helped_on {
        None => problems.push(Problem::new("helped_on", "write the date as dd/mm/yyyy")),
        Some(d) if d > today => {
            problems.push(Problem::new("helped_on", "the day cannot be in the future"))
        }
        _ => {}
    }
    let note = xaso_domain::text::clean(&input.note);
    if note.chars().count() > 300 {
        problems.push(Problem::new("note", "the note is at most 300 characters"));
    }
    let place_id = if input.address.trim().is_empty() {
        None
    } else {
        match crate::places::at_code(store, &input.address).await {
            Ok(found) => match found.into_iter().find(|p| p.commune.id == commune_id) {
                Some(p) => Some(p.id),
                None => {
                    problems.push(Problem::new(
                        "address",
                        "no registered place of this commune has this digital address",
                    ));
                    None
                }
            },
            Err(_) => {
                problems.push(Problem::new(
                    "address",
                    "write the digital address as the house plate prints it",
                ));
                None
            }
        }
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let row = SupportRow {
        id: xaso_storage::new_id(),
        commune_id: commune_id.clone(),
        village_id: village.id.clone(),
        service: service.expect("checked").as_str().into(),
        place_id,
        people: people.expect("checked"),
        helped_on: helped_on.expect("checked").to_string(),
        note,
        recorded_by: actor.username.clone(),
        recorded_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::insert_support(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "dt_support",
            record_id: &row.id,
            unit_id: Some(&village.id),
            before: None,
            after: Some(json!({"service": row.service, "people": row.people,
                "helped_on": row.helped_on, "place": row.place_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

/// The villages where the actor may record support (for the form's list).
pub async fn villages_for(
    store: &Store,
    actor: &Actor,
    commune_code: &str,
) -> Result<(Unit, Vec<Unit>)> {
    let commune = commune(store, commune_code).await?;
    let mut out = Vec::new();
    for v in super::villages(store, &commune).await? {
        if authz::has_role_over(store, actor, RECORDERS, &v.id).await? {
            out.push(v);
        }
    }
    Ok((commune, out))
}

/// The newest records of the villages the actor may record for.
pub async fn recent(store: &Store, villages: &[Unit], limit: i64) -> Result<Vec<Support>> {
    let ids: Vec<String> = villages.iter().map(|v| v.id.clone()).collect();
    let rows = {
        let mut conn = store.read().await?;
        db::support_in(&mut conn, &ids, limit).await?
    };
    Ok(rows
        .into_iter()
        .map(|r| Support {
            village: villages
                .iter()
                .find(|v| v.id == r.village_id)
                .map(|v| v.name.clone())
                .unwrap_or_default(),
            service: Service::parse(&r.service).unwrap_or(Service::Other),
            helped_on: xaso_domain::time::parse_date(&r.helped_on).unwrap_or_default(),
            id: r.id,
            place_id: r.place_id,
            people: r.people,
            note: r.note,
            recorded_by: r.recorded_by,
        })
        .collect())
}

/// Public figures of a commune's programme for a year: people trained and people helped per
/// service and month. No personal data.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub year: i32,
    /// Team members trained at least once in the year.
    pub members_trained: i64,
    /// Other people trained (each session counted).
    pub citizens_trained: i64,
    /// People helped, per service (service code → count).
    pub helped_by_service: BTreeMap<String, i64>,
    /// People helped per month (`yyyy-mm` → count).
    pub helped_by_month: BTreeMap<String, i64>,
    pub helped_total: i64,
}

/// The year's figures of some communes.
pub async fn figures(store: &Store, commune_ids: &[String], year: i32) -> Result<Figures> {
    let from = format!("{year:04}-01-01");
    let to = format!("{year:04}-12-31");
    let mut conn = store.read().await?;
    let (members, citizens) = db::trained_counts(&mut conn, commune_ids, &from, &to).await?;
    let mut f = Figures {
        year,
        members_trained: members,
        citizens_trained: citizens,
        ..Default::default()
    };
    for (service, month, n) in db::support_by_month(&mut conn, commune_ids, &from, &to).await? {
        *f.helped_by_service.entry(service).or_insert(0) += n;
        *f.helped_by_month.entry(month).or_insert(0) += n;
        f.helped_total += n;
    }
    Ok(f)
}

/// The figures of a commune (by code) for a year.
pub async fn figures_of(store: &Store, commune_code: &str, year: i32) -> Result<(Unit, Figures)> {
    let c = commune(store, commune_code).await?;
    let f = figures(store, std::slice::from_ref(&c.id), year).await?;
    Ok((c, f))
}
