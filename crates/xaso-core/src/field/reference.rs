//! The lists the offline forms choose from, for the account's own units: villages, places,
//! plots, open stocktakes and their assets, training sessions, feedback categories and a
//! producer's batches. A refresh sends only what changed since the phone's cursor; the phone
//! keeps at most `limit` places and plots (a setting on the phone), the most recently changed.

use chrono::{Duration, Utc};
use serde::Serialize;
use xaso_domain::auth::Role;
use xaso_domain::time::{to_storage, today_vn};
use xaso_storage::field::{
    self as db, AssetRef, PlaceRef, PlotRef, SessionRef, StocktakeRef, VillageRef,
};
use xaso_storage::Store;

use super::Kind;
use crate::{authz, Actor, Error, Result};

/// Most places (and plots) a phone may ask for.
pub const MAX_LIMIT: i64 = 20_000;
/// What a phone gets when it does not say.
pub const DEFAULT_LIMIT: i64 = 2_000;
/// A change committed while a download runs may carry an earlier time than the cursor; the
/// next refresh looks this far back, and the phone takes repeats in its stride.
const OVERLAP_SECS: i64 = 120;

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchRef {
    pub id: String,
    pub product: String,
    pub lot: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// Send it back as `since` for the next refresh.
    pub cursor: String,
    /// Whether this answer replaces the phone's places and plots (a first download, or more
    /// changes than it keeps) or adds changes to them.
    pub full: bool,
    pub username: String,
    pub forms: Vec<Kind>,
    pub villages: Vec<VillageRef>,
    pub places: Vec<PlaceRef>,
    pub plots: Vec<PlotRef>,
    pub stocktakes: Vec<StocktakeRef>,
    pub assets: Vec<AssetRef>,
    pub sessions: Vec<SessionRef>,
    pub categories: Vec<Category>,
    pub batches: Vec<BatchRef>,
}

/// The forms an account can send (the server still checks each record).
pub fn forms_for(actor: &Actor) -> Vec<Kind> {
    let staff = actor.is_admin()
        || actor.has_role(Role::CommuneOfficer)
        || actor.has_role(Role::AreaOfficer);
    let team = actor.has_role(Role::VillageTeam);
    let mut out = Vec::new();
    if staff || team {
        out.extend([Kind::Place, Kind::PlaceEdit, Kind::Support, Kind::FieldLog]);
    }
    if staff {
        out.extend([Kind::Attendance, Kind::Stocktake, Kind::Feedback]);
    }
    if actor.has_role(Role::Producer) || actor.is_admin() {
        out.push(Kind::BatchStep);
    }
    out
}

/// The lists for `actor`'s units. `since` is the cursor of the last download (empty for a first
/// one); `limit` bounds places and plots.
pub async fn reference(
    store: &Store,
    actor: Option<&Actor>,
    since: &str,
    limit: i64,
) -> Result<Reference> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    // A cursor this server did not give (a phone's storage mangled) means a first download.
    let since = Some(since.trim())
        .filter(|s| xaso_domain::time::from_storage(s).is_some())
        .unwrap_or("");
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            "a phone keeps from 1 to 20000 places and plots",
        ));
    }
    let started = Utc::now();
    let forms = forms_for(actor);
    let roles = [Role::CommuneOfficer, Role::AreaOfficer, Role::VillageTeam];
    let scope = authz::covered_ids(store, actor, &roles).await?;
    let staff_scope =
        authz::covered_ids(store, actor, &[Role::CommuneOfficer, Role::AreaOfficer]).await?;
    let scope = scope.as_deref();
    let staff_scope = staff_scope.as_deref();
    let today = today_vn();
    let mut conn = store.read().await?;
    let field_work = forms.contains(&Kind::Place);
    let staff_work = forms.contains(&Kind::Stocktake);
    let mut full = since.is_empty();
    let (villages, places, plots) = if field_work {
        let villages = db::villages(&mut conn, scope, &today.to_string(), 5_000).await?;
        let mut places = db::places(&mut conn, scope, since, limit + 1).await?;
        let mut plots = db::plots(&mut conn, scope, since, limit + 1).await?;
        // More changes than the phone keeps: it gets the newest `limit` again, from scratch.
        if !full && (places.len() as i64 > limit || plots.len() as i64 > limit) {
            full = true;
            places = db::places(&mut conn, scope, "", limit).await?;
            plots = db::plots(&mut conn, scope, "", limit).await?;
        }
        places.truncate(limit as usize);
        plots.truncate(limit as usize);
        (villages, places, plots)
    } else {
        Default::default()
    };
    let (stocktakes, assets, sessions) = if staff_work {
        (
            db::open_stocktakes(&mut conn, staff_scope).await?,
            db::assets(&mut conn, staff_scope, MAX_LIMIT).await?,
            db::sessions(
                &mut conn,
                staff_scope,
                &(today - Duration::days(1)).to_string(),
                &(today + Duration::days(30)).to_string(),
            )
            .await?,
        )
    } else {
        Default::default()
    };
    drop(conn);
    let categories = if forms.contains(&Kind::Feedback) {
        crate::feedback::categories(store, false)
            .await?
            .into_iter()
            .map(|c| Category {
                code: c.code,
                name_vi: c.name_vi,
                name_en: c.name_en,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut batches = Vec::new();
    if forms.contains(&Kind::BatchStep) {
        for producer in crate::producers::mine(store, actor).await? {
            for product in crate::producers::products(store, Some(actor), &producer.id).await? {
                for b in crate::producers::batches(store, Some(actor), &product.id).await? {
                    batches.push(BatchRef {
                        id: b.id,
                        product: product.name.clone(),
                        lot: b.lot,
                    });
                }
            }
        }
    }
    let cursor = to_storage(started - Duration::seconds(OVERLAP_SECS));
    Ok(Reference {
        cursor,
        full,
        username: actor.username.clone(),
        forms,
        villages,
        places,
        plots,
        stocktakes,
        assets,
        sessions,
        categories,
        batches,
    })
}
