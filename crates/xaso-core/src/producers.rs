//! Producers and their products. A producer registers (or the commune registers one on its
//! behalf); the commune approves, rejects or suspends it, with a reason, and nothing of it is
//! public until it is approved. Products carry an optional GTIN (check digit validated, unique
//! on the installation) and an OCOP rating with its certificate.

use serde_json::json;
use xaso_domain::auth::Role;
use xaso_domain::text;
use xaso_domain::trace::{
    BatchInput, BatchStatus, Gtin, NewProduct, Ocop, ProducerInput, ProducerKind, ProducerStatus,
    ProductInput,
};
use xaso_domain::units::{Level, Unit};
use xaso_storage::producers::{self as db, BatchRow, ProducerRow, ProductRow};
use xaso_storage::Store;

mod batches;
pub mod documents;

pub use batches::*;

use crate::error::Problem;
use crate::places::problems;
use crate::{authz, Actor, Error, Result};

/// Who decides on producers: the commune and the area above it.
pub const DECIDERS: &[Role] = &[Role::CommuneOfficer, Role::AreaOfficer];

#[derive(Debug, Clone)]
pub struct Producer {
    pub id: String,
    pub kind: ProducerKind,
    pub name: String,
    pub commune: Unit,
    pub address: String,
    pub representative: String,
    /// Only for the producer's own account and the commune.
    pub phone: Option<String>,
    pub registration_no: String,
    pub description: String,
    pub status: ProducerStatus,
    pub status_reason: String,
    pub owner: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub updated_at: String,
    /// The registered place (digital address) the producer works at; shown with a map link
    /// on its stamps.
    pub place_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub producer_id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub sale_unit: String,
    pub gtin: Option<Gtin>,
    pub ocop: Option<Ocop>,
    pub updated_at: String,
}

/// What an actor may do with a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// Edit it and its products (its own account, or the commune).
    pub write: bool,
    /// Approve, reject or suspend it (the commune and the area).
    pub decide: bool,
}

async fn unit_of(store: &Store, id: &str) -> Result<Unit> {
    let mut conn = store.read().await?;
    xaso_storage::units::by_id(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

async fn to_producer(store: &Store, r: ProducerRow, private: bool) -> Result<Producer> {
    Ok(Producer {
        commune: unit_of(store, &r.commune_id).await?,
        id: r.id,
        kind: ProducerKind::parse(&r.kind).unwrap_or(ProducerKind::Household),
        name: r.name,
        address: r.address,
        representative: r.representative,
        phone: if private { r.phone } else { None },
        registration_no: r.registration_no,
        description: r.description,
        status: ProducerStatus::parse(&r.status).unwrap_or(ProducerStatus::Pending),
        status_reason: r.status_reason,
        owner: r.owner,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        updated_at: r.updated_at,
        place_id: r.place_id,
    })
}

fn to_product(r: ProductRow) -> Product {
    let ocop = match (r.ocop_stars, &r.ocop_decided_on) {
        (Some(stars), Some(d)) => xaso_domain::time::parse_date(d).map(|decided_on| Ocop {
            stars: stars as u8,
            certificate: r.ocop_certificate.clone(),
            decided_on,
        }),
        _ => None,
    };
    Product {
        gtin: r.gtin.as_deref().and_then(|g| Gtin::parse(g).ok()),
        ocop,
        id: r.id,
        producer_id: r.producer_id,
        name: r.name,
        category: r.category,
        description: r.description,
        sale_unit: r.sale_unit,
        updated_at: r.updated_at,
    }
}

async fn rights_on(store: &Store, actor: Option<&Actor>, r: &ProducerRow) -> Result<Rights> {
    let Some(actor) = actor else {
        return Ok(Rights {
            write: false,
            decide: false,
        });
    };
    let decide = authz::has_role_over(store, actor, DECIDERS, &r.commune_id).await?;
    let owner = r.owner.as_deref() == Some(actor.username.as_str());
    Ok(Rights {
        write: decide || owner,
        decide,
    })
}

/// The rights of an actor on a producer.
pub async fn rights(store: &Store, actor: Option<&Actor>, id: &str) -> Result<Rights> {
    let row = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    rights_on(store, actor, &row).await
}

/// Registers a producer in a commune (a code valid today). A producer account registers its
/// own (it becomes the owner); the commune may register one on someone's behalf. Pending until
/// the commune decides.
pub async fn register(
    store: &Store,
    actor: Option<&Actor>,
    commune_code: &str,
    input: &ProducerInput,
) -> Result<Producer> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let commune = crate::units::by_code(store, commune_code, xaso_domain::time::today_vn()).await?;
    if commune.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            "producers register with a commune (xã, phường)",
        ));
    }
    let staff = authz::has_role_over(store, actor, DECIDERS, &commune.id).await?;
    let producer =
        authz::has_role_over(store, actor, &[Role::Producer], &commune.id).await? && !staff;
    if !staff && !producer {
        return Err(Error::Forbidden);
    }
    let p = input.check().map_err(problems)?;
    let row = pending_row(
        p,
        &commune.id,
        producer.then(|| actor.username.clone()),
        &actor.username,
    );
    let mut tx = store.begin().await?;
    db::save_producer(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor,
        crate::audit::Change {
            action: "create",
            record_type: "producer",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            // The phone stays out of the log, as contacts of places do.
            after: Some(json!({"name": row.name, "kind": row.kind, "status": row.status, "owner": row.owner, "has_phone": row.phone.is_some()})),
        },
    )
    .await?;
    tx.commit().await?;
    to_producer(store, row, true).await
}

