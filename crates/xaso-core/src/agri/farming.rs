//! Farming on the plots: growing areas and their codes, the commune's seasons, plantings, the
//! field log (with the pre-harvest interval check), and where a batch's crop grew.

use serde_json::json;
use xaso_domain::agri::farming::{
    check_growing_area, check_log, check_planting, check_season, rough_position, too_early, Crop,
    GrowingAreaInput, InputType, LogDetail, LogInput, PlantingInput, SeasonInput, Spraying,
};
use xaso_domain::auth::Role;
use xaso_domain::time::{parse_date, today_vn};
use xaso_domain::units::Unit;
use xaso_storage::agri::farming::{self as db, GrowingAreaRow, LogRow, PlantingRow, SeasonRow};
use xaso_storage::agri::PlotRow;
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{staff_unit, usable};
use crate::{authz, Actor, Error, Result};

/// Who keeps growing areas and seasons: the commune's officers and the area's.
pub const EDITORS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

/// Writes a change and its audit entry in one transaction.
async fn audit(
    store: &Store,
    a: &Actor,
    change: crate::audit::Change<'_>,
    write: impl for<'c> FnOnce(
        &'c mut xaso_storage::Tx,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = xaso_storage::Result<()>> + Send + 'c>,
    >,
) -> Result<()> {
    let mut tx = store.begin().await?;
    write(&mut tx).await?;
    crate::audit::record(&mut tx, a, change).await?;
    tx.commit().await?;
    Ok(())
}

// ---- Growing areas ----

/// A commune's growing areas (its staff).
pub async fn growing_areas(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<GrowingAreaRow>)> {
    let unit = staff_unit(store, actor, code).await?;
    let mut conn = store.read().await?;
    let areas = db::growing_areas_of(&mut conn, &unit.id).await?;
    Ok((unit, areas))
}

/// Records a growing area with the code its issuer gave (the commune's or the area's
/// officers). `illustrative` marks a made-up code (the demonstration's).
pub async fn add_growing_area(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &GrowingAreaInput,
    illustrative: bool,
) -> Result<GrowingAreaRow> {
    let unit = staff_unit(store, actor, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let f = check_growing_area(input).map_err(Error::problems)?;
    {
        let mut conn = store.read().await?;
        if db::growing_area_by_code(&mut conn, &unit.id, &f.code)
            .await?
            .is_some()
        {
            return Err(Error::invalid(
                "code",
                "this commune already has a growing area with this code",
            ));
        }
    }
    let row = GrowingAreaRow {
        id: xaso_storage::new_id(),
        unit_id: unit.id.clone(),
        code: f.code,
        name: f.name,
        crop: f.crop.as_str().into(),
        decision: f.decision,
        issued_by: f.issued_by,
        valid_from: f.valid_from.map(|d| d.to_string()),
        valid_until: f.valid_until.map(|d| d.to_string()),
        illustrative: illustrative as i64,
        created_by: a.username.clone(),
        created_at: xaso_storage::now(),
    };
    let r = row.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_growing_area",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"code": row.code, "name": row.name, "crop": row.crop, "decision": row.decision})),
        },
        move |tx| Box::pin(async move { db::insert_growing_area(tx.conn(), &r).await }),
    )
    .await?;
    Ok(row)
}

/// A commune's growing areas as (id, code) pairs (for lists that name a plot's area).
pub async fn growing_area_codes(store: &Store, unit_id: &str) -> Result<Vec<(String, String)>> {
    let mut conn = store.read().await?;
    Ok(db::growing_areas_of(&mut conn, unit_id)
        .await?
        .into_iter()
        .map(|g| (g.id, g.code))
        .collect())
}

/// Puts a plot into one of its commune's growing areas by the area's code, or takes it out
/// with an empty code (the commune's or the area's officers).
pub async fn set_plot_area(
    store: &Store,
    actor: Option<&Actor>,
    plot_id: &str,
    area_code: &str,
) -> Result<()> {
    let plot = usable(store, actor, plot_id).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    authz::require_role_over(store, actor, EDITORS, &plot.unit_id).await?;
    let area = match area_code.trim() {
        "" => None,
        c => {
            let mut conn = store.read().await?;
            Some(
                db::growing_area_by_code(&mut conn, &plot.unit_id, &c.to_uppercase())
                    .await?
                    .ok_or_else(|| {
                        Error::invalid("growing_area", "no growing area of this commune has it")
                    })?,
            )
        }
    };
    let id = plot.id.clone();
    let area_id = area.as_ref().map(|g| g.id.clone());
    let by = a.username.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "update",
            record_type: "agri_plot",
            record_id: &plot.id,
            unit_id: Some(&plot.unit_id),
            before: None,
            after: Some(json!({"growing_area": area.as_ref().map(|g| &g.code)})),
        },
        move |tx| {
            Box::pin(async move {
                db::set_plot_growing_area(
                    tx.conn(),
                    &id,
                    area_id.as_deref(),
                    &by,
                    &xaso_storage::now(),
                )
                .await
            })
        },
    )
    .await
}

