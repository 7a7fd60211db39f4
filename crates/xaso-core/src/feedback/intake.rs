//! A report coming in: where it is (a point, a village, an address), which commune it goes to
//! (by the communes' boundaries), the reporter's contacts checked, and the case stored with its
//! deadline, photos queued for resizing and staff told.

use super::*;

/// Where a report says the problem is. One of `place_code`, `unit_code` or a position is needed;
/// a position alone is routed to the commune whose boundary holds it.
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// A digital address as printed on a plate ("RFG4+6P Đức Hòa") or a full Plus Code.
    pub place_code: String,
    /// A village's or commune's code (a village chosen from the list).
    pub unit_code: String,
    /// Free text ("trước cổng trường tiểu học").
    pub address: String,
}

/// A report as it arrives, from the public form, a staff member's intake or Open311.
#[derive(Debug, Clone)]
pub struct Report {
    pub category: String,
    pub description: String,
    pub location: Location,
    pub reporter: Reporter,
    pub channel: Channel,
    pub photos: Vec<Vec<u8>>,
    /// The ICT register's device the report is about (from its label's page): the case is
    /// linked to it so its keepers see the report on the device's record.
    pub asset_id: Option<String>,
}

/// What the reporter gets back.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: String,
    pub number: i64,
    pub token: String,
    pub commune: Unit,
    pub due_at: DateTime<Utc>,
}

struct Routed {
    commune: Unit,
    village: Option<Unit>,
    place_id: Option<String>,
    position: Option<(f64, f64)>,
}

/// The stored boundaries, parsed, with the version they were read at. Parsing them is most of
/// the cost of routing a report by its position, so they are kept until a boundary changes
/// (one database per process, as the server runs).
type Parsed = (
    String,
    std::sync::Arc<Vec<(String, xaso_domain::places::Boundary)>>,
);
static BOUNDARIES: std::sync::Mutex<Option<Parsed>> = std::sync::Mutex::new(None);

async fn boundaries(
    store: &Store,
) -> Result<std::sync::Arc<Vec<(String, xaso_domain::places::Boundary)>>> {
    let version = {
        let mut conn = store.read().await?;
        xaso_storage::places::boundaries_version(&mut conn).await?
    };
    if let Some((v, list)) = BOUNDARIES.lock().expect("boundary cache").as_ref() {
        if *v == version {
            return Ok(list.clone());
        }
    }
    let rows = {
        let mut conn = store.read().await?;
        xaso_storage::places::boundaries(&mut conn).await?
    };
    let list: Vec<_> = rows
        .into_iter()
        .filter_map(|(unit_id, geometry)| {
            let value = serde_json::from_str::<serde_json::Value>(&geometry).ok()?;
            Some((
                unit_id,
                xaso_domain::places::Boundary::from_geojson(&value)?,
            ))
        })
        .collect();
    let list = std::sync::Arc::new(list);
    *BOUNDARIES.lock().expect("boundary cache") = Some((version, list.clone()));
    Ok(list)
}

/// The commune (valid today) whose boundary holds a point.
async fn commune_at(store: &Store, lat: f64, lng: f64) -> Result<Option<Unit>> {
    let today = xaso_domain::time::today_vn();
    for (unit_id, b) in boundaries(store).await?.iter() {
        if !b.contains(lat, lng) {
            continue;
        }
        let mut conn = store.read().await?;
        if let Some(u) = xaso_storage::units::by_id(&mut conn, unit_id).await? {
            if u.level == Level::Commune && u.validity().contains(today) {
                return Ok(Some(u));
            }
        }
    }
    Ok(None)
}

