//! Places registry: register, edit, retire, list, search and find the nearest places. Commune
//! officers and village digital-technology teams (and area officers above them) write places in
//! their units; everyone reads the public side (no contacts; a household's name only with its
//! consent).

pub mod import;
pub mod plates;

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::places::{self as dom, Boundary, PlaceInput, PlaceKind, PlaceStatus};
use xaso_domain::units::{Level, Unit};
use xaso_domain::{pluscode, text};
use xaso_storage::places::{self as db, BoundaryRow, Filter, PlaceRow};
use xaso_storage::Store;

use crate::error::Problem;
use crate::{authz, Actor, Error, Result};

/// Roles that register and edit places, and read their private contacts.
pub const WRITERS: &[Role] = &[Role::CommuneOfficer, Role::VillageTeam, Role::AreaOfficer];

/// A place as the platform shows it. `contact_*` are filled only for staff allowed to see them.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: String,
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub commune: Unit,
    pub village: Option<Unit>,
    pub latitude: f64,
    pub longitude: f64,
    pub plus_code: String,
    /// "GCP7+6G" with the commune as its locality, when the commune's boundary is known.
    pub short_code: Option<String>,
    pub vpostcode: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub public_name: bool,
    /// The position is a stand-in (e.g. the commune's centre) until someone measures it.
    pub approximate: bool,
    pub status: PlaceStatus,
    pub updated_by: String,
    pub updated_at: String,
}

impl Place {
    /// The name a visitor may see: households only with consent.
    pub fn public_title(&self) -> Option<&str> {
        (self.kind != PlaceKind::Household || self.public_name).then_some(self.name.as_str())
    }
}

fn today() -> NaiveDate {
    xaso_domain::time::today_vn()
}

/// The commune (and village) a place goes in, from a commune or village code valid today.
pub async fn units_for(store: &Store, code: &str) -> Result<(Unit, Option<Unit>)> {
    let unit = crate::units::by_code(store, code, today()).await?;
    match unit.level {
        Level::Commune => Ok((unit, None)),
        Level::Village => {
            let mut conn = store.read().await?;
            let parent = match &unit.parent_id {
                Some(p) => xaso_storage::units::by_id(&mut conn, p).await?,
                None => None,
            }
            .ok_or(Error::NotFound)?;
            Ok((parent, Some(unit)))
        }
        _ => Err(Error::invalid(
            "unit",
            format!(
                "{} is not a commune or village; places go in communes and villages",
                unit.full_name
            ),
        )),
    }
}

pub(crate) async fn boundary_of(
    store: &Store,
    unit_id: &str,
) -> Result<Option<(Boundary, (f64, f64))>> {
    let mut conn = store.read().await?;
    let Some(row) = db::boundary(&mut conn, unit_id).await? else {
        return Ok(None);
    };
    let geometry: serde_json::Value = serde_json::from_str(&row.geometry)
        .map_err(|e| Error::Internal(format!("stored boundary unreadable: {e}")))?;
    Ok(Boundary::from_geojson(&geometry).map(|b| (b, (row.centre_lat, row.centre_lng))))
}

/// The short code of a full code relative to a commune's reference point: the first four
/// digits dropped ("QCWX+MX Đức Hòa"), as people write codes with a locality. Dropping more is
/// allowed by the specification near the reference point, but a two-letter code on a plate
/// means nothing to a reader. None when the commune's centre is too far for four.
pub fn short_code(full: &str, centre: Option<(f64, f64)>) -> Option<String> {
    let (lat, lng) = centre?;
    let shortest = pluscode::shorten(full, lat, lng).ok()?;
    let four = full.get(4..)?;
    (shortest.len() <= four.len()).then(|| four.to_string())
}

/// What a list of places reads once and reuses: units by id, commune centres by unit id.
#[derive(Default)]
struct Lookup {
    units: std::collections::HashMap<String, Option<Unit>>,
    centres: std::collections::HashMap<String, Option<(f64, f64)>>,
}