// ---- Seasons ----

/// A commune's seasons, the latest first (for anyone who may use one of its plots).
pub async fn seasons_of(store: &Store, unit_id: &str) -> Result<Vec<SeasonRow>> {
    let mut conn = store.read().await?;
    Ok(db::seasons_of(&mut conn, unit_id).await?)
}

/// A commune's seasons (its staff).
pub async fn seasons(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
) -> Result<(Unit, Vec<SeasonRow>)> {
    let unit = staff_unit(store, actor, code).await?;
    let s = seasons_of(store, &unit.id).await?;
    Ok((unit, s))
}

/// Declares a season for a commune (its officers or the area's); a season with the same key
/// (kind and year) is refused.
pub async fn add_season(
    store: &Store,
    actor: Option<&Actor>,
    code: &str,
    input: &SeasonInput,
) -> Result<SeasonRow> {
    let unit = staff_unit(store, actor, code).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    authz::require_role_over(store, actor, EDITORS, &unit.id).await?;
    let f = check_season(input).map_err(Error::problems)?;
    {
        let mut conn = store.read().await?;
        if db::season_by_key(&mut conn, &unit.id, &f.key)
            .await?
            .is_some()
        {
            return Err(Error::invalid("kind", "this season is already declared"));
        }
    }
    let row = SeasonRow {
        id: xaso_storage::new_id(),
        unit_id: unit.id.clone(),
        key: f.key,
        kind: f.kind.as_str().into(),
        name: f.name,
        starts_on: f.starts_on.to_string(),
        ends_on: f.ends_on.to_string(),
        created_by: a.username.clone(),
        created_at: xaso_storage::now(),
    };
    let r = row.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_season",
            record_id: &row.id,
            unit_id: Some(&unit.id),
            before: None,
            after: Some(json!({"key": row.key, "name": row.name, "starts_on": row.starts_on, "ends_on": row.ends_on})),
        },
        move |tx| Box::pin(async move { db::insert_season(tx.conn(), &r).await }),
    )
    .await?;
    Ok(row)
}

// ---- A plot's page ----

/// A plot with what was done on it.
#[derive(Debug, Clone)]
pub struct PlotView {
    pub plot: PlotRow,
    pub commune: Unit,
    pub village: Option<Unit>,
    pub growing_area: Option<GrowingAreaRow>,
    pub producer: Option<(String, String)>,
    /// The farm household or organisation that works it: (id, name).
    pub farm: Option<(String, String)>,
    /// The commune's seasons, for the planting form.
    pub seasons: Vec<SeasonRow>,
    /// Its plantings with their season's name, the latest first.
    pub plantings: Vec<(PlantingRow, String)>,
    pub logs: Vec<LogRow>,
    /// Whether the actor may put it in a growing area.
    pub edits_area: bool,
    /// The commune's growing areas (for those who may).
    pub areas: Vec<GrowingAreaRow>,
}

