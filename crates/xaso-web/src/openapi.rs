//! The OpenAPI document, generated from the handlers' annotations so it cannot drift from them.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::api as auth_api;
use crate::criteria::api as criteria_api;
use crate::places::api as places_api;
use crate::staff::api as staff_api;
use crate::trace_api;
use crate::units::api as units_api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Xã Số API", description = "JSON API of Xã Số. Errors come as {\"errors\":[{\"detail\":…}]}. Dates are ISO 8601; unit codes are read as of a date because the 2025 reform reused them."),
    paths(units_api::list, units_api::show, units_api::search, units_api::create, auth_api::me, staff_api::audit,
        criteria_api::list_sets, criteria_api::show_set, criteria_api::assessment, criteria_api::rollup, criteria_api::save_values, criteria_api::review,
        criteria_api::template, criteria_api::upload, criteria_api::save_profile,
        places_api::list, places_api::show, places_api::create, places_api::update,
        crate::places::transfer::api_import, crate::places::transfer::api_job, crate::places::transfer::api_restart,
        places_api::encode, places_api::decode, places_api::shorten, places_api::recover, places_api::validate,
        crate::stamps::api_create_order, crate::stamps::api_orders, crate::stamps::api_order, crate::stamps::api_sheet,
        trace_api::producers, trace_api::producer, trace_api::products, trace_api::product, trace_api::batches, trace_api::batch,
        crate::epcis::capture, crate::epcis::events,
        crate::dt::api::teams, crate::dt::api::attendance, crate::dt::api::plan,
        crate::dt::api::rollup,
        crate::ict::api::list, crate::ict::api::create, crate::ict::api::show, crate::ict::api::patch,
        crate::ict::devices::heartbeat, crate::ict::devices::wifi_api,
        crate::portal::api::list, crate::portal::api::show, crate::portal::api::create,
        crate::broadcast::api::schedule, crate::broadcast::api::media, crate::broadcast::api::plays,
        crate::alerts::events, crate::alerts::received, crate::alerts::audio,
        crate::broadcast::api::log,
        crate::agri::list, crate::agri::create, crate::agri::show, crate::agri::plot::api_log,
        crate::agri::stats::api,
        crate::field::api::session, crate::field::api::reference, crate::field::api::record),
    components(schemas(
        crate::field::api::SessionOut, crate::field::api::RecordIn, crate::field::api::RecordForm,
        xaso_domain::units::Unit, xaso_domain::units::UnitLink, xaso_domain::units::Level, xaso_domain::units::Portion,
        xaso_domain::auth::Role, units_api::UnitList, units_api::UnitDetail, units_api::SearchResult,
        units_api::SearchHit, units_api::NewVillageRequest, units_api::VillageType, auth_api::Me, auth_api::RoleOut,
        staff_api::AuditPage, staff_api::AuditEntryOut,
        criteria_api::SetList, criteria_api::SetSummary, criteria_api::SetDetail, criteria_api::AssessmentOut,
        criteria_api::SetOut, criteria_api::CriterionOut, criteria_api::IndicatorOut, criteria_api::RollupOut,
        criteria_api::RollupMember, criteria_api::ValuesIn, criteria_api::ValueIn, criteria_api::Saved,
        criteria_api::ReviewIn, criteria_api::ReviewOut, criteria_api::UploadOut, criteria_api::ProfileIn,
        xaso_domain::criteria::CriteriaSet, xaso_domain::criteria::Criterion, xaso_domain::criteria::Indicator,
        xaso_domain::criteria::Kind, xaso_domain::criteria::KeyedBy, xaso_domain::criteria::NtmLevel,
        xaso_domain::criteria::Status,
        places_api::CodeOut, places_api::AreaOut, places_api::ValidityOut,
        crate::places::transfer::JobStarted, crate::places::transfer::JobOut, crate::places::transfer::ProblemOut,
        crate::stamps::OrderOut, crate::stamps::OrderList, crate::stamps::NewOrderIn,
        trace_api::ProducerOut, trace_api::ProducerList, trace_api::ProductOut, trace_api::ProductList,
        trace_api::OcopOut, trace_api::BatchOut, trace_api::BatchList,
        places_api::PlaceOut, places_api::PlaceList, places_api::UnitRef, places_api::ContactOut, places_api::NewPlaceIn,
        xaso_domain::places::PlaceInput, xaso_domain::places::PlaceKind, xaso_domain::places::PlaceStatus,
        crate::dt::api::TeamOut, crate::dt::api::TeamList, crate::dt::api::PersonIn,
        crate::dt::api::AttendanceIn, crate::dt::api::AttendanceOut,
        crate::dt::api::CellOut, crate::dt::api::SourceOut, crate::dt::api::PlanLineOut,
        crate::dt::api::UnitCellsOut, crate::dt::api::PlanOut, crate::dt::api::AreaLineOut,
        crate::dt::api::DtRollupOut,
        crate::ict::api::AssetOut, crate::ict::api::AssetList, crate::ict::api::NetworkOut,
        crate::ict::api::WifiOut, xaso_domain::ict::AssetInput, crate::agri::plot::LogIn,
        xaso_domain::ict::devices::Figures, xaso_domain::ict::devices::DeviceState,
        crate::ict::devices::WifiList, crate::ict::devices::WifiPointOut,
        crate::portal::api::PostOut, crate::portal::api::PostList, xaso_domain::portal::PostInput,
        xaso_domain::portal::PostKind, xaso_domain::portal::PostStatus,
        xaso_domain::broadcast::PlayReport, crate::broadcast::api::Plays, crate::broadcast::api::PlaysKept, crate::broadcast::api::BroadcastLog,
        Errors, ErrorItem
    )),
    modifiers(&BearerAuth, &ErrorAnswers, &ParamSchemas),
    tags((name = "units", description = "Administrative units with history"),
         (name = "accounts", description = "The caller's account"),
         (name = "audit", description = "Who changed what"),
         (name = "criteria", description = "NTM criteria sets, assessments and roll-ups"),
         (name = "places", description = "Places with digital addresses"),
         (name = "traceability", description = "Producers, products and batches"),
         (name = "stamps", description = "Digital stamp orders and their printable sheets"),
         (name = "epcis", description = "EPCIS 2.0 capture and event query"),
         (name = "dt", description = "The commune's digital-transformation programme: teams and training"),
         (name = "ict", description = "The ICT register: a commune's devices (staff only), device heartbeats (a device's own token) and the public Wi-Fi points"),
         (name = "broadcast", description = "Loudspeakers and e-bulletin boards: a device's schedule, its media and its play reports (the device's own token; docs/PLAYERS.md)"),
         (name = "agri", description = "Agricultural data: a commune's plots as GeoJSON with their area computed on the WGS 84 ellipsoid, their plantings and field logs (staff and the plot's producer only: plots name their holders), and season statistics"),
         (name = "field", description = "The field app: records made offline on a phone, each sent once with its own UUIDv7 (also the Idempotency-Key), and the reference lists its forms use, refreshed from a cursor"),
         (name = "pluscode", description = "Plus Codes (Open Location Code): encode, decode, shorten, recover, validate"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        // A device's own token (made and shown once by its commune's staff), for heartbeats and
        // the loudspeaker and board protocol.
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Nothing but white space (as Rust's `trim` sees it): an optional parameter given empty,
/// as a form sends an empty field, counts as not given.
const BLANK: &str =
    r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";

/// `item`, or a blank value meaning "not given".
fn or_blank(
    item: impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(item)
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(BLANK)),
            )
            .build(),
    )
}