/// A new producer's row, pending the commune's decision.
fn pending_row(
    p: xaso_domain::trace::NewProducer,
    commune_id: &str,
    owner: Option<String>,
    by: &str,
) -> ProducerRow {
    let now = xaso_storage::now();
    ProducerRow {
        id: xaso_storage::new_id(),
        kind: p.kind.as_str().into(),
        name_key: text::fold(&p.name),
        name: p.name,
        commune_id: commune_id.into(),
        place_id: None,
        address: p.address,
        representative: p.representative,
        phone: p.phone,
        registration_no: p.registration_no,
        description: p.description,
        status: ProducerStatus::Pending.as_str().into(),
        status_reason: String::new(),
        owner,
        decided_by: None,
        decided_at: None,
        created_by: by.into(),
        created_at: now.clone(),
        updated_by: by.into(),
        updated_at: now,
    }
}

/// The account a producer opens for itself when it signs up.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    /// The person's name, as the commune officer will see it.
    pub display_name: String,
}

/// A producer signs up on its own: one transaction opens its account (role producer in the
/// commune) and registers the producer, pending until the commune decides. Nothing of it is
/// public before approval. Returns the producer and the new account's username.
pub async fn sign_up(
    store: &Store,
    commune_code: &str,
    account: &NewAccount,
    input: &ProducerInput,
) -> Result<Producer> {
    use xaso_domain::auth::{check_password, parse_username};
    let commune = crate::units::by_code(store, commune_code, xaso_domain::time::today_vn()).await?;
    if commune.level != Level::Commune {
        return Err(Error::invalid(
            "unit",
            "producers register with a commune (xã, phường)",
        ));
    }
    let mut list = Vec::new();
    let username = match parse_username(&account.username) {
        Ok(u) => Some(u),
        Err(e) => {
            list.push(Problem::new("username", e.to_string()));
            None
        }
    };
    if let Err(e) = check_password(&account.password) {
        list.push(Problem::new("password", e.to_string()));
    }
    let display_name = text::clean(&account.display_name);
    if display_name.is_empty() || display_name.chars().count() > 120 {
        list.push(Problem::new(
            "display_name",
            "your name, 120 characters at most",
        ));
    }
    let p = match input.check() {
        Ok(p) => Some(p),
        Err(more) => {
            list.extend(more.into_iter().map(|p| Problem::new(p.field, p.detail)));
            None
        }
    };
    if let Some(u) = &username {
        let mut conn = store.read().await?;
        if xaso_storage::users::by_username(&mut conn, u)
            .await?
            .is_some()
        {
            list.push(Problem::new("username", "this username is taken"));
        }
    }
    let (Some(username), Some(p), true) = (username, p, list.is_empty()) else {
        return Err(Error::Invalid(list));
    };
    let password_hash = {
        let pw = account.password.clone();
        tokio::task::spawn_blocking(move || crate::auth::hash_password(&pw))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??
    };
    let user_id = xaso_storage::new_id();
    let actor = Actor {
        user_id: Some(user_id.clone()),
        username: username.clone(),
        display_name: display_name.clone(),
        assignments: Vec::new(),
        credential: crate::auth::Credential::System,
        offline: None,
    };
    let row = pending_row(p, &commune.id, Some(username.clone()), &username);
    let mut tx = store.begin().await?;
    xaso_storage::users::insert(
        tx.conn(),
        &user_id,
        &username,
        &display_name,
        &password_hash,
    )
    .await?;
    xaso_storage::users::assign(
        tx.conn(),
        &xaso_storage::new_id(),
        &user_id,
        Role::Producer.as_str(),
        Some(&commune.id),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "user",
            record_id: &user_id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(
                json!({"username": username, "display_name": display_name, "signed_up": true,
                "roles": [{"role": "producer", "unit": commune.full_name}]}),
            ),
        },
    )
    .await?;
    db::save_producer(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "producer",
            record_id: &row.id,
            unit_id: Some(&commune.id),
            before: None,
            after: Some(json!({"name": row.name, "kind": row.kind, "status": row.status, "owner": row.owner, "has_phone": row.phone.is_some()})),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(username = %username, commune = %commune.code, "producer signed up");
    to_producer(store, row, true).await
}