impl Lookup {
    async fn unit(&mut self, conn: &mut xaso_storage::Conn, id: &str) -> Result<Option<Unit>> {
        if let Some(u) = self.units.get(id) {
            return Ok(u.clone());
        }
        let u = xaso_storage::units::by_id(conn, id).await?;
        self.units.insert(id.to_string(), u.clone());
        Ok(u)
    }
}

async fn to_place(
    store: &Store,
    row: PlaceRow,
    private: bool,
    lookup: &mut Lookup,
) -> Result<Place> {
    let mut conn = store.read().await?;
    let commune = lookup
        .unit(&mut conn, &row.commune_id)
        .await?
        .ok_or(Error::NotFound)?;
    let village = match &row.village_id {
        Some(v) => lookup.unit(&mut conn, v).await?,
        None => None,
    };
    let centre = match lookup.centres.get(&row.commune_id) {
        Some(c) => *c,
        None => {
            let c = db::centre(&mut conn, &row.commune_id).await?;
            lookup.centres.insert(row.commune_id.clone(), c);
            c
        }
    };
    Ok(Place {
        short_code: short_code(&row.plus_code, centre),
        id: row.id,
        kind: PlaceKind::parse(&row.kind).unwrap_or(PlaceKind::Other),
        name: row.name,
        address: row.address,
        commune,
        village,
        latitude: row.latitude,
        longitude: row.longitude,
        plus_code: row.plus_code,
        vpostcode: row.vpostcode,
        contact_name: if private { row.contact_name } else { None },
        contact_phone: if private { row.contact_phone } else { None },
        public_name: row.public_name != 0,
        approximate: row.approximate != 0,
        status: PlaceStatus::parse(&row.status).unwrap_or(PlaceStatus::Active),
        updated_by: row.updated_by,
        updated_at: row.updated_at,
    })
}

pub(crate) fn problems(list: Vec<dom::FieldProblem>) -> Error {
    Error::Invalid(
        list.into_iter()
            .map(|p| Problem::new(p.field, p.detail))
            .collect(),
    )
}

/// The public snapshot of a place for the audit log: no contact details.
fn snapshot(r: &PlaceRow) -> serde_json::Value {
    json!({"kind": r.kind, "name": r.name, "address": r.address, "lat": r.latitude, "lng": r.longitude,
        "plus_code": r.plus_code, "vpostcode": r.vpostcode, "status": r.status, "public_name": r.public_name != 0,
        "has_contact": r.contact_name.is_some() || r.contact_phone.is_some()})
}

/// A new row from a checked place: its search keys, grid cell and who made it.
pub(crate) fn new_row(
    p: xaso_domain::places::NewPlace,
    commune_id: &str,
    village_id: Option<String>,
    username: &str,
    now: &str,
) -> PlaceRow {
    PlaceRow {
        id: xaso_storage::new_id(),
        kind: p.kind.as_str().into(),
        name_key: text::fold(&p.name),
        name: p.name,
        address_key: text::fold(&p.address),
        address: p.address,
        commune_id: commune_id.to_string(),
        village_id,
        cell: dom::cell_of(p.latitude, p.longitude),
        latitude: p.latitude,
        longitude: p.longitude,
        plus_code: p.plus_code,
        vpostcode: p.vpostcode,
        contact_name: p.contact_name,
        contact_phone: p.contact_phone,
        public_name: i64::from(p.public_name),
        approximate: i64::from(p.approximate),
        status: PlaceStatus::Active.as_str().into(),
        created_by: username.to_string(),
        created_at: now.to_string(),
        updated_by: username.to_string(),
        updated_at: now.to_string(),
    }
}