async fn route(store: &Store, loc: &Location) -> Result<Routed> {
    let position = match (loc.latitude, loc.longitude) {
        (Some(lat), Some(lng)) => {
            if !lat.is_finite() || !lng.is_finite() || !in_vietnam(lat, lng) {
                return Err(Error::invalid(
                    "location",
                    "the position is not in Vietnam; check the GPS or tap the map",
                ));
            }
            Some((lat, lng))
        }
        (None, None) => None,
        _ => {
            return Err(Error::invalid(
                "location",
                "give both the latitude and the longitude",
            ))
        }
    };
    if !loc.place_code.trim().is_empty() {
        // A short code alone is read near the chosen commune, or the one under the position.
        let near = if !loc.unit_code.trim().is_empty() {
            Some(places::units_for(store, loc.unit_code.trim()).await?.0)
        } else if let Some((lat, lng)) = position {
            commune_at(store, lat, lng).await?
        } else {
            None
        };
        let code = match &near {
            Some(n) => places::full_code(store, n, &loc.place_code, "place_code").await?,
            None => {
                let first = loc
                    .place_code
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                if xaso_domain::pluscode::is_full(&first) {
                    first
                } else {
                    places::recover_with_locality(store, &loc.place_code)
                        .await
                        .map_err(|_| {
                            Error::invalid(
                                "place_code",
                                "write the digital address with its commune (RFG4+6P Đức Hòa)",
                            )
                        })?
                }
            }
        };
        let found = places::at_code(store, &code).await?;
        let Some(place) = found.into_iter().next() else {
            return Err(Error::invalid(
                "place_code",
                "no place is registered at this digital address",
            ));
        };
        return Ok(Routed {
            position: position.or(Some((place.latitude, place.longitude))),
            commune: place.commune,
            village: place.village,
            place_id: Some(place.id),
        });
    }
    if !loc.unit_code.trim().is_empty() {
        let (commune, village) = places::units_for(store, loc.unit_code.trim())
            .await
            .map_err(|e| match e {
                Error::NotFound => {
                    Error::invalid("unit", "no commune or village has this code today")
                }
                other => other,
            })?;
        return Ok(Routed {
            commune,
            village,
            place_id: None,
            position,
        });
    }
    if let Some((lat, lng)) = position {
        let commune = commune_at(store, lat, lng).await?.ok_or_else(|| {
            Error::invalid(
                "location",
                "this position is outside the communes served here; choose the village instead",
            )
        })?;
        return Ok(Routed {
            commune,
            village: None,
            place_id: None,
            position,
        });
    }
    Err(Error::invalid(
        "location",
        "say where the problem is: use the GPS, tap the map, give a digital address or choose a village",
    ))
}

/// A phone photo's kind (`jpg`, `png`, `webp`) by its first bytes, and at most
/// [`MAX_PHOTO_BYTES`]; shared with the field log's pest photos.
pub(crate) fn check_photo(bytes: &[u8]) -> Result<&'static str> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid("photo", "a photo is larger than 10 MB"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("webp")
    } else {
        Err(Error::invalid(
            "photo",
            "a photo is not a picture we can read (JPEG, PNG or WebP)",
        ))
    }
}

fn check_reporter(r: &Reporter) -> Result<Reporter> {
    let name = text::clean(&r.name);
    let phone_in = text::clean(&r.phone);
    let phone = if phone_in.is_empty() {
        String::new()
    } else {
        xaso_domain::places::phone_number(&phone_in)
            .ok_or_else(|| Error::invalid("phone", "the phone number is not a Vietnamese number"))?
    };
    let email = text::clean(&r.email).to_lowercase();
    if !email.is_empty()
        && (email.len() > 200
            || email.contains(' ')
            || !email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')))
    {
        return Err(Error::invalid("email", "the e-mail address is not valid"));
    }
    let zalo = text::clean(&r.zalo);
    if zalo.len() > 40 || !zalo.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(
            "zalo",
            "the Zalo id is the number the commune's Zalo account gives you",
        ));
    }
    if name.chars().count() > 120 {
        return Err(Error::invalid("name", "the name is too long"));
    }
    Ok(Reporter {
        name,
        phone,
        email,
        zalo,
    })
}

/// The account name written on a case's history for this actor.
fn actor_name(actor: Option<&Actor>) -> String {
    actor.map_or_else(|| REPORTER.to_string(), |a| a.username.clone())
}

/// Files a report. Citizens (no account) may use the web, app and QR-poster channels; the
/// hotline, Zalo and counter channels are for staff entering a case for someone. Photos are
/// checked and kept as sent, then resized in the background. All or nothing.
pub async fn submit(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    report: Report,
) -> Result<Submitted> {
    submit_at(store, files, actor, report, Utc::now()).await
}