/// A date (yyyy-mm-dd), or blank for "not given".
pub fn date_or_empty() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    or_blank(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
    )
}

/// A date (yyyy-mm-dd) in a JSON body: null or blank for "not given".
pub fn date_blank_or_null() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    match date_or_empty() {
        Schema::OneOf(mut one_of) => {
            one_of
                .items
                .push(ObjectBuilder::new().schema_type(Type::Null).into());
            Schema::OneOf(one_of)
        }
        other => other,
    }
}

/// Reads such a date: null, absent or blank is none.
pub fn blank_date<'de, D>(d: D) -> Result<Option<chrono::NaiveDate>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{v}` is not a date (yyyy-mm-dd)"))),
    }
}

/// A kind of place, or blank for any.
pub fn place_kind_or_empty() -> utoipa::openapi::schema::Schema {
    or_blank(utoipa::openapi::Ref::from_schema_name("PlaceKind"))
}

/// Query parameter schemas the derive cannot state (its `schema_with` drops a parameter's
/// description and whether it is required): Plus Code shapes built from the specification's
/// alphabet, dates and kinds that may be given blank for "not given", code lengths. Set by
/// name, keeping the rest of each parameter as the derive wrote it.
struct ParamSchemas;

impl Modify for ParamSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::Schema;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
            ];
            for op in ops.into_iter().flatten() {
                for p in op.parameters.iter_mut().flatten() {
                    if p.parameter_in != ParameterIn::Query {
                        continue;
                    }
                    let schema: Schema = match (path.as_str(), p.name.as_str()) {
                        (
                            "/api/v1/units" | "/api/v1/units/{code}" | "/api/v1/units/search",
                            "as_of",
                        )
                        | ("/api/v1/audit", "as_of" | "from" | "to") => date_or_empty(),
                        ("/api/v1/places", "kind") => place_kind_or_empty(),
                        ("/api/v1/pluscode/encode", "length") => places_api::code_length(),
                        ("/api/v1/pluscode/decode", "code") => {
                            places_api::code_pattern::full().into()
                        }
                        ("/api/v1/pluscode/shorten", "code") => {
                            places_api::code_pattern::unpadded().into()
                        }
                        ("/api/v1/pluscode/recover", "code") => {
                            places_api::code_pattern::short_or_full().into()
                        }
                        _ => continue,
                    };
                    p.schema = Some(schema.into());
                }
            }
        }
    }
}

/// The body of every error answer of the JSON API.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Errors {
    pub errors: Vec<ErrorItem>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// What was wrong, in English.
    pub detail: String,
    /// The field or parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub source: Option<String>,
}

/// The error answers the edge gives any operation of the JSON API, whatever its handler does:
/// 400 when a parameter or body cannot be read into its type, 401 for an unknown or revoked
/// bearer token (or none where one is needed), 404 when a path names nothing; and every 4xx
/// answer's body is `Errors`. Handlers document the rest (403, 409, 422 …) themselves.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let has_path_params = path.contains('{');
            let ops = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for op in ops.into_iter().flatten() {
                let has_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut shared = vec![(
                    "401",
                    "The bearer token is unknown or revoked, or the operation needs one",
                )];
                if has_input {
                    shared.push((
                        "400",
                        "A parameter or the body could not be read (wrong type, shape or content type)",
                    ));
                }
                if has_path_params {
                    shared.push(("404", "Nothing has this identifier"));
                }
                for (status, description) in shared {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| ResponseBuilder::new().description(description).into());
                }
                for (status, answer) in op.responses.responses.iter_mut() {
                    if let (true, RefOr::T(answer)) = (status.starts_with('4'), answer) {
                        if answer.content.is_empty() {
                            answer.content.insert(
                                "application/json".into(),
                                Content::new(Some(Ref::from_schema_name("Errors"))),
                            );
                        }
                    }
                }
            }
        }
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
