//! Advisories: an extension officer writes once to the farmers of a crop, a growing area, a
//! village or the whole commune. The advisory gets a public page, an SMS-ready text, and (through
//! the job queue) an announcement on the commune's portal that goes on to its Zalo OA; farmers see
//! the advisories that concern their plots on the plot's page.

use serde_json::json;
use xaso_domain::agri::advisory::{check_advisory, sms_text, AdvisoryInput, Audience};
use xaso_domain::portal::{PostInput, PostStatus};
use xaso_domain::units::Unit;
use xaso_storage::agri::advisory::{self as db, AdvisoryRow};
use xaso_storage::agri::PlotRow;
use xaso_storage::Store;

use super::farming::EDITORS;
use super::staff_unit;
use crate::queue::{Handler, Outcome, Running};
use crate::{authz, Actor, Error, Result};

/// The job that posts an advisory on the portal and sends it to the OA.
pub const JOB_ADVISORY: &str = "agri.advisory";

/// Whether an advisory concerns a plot whose latest planting is of `crop`.
pub fn concerns(a: &AdvisoryRow, plot: &PlotRow, crop: Option<&str>) -> bool {
    if a.unit_id != plot.unit_id {
        return false;
    }
    match Audience::parse(&a.audience) {
        Some(Audience::Commune) => true,
        Some(Audience::Crop) => a.crop.is_some() && a.crop.as_deref() == crop,
        Some(Audience::GrowingArea) => {
            a.growing_area_id.is_some() && a.growing_area_id == plot.growing_area_id
        }
        Some(Audience::Village) => a.village_id.is_some() && a.village_id == plot.village_id,
        None => false,
    }
}

