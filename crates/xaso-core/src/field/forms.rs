//! Each offline form handed to the use case its online form calls, field by field.

use serde_json::json;
use xaso_domain::feedback::Channel;
use xaso_domain::places::PlaceInput;
use xaso_storage::files::Files;
use xaso_storage::Store;

use super::{Answer, Kind, Stored, Submission};
use crate::{Actor, Error, Result};

/// The form's outcome: stored, or a conflict for the person to settle.
pub(crate) type Outcome = std::result::Result<Stored, Answer>;

pub(crate) async fn run(
    store: &Store,
    files: &Files,
    actor: &Actor,
    base: &str,
    kind: Kind,
    s: &Submission,
) -> Result<Outcome> {
    let f = |k: &str| {
        s.fields
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let on = |k: &str| matches!(f(k).as_str(), "on" | "true" | "1" | "yes");
    let stored = match kind {
        Kind::Place => {
            let input = place_input(&f, &on);
            let p = crate::places::create(store, Some(actor), &f("village"), &input).await?;
            stored("place", p.id)
        }
        Kind::PlaceEdit => return place_edit(store, actor, &f).await,
        Kind::Support => {
            let input = crate::dt::support::SupportInput {
                village_code: f("village"),
                service: f("service"),
                address: f("address"),
                people: f("people"),
                helped_on: f("helped_on"),
                note: f("note"),
            };
            let id = crate::dt::support::record(store, Some(actor), &input).await?;
            stored("dt_support", id)
        }
        Kind::Attendance => {
            let session = f("session");
            let person = crate::dt::training::Person {
                member_id: None,
                name: f("name"),
                phone: f("phone"),
                village_code: f("village"),
            };
            crate::dt::training::record(
                store,
                Some(actor),
                &session,
                &[person],
                xaso_domain::dt::Method::Roster,
            )
            .await?;
            stored("dt_attendance", session)
        }
        Kind::FieldLog => {
            let input = xaso_domain::agri::farming::LogInput {
                kind: f("kind"),
                planting: String::new(),
                done_on: f("done_on"),
                input_type: f("input_type"),
                product: f("product"),
                active_ingredient: f("active_ingredient"),
                dose: f("dose"),
                phi_days: f("phi_days"),
                pest: f("pest"),
                severity: f("severity"),
                quantity: f("quantity"),
                quantity_unit: f("quantity_unit"),
                note: f("note"),
            };
            let plot = f("plot");
            match crate::agri::farming::add_log(
                store,
                files,
                Some(actor),
                &plot,
                &input,
                s.photo.clone(),
                on("confirm"),
            )
            .await?
            {
                crate::agri::farming::LogOutcome::Saved(row) => Stored {
                    record_type: "agri_log",
                    link: Some(format!("/plots/{plot}#log-{}", row.id)),
                    record_id: row.id.clone(),
                },
                crate::agri::farming::LogOutcome::TooEarly {
                    product, safe_from, ..
                } => {
                    return Err(Error::Conflict(format!(
                        "harvest inside the pre-harvest interval of {product}: safe from {}",
                        safe_from.format("%d/%m/%Y")
                    )))
                }
            }
        }
        Kind::Stocktake => {
            let stocktake = f("stocktake");
            let asset = match crate::ict::stocktakes::asset_by_tag(
                store,
                Some(actor),
                &stocktake,
                &f("tag"),
            )
            .await?
            {
                Some(id) => id,
                None => {
                    return Err(Error::invalid(
                        "tag",
                        "no asset in the register has this tag",
                    ))
                }
            };
            crate::ict::stocktakes::scan(
                store,
                Some(actor),
                &stocktake,
                &asset,
                chrono::Utc::now(),
            )
            .await?;
            Stored {
                record_type: "ict_stocktake",
                link: Some(format!("/stocktakes/{stocktake}")),
                record_id: stocktake,
            }
        }
        Kind::Feedback => {
            let report = crate::feedback::Report {
                category: f("category"),
                description: f("description"),
                location: crate::feedback::Location {
                    latitude: xaso_domain::text::parse_number_vi(&f("latitude")),
                    longitude: xaso_domain::text::parse_number_vi(&f("longitude")),
                    place_code: f("place"),
                    unit_code: f("village"),
                    address: f("address"),
                },
                reporter: crate::feedback::Reporter {
                    name: f("name"),
                    phone: f("phone"),
                    email: String::new(),
                    zalo: String::new(),
                },
                channel: Channel::parse(&f("channel")).unwrap_or(Channel::Counter),
                photos: s.photo.clone().into_iter().collect(),
                asset_id: None,
            };
            if matches!(
                report.channel,
                Channel::Web | Channel::App | Channel::QrPoster | Channel::Open311
            ) {
                return Err(Error::invalid(
                    "channel",
                    "choose how the citizen reached you",
                ));
            }
            let done = crate::feedback::submit(store, files, Some(actor), report).await?;
            Stored {
                record_type: "feedback_case",
                record_id: done.id,
                link: Some(format!("/staff/feedback/{}", done.number)),
            }
        }
        Kind::BatchStep => {
            let batch = f("batch");
            let input = crate::epcis::StepInput {
                step: f("step"),
                time: f("time"),
                at_origin: on("at_origin"),
                quantity: f("quantity"),
                note: f("note"),
            };
            // The step is audited as its EPCIS capture; the phone is shown the batch.
            let acting = Actor {
                offline: actor.offline.as_ref().map(|o| o.naming("batch", &batch)),
                ..actor.clone()
            };
            crate::epcis::record_step(store, Some(&acting), &batch, &input, base).await?;
            Stored {
                record_type: "batch",
                link: Some(format!("/batches/{batch}")),
                record_id: batch,
            }
        }
    };
    Ok(Ok(stored))
}

fn stored(record_type: &'static str, id: String) -> Stored {
    Stored {
        record_type,
        link: link(record_type, &id),
        record_id: id,
    }
}

/// Where staff see a stored record, from its receipt.
pub(crate) fn link(record_type: &str, id: &str) -> Option<String> {
    match record_type {
        "place" => Some(format!("/places/{id}")),
        "dt_attendance" => Some(format!("/training/sessions/{id}")),
        "agri_log" => None,
        "ict_stocktake" => Some(format!("/stocktakes/{id}")),
        "batch" => Some(format!("/batches/{id}")),
        _ => None,
    }
}

fn place_input(f: &impl Fn(&str) -> String, on: &impl Fn(&str) -> bool) -> PlaceInput {
    PlaceInput {
        kind: f("kind"),
        name: f("name"),
        address: f("address"),
        latitude: xaso_domain::text::parse_number_vi(&f("latitude")),
        longitude: xaso_domain::text::parse_number_vi(&f("longitude")),
        vpostcode: String::new(),
        contact_name: f("contact_name"),
        contact_phone: f("contact_phone"),
        public_name: on("public_name"),
        precise_code: false,
        approximate: on("approximate"),
    }
}

/// A correction to a registered place, made on the copy the phone downloaded (`base` is that
/// copy's `updated_at`). Fields the form does not carry keep the server's values.
async fn place_edit(store: &Store, actor: &Actor, f: &impl Fn(&str) -> String) -> Result<Outcome> {
    let id = f("place");
    let now = crate::places::get(store, Some(actor), &id).await?;
    let pick = |k: &str, current: String| {
        let v = f(k);
        if v.is_empty() {
            current
        } else {
            v
        }
    };
    let input = PlaceInput {
        kind: pick("kind", now.kind.as_str().to_string()),
        name: pick("name", now.name.clone()),
        address: pick("address", now.address.clone()),
        latitude: xaso_domain::text::parse_number_vi(&f("latitude")).or(Some(now.latitude)),
        longitude: xaso_domain::text::parse_number_vi(&f("longitude")).or(Some(now.longitude)),
        vpostcode: now.vpostcode.clone().unwrap_or_default(),
        contact_name: now.contact_name.clone().unwrap_or_default(),
        contact_phone: now.contact_phone.clone().unwrap_or_default(),
        public_name: now.public_name,
        precise_code: now.plus_code.len() > 11,
        approximate: now.approximate && f("latitude").is_empty(),
    };
    let base = f("base");
    match crate::places::update_unless_changed(store, Some(actor), &id, &input, Some(&base)).await {
        Ok(p) => Ok(Ok(stored("place", p.id))),
        Err(Error::Conflict(d)) if d == crate::places::CHANGED_MEANWHILE => {
            let p = crate::places::get(store, Some(actor), &id).await?;
            Ok(Err(Answer::Conflict {
                detail: d,
                server: json!({
                    "place": p.id,
                    "base": p.updated_at,
                    "kind": p.kind.as_str(),
                    "name": p.name,
                    "address": p.address,
                    "latitude": p.latitude,
                    "longitude": p.longitude,
                    "updated_by": p.updated_by,
                }),
            }))
        }
        Err(e) => Err(e),
    }
}