pub async fn plot_view(store: &Store, actor: Option<&Actor>, id: &str) -> Result<PlotView> {
    let plot = usable(store, actor, id).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let edits_area = authz::has_role_over(store, a, EDITORS, &plot.unit_id).await?;
    let mut conn = store.read().await?;
    let commune = xaso_storage::units::by_id(&mut conn, &plot.unit_id)
        .await?
        .ok_or(Error::NotFound)?;
    let village = match &plot.village_id {
        Some(v) => xaso_storage::units::by_id(&mut conn, v).await?,
        None => None,
    };
    let growing_area = match &plot.growing_area_id {
        Some(g) => db::growing_area(&mut conn, g).await?,
        None => None,
    };
    let producer = match &plot.producer_id {
        Some(p) => xaso_storage::producers::producer(&mut conn, p)
            .await?
            .map(|p| (p.id, p.name)),
        None => None,
    };
    let farm = match &plot.farm_id {
        Some(f) => xaso_storage::agri::farm::get(&mut conn, f)
            .await?
            .map(|f| (f.id, f.name)),
        None => None,
    };
    let seasons = db::seasons_of(&mut conn, &plot.unit_id).await?;
    let plantings = db::plantings_of(&mut conn, &plot.id)
        .await?
        .into_iter()
        .map(|p| {
            let name = seasons
                .iter()
                .find(|s| s.id == p.season_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (p, name)
        })
        .collect();
    let logs = db::logs_of(&mut conn, &plot.id).await?;
    let areas = if edits_area {
        db::growing_areas_of(&mut conn, &plot.unit_id).await?
    } else {
        Vec::new()
    };
    Ok(PlotView {
        plot,
        commune,
        village,
        growing_area,
        producer,
        farm,
        seasons,
        plantings,
        logs,
        edits_area,
        areas,
    })
}

/// Records a planting on a plot: a crop and variety for one of its commune's seasons.
pub async fn add_planting(
    store: &Store,
    actor: Option<&Actor>,
    plot_id: &str,
    input: &PlantingInput,
) -> Result<PlantingRow> {
    let plot = usable(store, actor, plot_id).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let season = {
        let mut conn = store.read().await?;
        db::season(&mut conn, input.season.trim())
            .await?
            .filter(|s| s.unit_id == plot.unit_id)
    };
    let Some(season) = season else {
        return Err(Error::invalid(
            "season",
            "choose one of the commune's seasons",
        ));
    };
    let dates = (
        parse_date(&season.starts_on).unwrap_or_default(),
        parse_date(&season.ends_on).unwrap_or_default(),
    );
    let f = check_planting(input, plot.area_m2, dates).map_err(Error::problems)?;
    let row = PlantingRow {
        id: xaso_storage::new_id(),
        plot_id: plot.id.clone(),
        season_id: season.id.clone(),
        crop: f.crop.as_str().into(),
        variety: f.variety,
        sown_area_m2: f.sown_area_m2,
        sown_on: f.sown_on.to_string(),
        recorded_by: a.username.clone(),
        recorded_at: xaso_storage::now(),
        village_id: plot.village_id.clone(),
        harvests: 0,
        harvest_kg: 0.0,
    };
    let r = row.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_planting",
            record_id: &row.id,
            unit_id: Some(&plot.unit_id),
            before: None,
            after: Some(json!({"plot": plot.id, "season": season.key, "crop": row.crop, "variety": row.variety,
            "sown_area_m2": row.sown_area_m2, "sown_on": row.sown_on})),
        },
        move |tx| Box::pin(async move { db::insert_planting(tx.conn(), &r).await }),
    )
    .await?;
    Ok(row)
}

/// What became of a log entry.
#[derive(Debug, Clone)]
pub enum LogOutcome {
    Saved(Box<LogRow>),
    /// A harvest inside a pesticide's pre-harvest interval, not recorded: the spraying, its
    /// interval and the first safe day.
    TooEarly {
        product: String,
        sprayed_on: chrono::NaiveDate,
        phi_days: u32,
        safe_from: chrono::NaiveDate,
    },
}