/// A producer as the actor may see it: the public sees approved producers only, without the
/// phone; its own account and the commune see everything.
pub async fn get(store: &Store, actor: Option<&Actor>, id: &str) -> Result<(Producer, Rights)> {
    let row = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let rights = rights_on(store, actor, &row).await?;
    if !rights.write && row.status != ProducerStatus::Approved.as_str() {
        // Not "forbidden": a pending or rejected registration is nobody else's business.
        return Err(Error::NotFound);
    }
    Ok((to_producer(store, row, rights.write).await?, rights))
}

/// Approves, rejects or suspends a producer (the commune or the area). Rejecting and suspending
/// need a reason, which the producer sees.
pub async fn decide(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    next: ProducerStatus,
    reason: &str,
) -> Result<Producer> {
    let before = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let actor = authz::require_role_over(store, actor, DECIDERS, &before.commune_id).await?;
    let current = ProducerStatus::parse(&before.status).unwrap_or(ProducerStatus::Pending);
    if !current.may_become(next) {
        return Err(Error::Conflict(format!(
            "a {} producer cannot become {}",
            current.as_str(),
            next.as_str()
        )));
    }
    let reason = text::clean(reason);
    if matches!(next, ProducerStatus::Rejected | ProducerStatus::Suspended) && reason.is_empty() {
        return Err(Error::invalid(
            "reason",
            "say why: the producer reads the reason",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "the reason is too long (500 characters at most)",
        ));
    }
    let now = xaso_storage::now();
    let row = ProducerRow {
        status: next.as_str().into(),
        status_reason: reason,
        decided_by: Some(actor.username.clone()),
        decided_at: Some(now.clone()),
        updated_by: actor.username.clone(),
        updated_at: now,
        ..before.clone()
    };
    let mut tx = store.begin().await?;
    db::save_producer(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "producer",
            record_id: id,
            unit_id: Some(&before.commune_id),
            before: Some(json!({"status": before.status, "reason": before.status_reason})),
            after: Some(json!({"status": row.status, "reason": row.status_reason})),
        },
    )
    .await?;
    tx.commit().await?;
    to_producer(store, row, true).await
}