/// [`submit`] at a given time (for deadlines in tests and imports).
pub async fn submit_at(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    report: Report,
    now: DateTime<Utc>,
) -> Result<Submitted> {
    let category = category_by_code(store, &report.category)
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::invalid("category", "choose what the problem is about"),
            other => other,
        })?;
    let description = text::clean(&report.description);
    if description.chars().count() < 10 {
        return Err(Error::invalid(
            "description",
            "describe the problem in a sentence or more (10 characters at least)",
        ));
    }
    if description.chars().count() > dom::MAX_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            "the description is too long (4000 characters at most)",
        ));
    }
    if report.photos.len() > dom::MAX_PHOTOS {
        return Err(Error::invalid("photo", "send at most 4 photos"));
    }
    let mut kinds = Vec::with_capacity(report.photos.len());
    for p in &report.photos {
        kinds.push(check_photo(p)?);
    }
    let reporter = check_reporter(&report.reporter)?;
    let address = text::clean(&report.location.address);
    if address.chars().count() > 300 {
        return Err(Error::invalid("address", "the address is too long"));
    }
    let routed = route(store, &report.location).await?;
    let asset = match report
        .asset_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(a) => {
            let mut conn = store.read().await?;
            match xaso_storage::ict::asset(&mut conn, a).await? {
                Some(row) if row.unit_id == routed.commune.id => Some(row),
                _ => {
                    return Err(Error::invalid(
                        "asset",
                        "the device this report is about is not registered in this commune",
                    ))
                }
            }
        }
        None => None,
    };
    let staff_channel = dom::STAFF_CHANNELS.contains(&report.channel);
    if staff_channel {
        match actor {
            Some(a) if authz::has_role_over(store, a, INTAKE, &routed.commune.id).await? => {}
            Some(_) => return Err(Error::Forbidden),
            None => return Err(Error::Unauthenticated),
        }
    }
    let id = xaso_storage::new_id();
    let token = new_token();
    // Photos go to storage first: a crash leaves an orphan file, never a case without its photo;
    // a case that is not stored (refused, or a duplicate offline record) takes its photos away.
    let mut pending = files.pending();
    let mut photo_rows = Vec::new();
    let stamp = to_storage(now);
    for (bytes, ext) in report.photos.into_iter().zip(kinds) {
        let pid = xaso_storage::new_id();
        let key = format!("feedback/{id}/{pid}.upload.{ext}");
        let size = bytes.len() as i64;
        pending
            .put(&key, bytes)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        photo_rows.push(PhotoRow {
            id: pid,
            case_id: id.clone(),
            object_key: key,
            thumb_key: None,
            width: 0,
            height: 0,
            size,
            hidden: 0,
            created_at: stamp.clone(),
        });
    }
    let due = dom::due_at(now, category.deadline_value, category.deadline_unit);
    let created_by = actor_name(actor);
    let mut tx = store.begin().await?;
    let number = db::next_number(tx.conn(), "feedback_case").await?;
    let row = CaseRow {
        id: id.clone(),
        number,
        token: token.clone(),
        category_id: category.id.clone(),
        commune_id: routed.commune.id.clone(),
        village_id: routed.village.as_ref().map(|v| v.id.clone()),
        place_id: routed.place_id,
        latitude: routed.position.map(|p| p.0),
        longitude: routed.position.map(|p| p.1),
        address,
        description,
        status: Status::Received.as_str().into(),
        status_note: String::new(),
        channel: report.channel.as_str().into(),
        reporter_name: reporter.name,
        reporter_phone: reporter.phone,
        reporter_email: reporter.email,
        reporter_zalo: reporter.zalo,
        handler: category.handler.clone(),
        assignee: String::new(),
        due_at: to_storage(due),
        overdue_noticed: 0,
        merged_into: None,
        split_from: None,
        rating: None,
        rating_comment: String::new(),
        created_by: created_by.clone(),
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
        resolved_at: None,
    };
    db::save_case(tx.conn(), &row).await?;
    for p in &photo_rows {
        db::insert_photo(tx.conn(), p).await?;
        crate::queue::enqueue(
            &mut tx,
            JOB_PHOTO,
            &json!({"photo": p.id}),
            crate::queue::DEFAULT_ATTEMPTS,
        )
        .await?;
    }
    let event = event_row(
        &id,
        &stamp,
        &created_by,
        "received",
        None,
        Status::Received,
        "",
        "",
    );
    db::insert_event(tx.conn(), &event).await?;
    if let Some(a) = &asset {
        xaso_storage::ict::logs::link_case(tx.conn(), &a.id, &id, &stamp).await?;
    }
    notify::enqueue(&mut tx, &row, &event.id, notify::Audience::Staff).await?;
    let who = actor.cloned().unwrap_or_else(citizen);
    crate::audit::record(
        &mut tx,
        &who,
        crate::audit::Change {
            action: "create",
            record_type: "feedback_case",
            record_id: &id,
            unit_id: Some(&routed.commune.id),
            before: None,
            // The reporter's identity stays on the case, not in the log.
            after: Some(
                json!({"number": number, "category": category.code, "channel": row.channel,
                               "photos": photo_rows.len(), "due_at": row.due_at,
                               "asset": asset.as_ref().map(|a| &a.tag)}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    pending.kept();
    Ok(Submitted {
        id,
        number,
        token,
        commune: routed.commune,
        due_at: due,
    })
}