/// Registers a place in a commune or village (by its code today). With a known commune
/// boundary, the position must lie inside it.
pub async fn create(
    store: &Store,
    actor: Option<&Actor>,
    unit_code: &str,
    input: &PlaceInput,
) -> Result<Place> {
    let (commune, village) = units_for(store, unit_code).await?;
    let target = village.as_ref().unwrap_or(&commune);
    let actor = authz::require_role_over(store, actor, WRITERS, &target.id).await?;
    let p = input.check().map_err(problems)?;
    check_inside(store, &commune, p.latitude, p.longitude).await?;
    let row = new_row(
        p,
        &commune.id,
        village.as_ref().map(|v| v.id.clone()),
        &actor.username,
        &xaso_storage::now(),
    );
    let mut tx = store.begin().await?;
    db::insert(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "place",
            record_id: &row.id,
            unit_id: Some(&target.id),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    let id = row.id.clone();
    get(store, Some(&actor), &id).await
}

async fn check_inside(store: &Store, commune: &Unit, lat: f64, lng: f64) -> Result<()> {
    if let Some((b, _)) = boundary_of(store, &commune.id).await? {
        if !b.contains(lat, lng) {
            return Err(Error::invalid(
                "position",
                format!("the position lies outside {}", commune.full_name),
            ));
        }
    }
    Ok(())
}

/// The stored row of a place, the unit it is written under, and the actor allowed to write it.
pub(crate) async fn writable(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(PlaceRow, String, Actor)> {
    let before = {
        let mut conn = store.read().await?;
        db::by_id(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let target = before
        .village_id
        .clone()
        .unwrap_or(before.commune_id.clone());
    let actor = authz::require_role_over(store, actor, WRITERS, &target).await?;
    Ok((before, target, actor))
}

/// Stores a changed row with its audit entry, and returns the place as the actor sees it.
async fn rewrite(
    store: &Store,
    actor: &Actor,
    target: &str,
    row: &PlaceRow,
    before: serde_json::Value,
    after: serde_json::Value,
    expected: Option<&str>,
) -> Result<Place> {
    let mut tx = store.begin().await?;
    match expected {
        None => db::update(tx.conn(), row).await?,
        Some(at) => {
            if !db::update_if(tx.conn(), row, at).await? {
                return Err(Error::Conflict(CHANGED_MEANWHILE.into()));
            }
        }
    }
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "update",
            record_type: "place",
            record_id: &row.id,
            unit_id: Some(target),
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, Some(actor), &row.id).await
}

/// What [`update_unless_changed`] refuses with when the place changed after `expected`.
pub const CHANGED_MEANWHILE: &str = "the place was changed by someone else since";

/// Edits a place: every field from the form, the unit unchanged.
pub async fn update(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    input: &PlaceInput,
) -> Result<Place> {
    update_unless_changed(store, actor, id, input, None).await
}

/// [`update`], refused with a conflict ([`CHANGED_MEANWHILE`]) when the place's `updated_at`
/// is no longer `expected`: an edit made offline on an older copy does not silently overwrite
/// a newer one.
pub async fn update_unless_changed(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    input: &PlaceInput,
    expected: Option<&str>,
) -> Result<Place> {
    let (before, target, actor) = writable(store, actor, id).await?;
    if expected.is_some_and(|at| at != before.updated_at) {
        return Err(Error::Conflict(CHANGED_MEANWHILE.into()));
    }
    let p = input.check().map_err(problems)?;
    let commune = {
        let mut conn = store.read().await?;
        xaso_storage::units::by_id(&mut conn, &before.commune_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    check_inside(store, &commune, p.latitude, p.longitude).await?;
    let moved = p.latitude != before.latitude || p.longitude != before.longitude;
    let row = PlaceRow {
        kind: p.kind.as_str().into(),
        name_key: text::fold(&p.name),
        name: p.name,
        address_key: text::fold(&p.address),
        address: p.address,
        latitude: p.latitude,
        longitude: p.longitude,
        cell: dom::cell_of(p.latitude, p.longitude),
        plus_code: p.plus_code,
        vpostcode: p.vpostcode,
        contact_name: p.contact_name,
        contact_phone: p.contact_phone,
        public_name: i64::from(p.public_name),
        approximate: i64::from(p.approximate && !moved),
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    rewrite(
        store,
        &actor,
        &target,
        &row,
        snapshot(&before),
        snapshot(&row),
        expected,
    )
    .await
}

/// Retires a place (or brings it back). Its codes keep working and say so.
pub async fn set_status(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    status: PlaceStatus,
) -> Result<Place> {
    let (before, target, actor) = writable(store, actor, id).await?;
    let row = PlaceRow {
        status: status.as_str().into(),
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    rewrite(
        store,
        &actor,
        &target,
        &row,
        json!({"status": before.status}),
        json!({"status": row.status}),
        None,
    )
    .await
}

/// The active QR code of a place, made on first use by the place's staff.
pub async fn qr_code(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<xaso_storage::qr::QrRow> {
    let signed_in = actor.ok_or(Error::Unauthenticated)?;
    let place = get(store, actor, id).await?;
    if !may_write(store, actor, &place).await? {
        return Err(Error::Forbidden);
    }
    let unit = place.village.as_ref().unwrap_or(&place.commune);
    crate::qr::code_for(
        store,
        signed_in,
        crate::qr::TargetType::Place,
        id,
        Some(&unit.id),
    )
    .await
}

/// A unit's boundary as a GeoJSON geometry, for maps.
pub async fn boundary_geojson(store: &Store, unit_id: &str) -> Result<Option<serde_json::Value>> {
    let mut conn = store.read().await?;
    Ok(db::boundary(&mut conn, unit_id)
        .await?
        .and_then(|b| serde_json::from_str(&b.geometry).ok()))
}

/// Whether the actor may see a place's contacts and edit it.
pub async fn may_write(store: &Store, actor: Option<&Actor>, p: &Place) -> Result<bool> {
    let Some(actor) = actor else {
        return Ok(false);
    };
    let target = p.village.as_ref().unwrap_or(&p.commune);
    authz::has_role_over(store, actor, WRITERS, &target.id).await
}

/// One place; contacts only for those allowed to edit it.
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Place> {
    let row = {
        let mut conn = store.read().await?;
        db::by_id(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let mut cache = Lookup::default();
    let public = to_place(store, row.clone(), false, &mut cache).await?;
    let private = may_write(store, actor, &public).await?;
    if private {
        to_place(store, row, true, &mut cache).await
    } else {
        Ok(public)
    }
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub kind: Option<PlaceKind>,
    pub text: Option<String>,
    pub village_code: Option<String>,
    pub include_retired: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The places of a commune (by its code today), or of every commune under an area. Public
/// fields only; staff open a place for its contacts.
pub async fn list(store: &Store, unit_code: &str, q: &Query) -> Result<(Unit, Vec<Place>)> {
    let unit = crate::units::by_code(store, unit_code, today()).await?;
    let (commune_ids, village_id) = match unit.level {
        Level::Commune => (vec![unit.id.clone()], None),
        Level::Village => (
            unit.parent_id.clone().into_iter().collect(),
            Some(unit.id.clone()),
        ),
        _ => {
            let mut conn = store.read().await?;
            let ids = xaso_storage::units::subtree(&mut conn, &unit.id)
                .await?
                .into_iter()
                .filter(|u| u.level == Level::Commune)
                .map(|u| u.id)
                .collect();
            (ids, None)
        }
    };
    let village_id = match &q.village_code {
        Some(code) => Some(crate::units::by_code(store, code, today()).await?.id),
        None => village_id,
    };
    let text_key = q.text.as_deref().map(text::fold).filter(|t| !t.is_empty());
    // A Plus Code typed into the search box matches the stored (upper case) code.
    let text_key = text_key.map(|t| if t.contains('+') { t.to_uppercase() } else { t });
    let filter = Filter {
        commune_ids,
        village_id,
        kind: q.kind.map(|k| k.as_str().to_string()),
        text_key,
        active_only: !q.include_retired,
        limit: if q.limit > 0 { q.limit } else { 200 },
        offset: q.offset,
    };
    let rows = {
        let mut conn = store.read().await?;
        db::list(&mut conn, &filter).await?
    };
    let mut cache = Lookup::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(to_place(store, r, false, &mut cache).await?);
    }
    Ok((unit, out))
}

/// The `k` active places nearest a point (optionally of one kind), with their distance in
/// metres. The search widens a square of grid cells until the k-th place is closer than
/// anything outside the square, or 28 km out.
pub async fn nearest(
    store: &Store,
    lat: f64,
    lng: f64,
    k: usize,
    kind: Option<PlaceKind>,
) -> Result<Vec<(Place, f64)>> {
    if !lat.is_finite() || !lng.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(Error::invalid("near", "give a latitude and a longitude"));
    }
    let k = k.clamp(1, 100);
    let rc = dom::cell_rc(lat, lng);
    let mut r = 1;
    let rows = {
        let mut conn = store.read().await?;
        loop {
            let rows = db::in_square(
                &mut conn,
                rc,
                r,
                dom::CELLS_PER_ROW,
                kind.map(|k| k.as_str()),
            )
            .await?;
            let reach = dom::ring_reach_m(lat, r);
            let mut with_d: Vec<(String, f64)> = rows
                .into_iter()
                .map(|(id, la, lo)| (id, dom::distance_m(lat, lng, la, lo)))
                .collect();
            with_d.sort_by(|a, b| a.1.total_cmp(&b.1));
            let sure = with_d.iter().take_while(|(_, d)| *d <= reach).count();
            if sure >= k || r >= 128 {
                with_d.truncate(k);
                break with_d;
            }
            r *= 2;
        }
    };
    // Only the k found are read whole, in one statement.
    let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    let mut full: std::collections::HashMap<String, PlaceRow> = {
        let mut conn = store.read().await?;
        db::by_ids(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    };
    let mut cache = Lookup::default();
    let mut out = Vec::with_capacity(rows.len());
    for (id, d) in rows {
        if let Some(row) = full.remove(&id) {
            out.push((to_place(store, row, false, &mut cache).await?, d));
        }
    }
    Ok(out)
}

/// Places whose full code is `code`, active first.
pub async fn at_code(store: &Store, code: &str) -> Result<Vec<Place>> {
    let code = code.trim().to_ascii_uppercase();
    if !pluscode::is_full(&code) {
        return Err(Error::invalid(
            "code",
            format!("`{code}` is not a full Plus Code"),
        ));
    }
    let rows = {
        let mut conn = store.read().await?;
        db::by_plus_code(&mut conn, &code).await?
    };
    let mut cache = Lookup::default();
    let mut out = Vec::new();
    for r in rows {
        out.push(to_place(store, r, false, &mut cache).await?);
    }
    out.sort_by_key(|p| p.status != PlaceStatus::Active);
    Ok(out)
}

/// A commune's reference point (the centre of its boundary), for short codes.
pub async fn centre_of(store: &Store, unit_id: &str) -> Result<Option<(f64, f64)>> {
    let mut conn = store.read().await?;
    Ok(db::centre(&mut conn, unit_id).await?)
}

/// Recovers a full code from "GCP7+6G Đức Hòa": a short code and the name of a commune whose
/// boundary is known.
pub async fn recover_with_locality(store: &Store, input: &str) -> Result<String> {
    let input = text::clean(input);
    let (short, locality) = input
        .split_once(' ')
        .ok_or_else(|| Error::invalid("code", "write the short code, a space, then the commune"))?;
    if pluscode::is_full(short) {
        return Ok(short.to_ascii_uppercase());
    }
    let found = crate::units::search(store, locality, Some(today()), 20).await?;
    for f in found {
        if f.unit.level != Level::Commune {
            continue;
        }
        if let Some((lat, lng)) = centre_of(store, &f.unit.id).await? {
            return pluscode::recover_nearest(short, lat, lng)
                .map_err(|e| Error::invalid("code", e.to_string()));
        }
    }
    Err(Error::invalid(
        "code",
        format!("no commune named `{locality}` with a known boundary"),
    ))
}

/// The full Plus Code a typed digital address names: a full code ("7P28RFG4+6P"), a short one
/// as a house plate prints it ("RFG4+6P Đức Hòa"), or a short one alone, recovered near the
/// centre of `near` (a commune). `field` names the form field in errors.
pub async fn full_code(
    store: &Store,
    near: &Unit,
    input: &str,
    field: &'static str,
) -> Result<String> {
    let input = text::clean(input);
    let first = input.split(' ').next().unwrap_or("").to_ascii_uppercase();
    if pluscode::is_full(&first) {
        Ok(first)
    } else if pluscode::is_short(&first) && input.contains(' ') {
        recover_with_locality(store, &input)
            .await
            .map_err(|_| Error::invalid(field, "no commune of that name has a known boundary"))
    } else if pluscode::is_short(&first) {
        let (lat, lng) = centre_of(store, &near.id).await?.ok_or_else(|| {
            Error::invalid(
                field,
                "write the full code: the commune's boundary is unknown",
            )
        })?;
        pluscode::recover_nearest(&first, lat, lng)
            .map_err(|e| Error::invalid(field, e.to_string()))
    } else {
        Err(Error::invalid(
            field,
            "write a digital address as the house plate prints it (a Plus Code such as RFG4+6P)",
        ))
    }
}

/// A place as the public sees it (no contacts), when it is set and still active.
pub async fn public(store: &Store, id: Option<&str>) -> Result<Option<Place>> {
    let Some(id) = id else {
        return Ok(None);
    };
    match get(store, None, id).await {
        Ok(p) if p.status == PlaceStatus::Active => Ok(Some(p)),
        Ok(_) | Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Stores the boundaries of a GeoJSON FeatureCollection whose features carry a `code` property
/// (GSO code, read on `day`). All or nothing; returns how many were stored.
pub async fn import_boundaries(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    day: NaiveDate,
    source: &str,
) -> Result<usize> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid("file", format!("not GeoJSON: {e}")))?;
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| Error::invalid("file", "not a GeoJSON FeatureCollection"))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let at = format!("feature {}", i + 1);
        let Some(code) = f.pointer("/properties/code").and_then(|c| c.as_str()) else {
            problems.push(Problem::new(at, "no `code` property"));
            continue;
        };
        let unit = match crate::units::by_code(store, code, day).await {
            Ok(u) => u,
            Err(Error::NotFound) => {
                problems.push(Problem::new(at, format!("no unit {code} on {day}")));
                continue;
            }
            Err(e) => return Err(e),
        };
        let Some(geometry) = f.get("geometry") else {
            problems.push(Problem::new(at, "no geometry"));
            continue;
        };
        let Some(b) = Boundary::from_geojson(geometry) else {
            problems.push(Problem::new(
                at,
                "the geometry is not a Polygon or MultiPolygon",
            ));
            continue;
        };
        let (clat, clng) = b.centre();
        rows.push(BoundaryRow {
            unit_id: unit.id,
            geometry: geometry.to_string(),
            centre_lat: clat,
            centre_lng: clng,
            source: source.to_string(),
            updated_at: xaso_storage::now(),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut tx = store.begin().await?;
    for r in &rows {
        db::upsert_boundary(tx.conn(), r).await?;
        crate::audit::record(
            &mut tx,
            actor,
            crate::audit::Change {
                action: "update",
                record_type: "unit_boundary",
                record_id: &r.unit_id,
                unit_id: Some(&r.unit_id),
                before: None,
                after: Some(json!({"source": r.source, "centre": [r.centre_lat, r.centre_lng]})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}