/// Adds an entry to a plot's field log. A harvest belongs to a planting (the one named, or the
/// plot's latest); a harvest inside a pesticide's pre-harvest interval is not recorded unless
/// `confirm` says the farmer saw the warning (the warning then stays on the entry). A photo
/// goes with an observation.
pub async fn add_log(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    plot_id: &str,
    input: &LogInput,
    photo: Option<Vec<u8>>,
    confirm: bool,
) -> Result<LogOutcome> {
    let plot = usable(store, actor, plot_id).await?;
    let a = actor.ok_or(Error::Unauthenticated)?;
    let f = check_log(input, today_vn()).map_err(Error::problems)?;
    let (plantings, logs) = {
        let mut conn = store.read().await?;
        (
            db::plantings_of(&mut conn, &plot.id).await?,
            db::logs_of(&mut conn, &plot.id).await?,
        )
    };
    let planting = match input.planting.trim() {
        "" => plantings
            .iter()
            .find(|p| parse_date(&p.sown_on).is_some_and(|d| d <= f.done_on))
            .or(plantings.first()),
        id => Some(
            plantings
                .iter()
                .find(|p| p.id == id)
                .ok_or_else(|| Error::invalid("planting", "not a planting on this plot"))?,
        ),
    };
    let photo = match photo.filter(|p| !p.is_empty()) {
        Some(_) if !matches!(f.detail, LogDetail::Observation { .. }) => {
            return Err(Error::invalid(
                "photo",
                "a photo goes with a pest or disease observation",
            ))
        }
        Some(p) => Some((crate::feedback::check_photo(&p)?, p)),
        None => None,
    };
    let mut warning = String::new();
    if let LogDetail::Harvest { .. } = f.detail {
        let Some(planting) = planting else {
            return Err(Error::invalid(
                "planting",
                "record what was planted before its harvest",
            ));
        };
        if parse_date(&planting.sown_on).is_some_and(|d| f.done_on < d) {
            return Err(Error::invalid(
                "done_on",
                "the harvest is before the planting",
            ));
        }
        let sprayings: Vec<Spraying> = logs
            .iter()
            .filter(|l| l.input_type.as_deref() == Some(InputType::Pesticide.as_str()))
            .filter_map(|l| {
                Some(Spraying {
                    done_on: parse_date(&l.done_on)?,
                    phi_days: l.phi_days? as u32,
                    product: l.product.clone(),
                })
            })
            .collect();
        if let Some((s, safe_from)) = too_early(f.done_on, &sprayings) {
            if !confirm {
                return Ok(LogOutcome::TooEarly {
                    product: s.product.clone(),
                    sprayed_on: s.done_on,
                    phi_days: s.phi_days,
                    safe_from,
                });
            }
            warning = format!(
                "harvested inside the pre-harvest interval of {} (sprayed {}, {} days; safe from {})",
                s.product, s.done_on, s.phi_days, safe_from
            );
        }
    }
    let id = xaso_storage::new_id();
    // The photo goes again if the entry is not stored (a duplicate offline record).
    let mut pending = files.pending();
    let photo_key = match photo {
        Some((ext, bytes)) => {
            let key = format!("agri/{}/{id}.{ext}", plot.id);
            pending
                .put(&key, bytes)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            Some(key)
        }
        None => None,
    };
    let mut row = LogRow {
        id,
        plot_id: plot.id.clone(),
        planting_id: planting.map(|p| p.id.clone()),
        kind: f.kind().as_str().into(),
        done_on: f.done_on.to_string(),
        input_type: None,
        product: String::new(),
        active_ingredient: String::new(),
        dose: String::new(),
        phi_days: None,
        pest: String::new(),
        severity: None,
        photo_key,
        quantity: None,
        quantity_unit: None,
        quantity_kg: None,
        note: f.note.clone(),
        warning,
        recorded_by: a.username.clone(),
        recorded_at: xaso_storage::now(),
    };
    match &f.detail {
        LogDetail::Input {
            input_type,
            product,
            active_ingredient,
            dose,
            phi_days,
        } => {
            row.input_type = Some(input_type.as_str().into());
            row.product = product.clone();
            row.active_ingredient = active_ingredient.clone();
            row.dose = dose.clone();
            row.phi_days = phi_days.map(i64::from);
        }
        LogDetail::Observation { pest, severity } => {
            row.pest = pest.clone();
            row.severity = Some(severity.as_str().into());
        }
        LogDetail::Harvest { quantity, unit } => {
            row.quantity = Some(*quantity);
            row.quantity_unit = Some(unit.as_str().into());
            row.quantity_kg = Some(quantity * unit.kg());
        }
    }
    let r = row.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "create",
            record_type: "agri_log",
            record_id: &row.id,
            unit_id: Some(&plot.unit_id),
            before: None,
            after: Some(
                json!({"plot": row.plot_id, "planting": row.planting_id, "kind": row.kind,
            "done_on": row.done_on, "product": row.product, "phi_days": row.phi_days,
            "pest": row.pest, "quantity_kg": row.quantity_kg, "warning": row.warning}),
            ),
        },
        move |tx| {
            Box::pin(async move {
                db::insert_log(tx.conn(), &r).await?;
                // The planting keeps its harvests' sum for the statistics.
                match (&r.planting_id, r.quantity_kg) {
                    (Some(p), Some(kg)) if r.kind == "harvest" => {
                        db::add_harvest(tx.conn(), p, kg).await
                    }
                    _ => Ok(()),
                }
            })
        },
    )
    .await?;
    pending.kept();
    Ok(LogOutcome::Saved(Box::new(row)))
}

/// An observation's photo (for whoever may use the plot): its bytes and content type.
pub async fn log_photo(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    log_id: &str,
) -> Result<(Vec<u8>, &'static str)> {
    let log = {
        let mut conn = store.read().await?;
        db::log(&mut conn, log_id).await?.ok_or(Error::NotFound)?
    };
    usable(store, actor, &log.plot_id).await?;
    let key = log.photo_key.ok_or(Error::NotFound)?;
    let bytes = files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let kind = match key.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    };
    Ok((bytes, kind))
}