/// Sends an advisory (the commune's officers or the area's): kept, audited and queued for the
/// portal and Zalo in one transaction. `base` is the installation's address, for the SMS link.
pub async fn send(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &AdvisoryInput,
    base: &str,
) -> Result<AdvisoryRow> {
    let unit = staff_unit(store, actor, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let f = check_advisory(input).map_err(Error::problems)?;
    let growing_area = match f.audience {
        Audience::GrowingArea => {
            let mut conn = store.read().await?;
            Some(
                xaso_storage::agri::farming::growing_area_by_code(
                    &mut conn,
                    &unit.id,
                    &input.growing_area.trim().to_uppercase(),
                )
                .await?
                .ok_or_else(|| {
                    Error::invalid("growing_area", "no growing area of this commune has it")
                })?,
            )
        }
        _ => None,
    };
    let village = match f.audience {
        Audience::Village => {
            let (_, villages) =
                crate::units::children(store, &unit.code, xaso_domain::time::today_vn()).await?;
            Some(
                villages
                    .into_iter()
                    .find(|v| v.code == input.village.trim())
                    .ok_or_else(|| Error::invalid("village", "not a village of this commune"))?,
            )
        }
        _ => None,
    };
    let id = xaso_storage::new_id();
    let link = format!("{}/advisories/{id}", base.trim_end_matches('/'));
    let mut row = AdvisoryRow {
        id,
        unit_id: unit.id.clone(),
        kind: f.kind.as_str().into(),
        title: f.title.clone(),
        body: f.body.clone(),
        audience: f.audience.as_str().into(),
        crop: f.crop.map(|c| c.as_str().into()),
        growing_area_id: growing_area.map(|g| g.id),
        village_id: village.map(|v| v.id),
        sms_text: sms_text(&unit.full_name, &f.title, &f.body, &link),
        plots: 0,
        portal_post_id: None,
        relay_status: "queued".into(),
        relay_detail: String::new(),
        created_by: a.username.clone(),
        created_at: xaso_storage::now(),
    };
    row.plots = reach(store, &row).await? as i64;
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    crate::queue::enqueue(
        &mut tx,
        JOB_ADVISORY,
        &json!({"advisory": row.id, "link": link}),
        crate::queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_advisory",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(
                json!({"kind": row.kind, "title": row.title, "audience": row.audience,
                "crop": row.crop, "plots": row.plots}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// How many of the commune's plots an advisory concerns.
async fn reach(store: &Store, a: &AdvisoryRow) -> Result<usize> {
    let mut conn = store.read().await?;
    let plots = xaso_storage::agri::of_unit(&mut conn, &a.unit_id, None, i64::MAX).await?;
    let crops = db::latest_crops(&mut conn, &a.unit_id).await?;
    let crop_of = |id: &str| crops.iter().find(|(p, _)| p == id).map(|(_, c)| c.as_str());
    Ok(plots
        .iter()
        .filter(|p| concerns(a, p, crop_of(&p.id)))
        .count())
}

/// A commune's advisories, the newest first (its staff).
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<AdvisoryRow>)> {
    let unit = staff_unit(store, actor, code).await?;
    let mut conn = store.read().await?;
    let rows = db::of_unit(&mut conn, &unit.id, 200).await?;
    Ok((unit, rows))
}

/// An advisory as anyone reads it (what the SMS links to): it names no one.
pub async fn public(store: &Store, id: &str) -> Result<(AdvisoryRow, Unit)> {
    let mut conn = store.read().await?;
    let row = db::get(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let unit = xaso_storage::units::by_id(&mut conn, &row.unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((row, unit))
}

/// The advisories that concern a plot, the newest first (at most 10).
pub async fn for_plot(store: &Store, plot: &PlotRow) -> Result<Vec<AdvisoryRow>> {
    let mut conn = store.read().await?;
    let crop = xaso_storage::agri::farming::plantings_of(&mut conn, &plot.id)
        .await?
        .into_iter()
        .next()
        .map(|p| p.crop);
    Ok(db::of_unit(&mut conn, &plot.unit_id, 100)
        .await?
        .into_iter()
        .filter(|a| concerns(a, plot, crop.as_deref()))
        .take(10)
        .collect())
}

/// Runs [`JOB_ADVISORY`]: the advisory becomes a published announcement of its commune (once,
/// even when the job runs again) and goes to the commune's Zalo OA followers when an OA is set
/// up. What happened is kept on the advisory.
pub struct AdvisoryJob {
    pub store: Store,
    /// Whether the installation has a Zalo OA token of its own.
    pub zalo: bool,
}

impl AdvisoryJob {
    async fn run_one(&self, job: &Running) -> std::result::Result<(), String> {
        let id = job.payload["advisory"].as_str().unwrap_or_default();
        let link = job.payload["link"].as_str().unwrap_or_default();
        let Ok((row, unit)) = public(&self.store, id).await else {
            return Ok(());
        };
        let system = Actor::system("agri.advisory");
        let outcome = async {
            let post = match &row.portal_post_id {
                Some(p) => p.clone(),
                None => {
                    let kind = xaso_domain::agri::advisory::AdvisoryKind::parse(&row.kind)
                        .map_or("Khuyến cáo", |k| k.vi());
                    let input = PostInput {
                        kind: "announcement".into(),
                        title: format!("{kind}: {}", row.title).chars().take(200).collect(),
                        summary: row.body.chars().take(280).collect(),
                        body: format!("{}\n\nXem trên Xã Số: {link}", row.body),
                        ..PostInput::default()
                    };
                    let post =
                        crate::portal::create(&self.store, Some(&system), &unit.code, &input)
                            .await?;
                    crate::portal::transition(
                        &self.store,
                        Some(&system),
                        &post.row.id,
                        PostStatus::Published,
                        "",
                    )
                    .await?;
                    let mut tx = self.store.begin().await?;
                    db::set_relay(tx.conn(), id, Some(&post.row.id), "queued", "").await?;
                    tx.commit().await?;
                    post.row.id
                }
            };
            let oa = crate::portal::zalo::oa_status(&self.store, Some(&system), &unit)
                .await
                .ok()
                .flatten()
                .is_some();
            let detail = if oa || self.zalo {
                crate::portal::zalo::send(&self.store, Some(&system), &post, true).await?;
                "zalo"
            } else {
                "no Zalo OA is set up"
            };
            Ok::<_, Error>((post, detail))
        }
        .await;
        let mut tx = self.store.begin().await.map_err(|e| e.to_string())?;
        let result = match &outcome {
            Ok((post, detail)) => db::set_relay(tx.conn(), id, Some(post), "sent", detail).await,
            Err(e) => db::set_relay(tx.conn(), id, None, "failed", &e.to_string()).await,
        };
        result.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        outcome.map(|_| ()).map_err(|e| e.to_string())
    }
}

impl Handler for AdvisoryJob {
    fn run<'a>(&'a self, job: &'a Running) -> Outcome<'a> {
        Box::pin(self.run_one(job))
    }
}
