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
        crate::places::transfer::api_import, crate::places::transfer::api_job,
        places_api::encode, places_api::decode, places_api::shorten, places_api::recover, places_api::validate,
        crate::stamps::api_create_order, crate::stamps::api_orders, crate::stamps::api_order, crate::stamps::api_sheet,
        trace_api::producers, trace_api::producer, trace_api::products, trace_api::product, trace_api::batches, trace_api::batch,
        crate::epcis::capture, crate::epcis::events),
    components(schemas(
        xaso_domain::units::Unit, xaso_domain::units::UnitLink, xaso_domain::units::Level, xaso_domain::units::Portion,
        xaso_domain::auth::Role, units_api::UnitList, units_api::UnitDetail, units_api::SearchResult,
        units_api::SearchHit, units_api::NewVillageRequest, auth_api::Me, auth_api::RoleOut,
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
        xaso_domain::places::PlaceInput, xaso_domain::places::PlaceKind, xaso_domain::places::PlaceStatus
    )),
    modifiers(&BearerAuth),
    tags((name = "units", description = "Administrative units with history"),
         (name = "accounts", description = "The caller's account"),
         (name = "audit", description = "Who changed what"),
         (name = "criteria", description = "NTM criteria sets, assessments and roll-ups"),
         (name = "places", description = "Places with digital addresses"),
         (name = "traceability", description = "Producers, products and batches"),
         (name = "stamps", description = "Digital stamp orders and their printable sheets"),
         (name = "epcis", description = "EPCIS 2.0 capture and event query"),
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
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