// ---- Where a batch's crop grew ----

/// A planting a producer's batch may name: the planting, its plot's name and its season's.
pub async fn producer_plantings(
    store: &Store,
    producer_id: &str,
) -> Result<Vec<(PlantingRow, String, String)>> {
    let mut conn = store.read().await?;
    let plantings = db::plantings_of_producer(&mut conn, producer_id).await?;
    let mut out = Vec::with_capacity(plantings.len());
    for p in plantings {
        let plot = xaso_storage::agri::get(&mut conn, &p.plot_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let season = db::season(&mut conn, &p.season_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        out.push((p, plot, season));
    }
    Ok(out)
}

/// A producer's plots (its account and the commune's staff).
pub async fn producer_plots(
    store: &Store,
    actor: Option<&Actor>,
    producer_id: &str,
) -> Result<Vec<PlotRow>> {
    let rights = crate::producers::rights(store, actor, producer_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let mut conn = store.read().await?;
    Ok(xaso_storage::agri::of_producer(&mut conn, producer_id).await?)
}

/// Names the planting a batch came from (one on its producer's plots), or none with an empty
/// id. Its stamps show the growing area, season and rough place at once.
pub async fn link_batch(
    store: &Store,
    actor: Option<&Actor>,
    batch_id: &str,
    planting_id: &str,
) -> Result<()> {
    let a = actor.ok_or(Error::Unauthenticated)?;
    let (_, _, producer, rights) = crate::producers::batch(store, actor, batch_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    let planting = match planting_id.trim() {
        "" => None,
        id => {
            let mut conn = store.read().await?;
            let p = db::planting(&mut conn, id).await?;
            let plot = match &p {
                Some(p) => xaso_storage::agri::get(&mut conn, &p.plot_id).await?,
                None => None,
            };
            match (p, plot) {
                (Some(p), Some(plot)) if plot.producer_id.as_deref() == Some(&producer.id) => {
                    Some(p)
                }
                _ => {
                    return Err(Error::invalid(
                        "planting",
                        "not a planting on this producer's plots",
                    ))
                }
            }
        }
    };
    let (batch, pid) = (
        batch_id.to_string(),
        planting.as_ref().map(|p| p.id.clone()),
    );
    let p2 = pid.clone();
    audit(
        store,
        a,
        crate::audit::Change {
            action: "update",
            record_type: "batch",
            record_id: batch_id,
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(json!({"planting": pid})),
        },
        move |tx| {
            Box::pin(async move { db::set_batch_planting(tx.conn(), &batch, p2.as_deref()).await })
        },
    )
    .await
}

/// Where a batch's crop grew, as its public pages show it: never the plot's holder.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub planting_id: String,
    /// The growing area's code, name and whether the code is only illustrative.
    pub growing_area: Option<(String, String, bool)>,
    pub season: String,
    pub crop: Crop,
    pub variety: String,
    /// The plot's centre, rounded to about a kilometre.
    pub position: (f64, f64),
    pub sown_on: String,
    /// The last harvest logged on the planting.
    pub harvested_on: Option<String>,
}

/// The origin of a batch named by its planting (for its public pages).
pub async fn batch_origin(store: &Store, batch_id: &str) -> Result<Option<Origin>> {
    let mut conn = store.read().await?;
    let Some(pid) = db::batch_planting(&mut conn, batch_id).await? else {
        return Ok(None);
    };
    let Some(p) = db::planting(&mut conn, &pid).await? else {
        return Ok(None);
    };
    let Some(plot) = xaso_storage::agri::get(&mut conn, &p.plot_id).await? else {
        return Ok(None);
    };
    let growing_area = match &plot.growing_area_id {
        Some(g) => db::growing_area(&mut conn, g)
            .await?
            .map(|g| (g.code, g.name, g.illustrative != 0)),
        None => None,
    };
    let season = db::season(&mut conn, &p.season_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let harvested_on = db::logs_of(&mut conn, &plot.id)
        .await?
        .into_iter()
        .find(|l| l.kind == "harvest" && l.planting_id.as_deref() == Some(&p.id))
        .map(|l| l.done_on);
    Ok(Some(Origin {
        planting_id: p.id,
        growing_area,
        season,
        crop: Crop::parse(&p.crop).unwrap_or(Crop::Other),
        variety: p.variety,
        position: rough_position((plot.min_lat, plot.min_lng, plot.max_lat, plot.max_lng)),
        sown_on: p.sown_on,
        harvested_on,
    }))
}