/// The producers of a commune (or of every commune of an area): all of them for the commune's
/// staff, the approved ones for everyone else.
pub async fn list(
    store: &Store,
    actor: Option<&Actor>,
    unit_code: &str,
) -> Result<(Unit, Vec<Producer>, bool)> {
    let unit = crate::units::by_code(store, unit_code, xaso_domain::time::today_vn()).await?;
    let staff = match actor {
        Some(a) => authz::has_role_over(store, a, DECIDERS, &unit.id).await?,
        None => false,
    };
    let communes = crate::units::communes_of(store, &unit).await?;
    let rows = {
        let mut conn = store.read().await?;
        db::producers_in(
            &mut conn,
            &communes,
            (!staff).then_some(ProducerStatus::Approved.as_str()),
        )
        .await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(to_producer(store, r, staff).await?);
    }
    Ok((unit, out, staff))
}

/// The producers an account manages (its own registrations, whatever their state).
pub async fn mine(store: &Store, actor: &Actor) -> Result<Vec<Producer>> {
    let rows = {
        let mut conn = store.read().await?;
        db::producers_of_owner(&mut conn, &actor.username).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(to_producer(store, r, true).await?);
    }
    Ok(out)
}

/// The products of a producer the actor may see.
pub async fn products(
    store: &Store,
    actor: Option<&Actor>,
    producer_id: &str,
) -> Result<Vec<Product>> {
    get(store, actor, producer_id).await?;
    let mut conn = store.read().await?;
    Ok(db::products_of(&mut conn, producer_id)
        .await?
        .into_iter()
        .map(to_product)
        .collect())
}

/// One product with its producer, for whoever may see the producer.
pub async fn product(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(Product, Producer, Rights)> {
    let row = {
        let mut conn = store.read().await?;
        db::product(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    let (producer, rights) = get(store, actor, &row.producer_id).await?;
    Ok((to_product(row), producer, rights))
}

fn product_snapshot(p: &ProductRow) -> serde_json::Value {
    json!({"name": p.name, "category": p.category, "sale_unit": p.sale_unit, "gtin": p.gtin,
        "ocop_stars": p.ocop_stars, "ocop_certificate": p.ocop_certificate, "ocop_decided_on": p.ocop_decided_on})
}

/// Creates a product (`id` None) or rewrites one, for the producer's account or the commune.
/// A GTIN already used by another product is refused.
pub async fn save_product(
    store: &Store,
    actor: Option<&Actor>,
    producer_id: &str,
    id: Option<&str>,
    input: &ProductInput,
) -> Result<Product> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let producer = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, producer_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let rights = rights_on(store, actor, &producer).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    if producer.status == ProducerStatus::Rejected.as_str() {
        return Err(Error::Conflict(
            "a rejected registration cannot add products".into(),
        ));
    }
    let NewProduct {
        name,
        category,
        description,
        sale_unit,
        gtin,
        ocop,
    } = input.check().map_err(problems)?;
    let before = match id {
        Some(id) => {
            let mut conn = store.read().await?;
            let p = db::product(&mut conn, id).await?.ok_or(Error::NotFound)?;
            if p.producer_id != producer_id {
                return Err(Error::NotFound);
            }
            Some(p)
        }
        None => None,
    };
    let gtin14 = gtin.map(|g| g.gtin14());
    if let Some(g) = &gtin14 {
        let mut conn = store.read().await?;
        if let Some(other) = db::product_by_gtin(&mut conn, g).await? {
            if Some(other.id.as_str()) != id {
                return Err(Error::invalid(
                    "gtin",
                    "this GTIN already names another product",
                ));
            }
        }
    }
    let now = xaso_storage::now();
    let row = ProductRow {
        id: before
            .as_ref()
            .map(|b| b.id.clone())
            .unwrap_or_else(xaso_storage::new_id),
        producer_id: producer_id.into(),
        name_key: text::fold(&name),
        name,
        category,
        description,
        sale_unit,
        gtin: gtin14,
        ocop_stars: ocop.as_ref().map(|o| i64::from(o.stars)),
        ocop_certificate: ocop
            .as_ref()
            .map(|o| o.certificate.clone())
            .unwrap_or_default(),
        ocop_decided_on: ocop.as_ref().map(|o| o.decided_on.to_string()),
        status: "active".into(),
        created_by: before
            .as_ref()
            .map(|b| b.created_by.clone())
            .unwrap_or_else(|| actor_ref.username.clone()),
        created_at: before
            .as_ref()
            .map(|b| b.created_at.clone())
            .unwrap_or_else(|| now.clone()),
        updated_by: actor_ref.username.clone(),
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    db::save_product(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: if before.is_some() { "update" } else { "create" },
            record_type: "product",
            record_id: &row.id,
            unit_id: Some(&producer.commune_id),
            before: before.as_ref().map(product_snapshot),
            after: Some(product_snapshot(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_product(row))
}

/// The product a GTIN names, with its producer, if the public may see it.
pub async fn by_gtin(store: &Store, gtin: &Gtin) -> Result<Option<(Product, Producer)>> {
    let row = {
        let mut conn = store.read().await?;
        db::product_by_gtin(&mut conn, &gtin.gtin14()).await?
    };
    let Some(row) = row else {
        return Ok(None);
    };
    match get(store, None, &row.producer_id).await {
        Ok((producer, _)) => Ok(Some((to_product(row), producer))),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The active registered place a typed digital address names (see [`crate::places::full_code`]).
/// `field` names the form field in errors.
pub async fn place_by_address(
    store: &Store,
    commune: &Unit,
    input: &str,
    field: &'static str,
) -> Result<crate::places::Place> {
    let code = crate::places::full_code(store, commune, input, field).await?;
    // Several places may share a code (a shop in a house): a producer's place is a business
    // or a household before anything else.
    use xaso_domain::places::PlaceKind;
    let rank = |k: PlaceKind| match k {
        PlaceKind::Business => 0,
        PlaceKind::Household => 1,
        PlaceKind::Organisation | PlaceKind::Market | PlaceKind::Other => 2,
        _ => 3,
    };
    crate::places::at_code(store, &code)
        .await?
        .into_iter()
        .filter(|p| p.status == xaso_domain::places::PlaceStatus::Active)
        .min_by_key(|p| rank(p.kind))
        .ok_or_else(|| Error::invalid(field, format!("no registered place has the address {code}")))
}

/// Links a producer to the registered place it works at (its owner or the commune), or
/// unlinks it with an empty address. The place must lie in the producer's commune; it shows
/// with a map link on every stamp, so the form says so.
pub async fn set_place(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
    address: &str,
) -> Result<Producer> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let before = {
        let mut conn = store.read().await?;
        db::producer(&mut conn, id).await?.ok_or(Error::NotFound)?
    };
    if !rights_on(store, actor, &before).await?.write {
        return Err(Error::Forbidden);
    }
    let place = match address.trim() {
        "" => None,
        a => {
            let commune = unit_of(store, &before.commune_id).await?;
            let place = place_by_address(store, &commune, a, "place").await?;
            if place.commune.id != before.commune_id {
                return Err(Error::invalid(
                    "place",
                    format!("the place is not in {}", commune.full_name),
                ));
            }
            Some(place)
        }
    };
    let row = ProducerRow {
        place_id: place.as_ref().map(|p| p.id.clone()),
        updated_by: actor_ref.username.clone(),
        updated_at: xaso_storage::now(),
        ..before.clone()
    };
    let mut tx = store.begin().await?;
    db::save_producer(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        actor_ref,
        crate::audit::Change {
            action: "update",
            record_type: "producer",
            record_id: id,
            unit_id: Some(&before.commune_id),
            before: Some(json!({"place": before.place_id})),
            after: Some(
                json!({"place": row.place_id, "plus_code": place.as_ref().map(|p| &p.plus_code)}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    to_producer(store, row, true).await
}
