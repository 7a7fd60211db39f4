//! Every route of the platform, in one place.

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use axum_extra::extract::CookieJar;

use crate::ctx::{cookie, new_csrf, MintedCsrf, CSRF_COOKIE};
use crate::{
    agri, alerts, assets, auth, broadcast, catalogue, criteria, dt, epcis, error, feedback, field,
    heritage, home, ict, metrics, openapi, ops, places, portal, producers, qr, security, staff,
    stamps, trace_api, units, AppState,
};

/// The platform's routes. The outermost layer puts the security headers on every answer; the
/// next answers a QR scan that leads somewhere before the rest of the stack (no metrics map,
/// no cookies, no error-page wrapper, no routing): it is the one request printed codes make by
/// the thousand. Every other outcome of a scan (a withdrawn or unknown code, an image) goes
/// through the full router.
pub fn router(state: AppState) -> Router {
    routes()
        .router
        // A handler that panics answers 500 (logged) instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panicked,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024))
        .layer(middleware::from_fn(error::error_pages))
        .layer(middleware::from_fn_with_state(state.clone(), csrf_cookie))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            qr::scan_first,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

/// The metrics address's router (`metrics_listen`): `/metrics` and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics_behind_token))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

/// Every route's path (`/units/{code}`, `/api/v1/me` …), for tests that walk them all.
pub fn route_paths() -> Vec<String> {
    routes().paths
}

/// A router that remembers the paths it was given.
struct Routes {
    router: Router<AppState>,
    paths: Vec<String>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    fn route(mut self, path: &str, method: MethodRouter<AppState>) -> Routes {
        self.paths.push(path.to_string());
        self.router = self.router.route(path, method);
        self
    }

    fn nest(mut self, prefix: &str, inner: Routes) -> Routes {
        self.paths
            .extend(inner.paths.iter().map(|p| format!("{prefix}{p}")));
        self.router = self.router.nest(prefix, inner.router);
        self
    }
}

fn routes() -> Routes {
    let api = Routes::new()
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(auth::api::me))
        .route("/units", get(units::api::list).post(units::api::create))
        .route("/units/search", get(units::api::search))
        .route("/units/{code}", get(units::api::show))
        .route("/audit", get(staff::api::audit))
        .route("/places", get(places::api::list).post(places::api::create))
        .route(
            "/places/import",
            post(places::transfer::api_import)
                .layer(axum::extract::DefaultBodyLimit::max(200 * 1024 * 1024)),
        )
        .route("/jobs/{id}", get(places::transfer::api_job))
        .route("/jobs/{id}/restart", post(places::transfer::api_restart))
        .route(
            "/places/{id}",
            get(places::api::show).put(places::api::update),
        )
        .route(
            "/units/{code}/assets",
            get(ict::api::list).post(ict::api::create),
        )
        .route("/assets/{id}", get(ict::api::show).patch(ict::api::patch))
        .route(
            "/devices/{id}/heartbeat",
            post(ict::devices::heartbeat).layer(axum::extract::DefaultBodyLimit::max(4096)),
        )
        .route(
            "/units/{code}/plots",
            get(agri::list)
                .post(agri::create)
                .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
        .route("/plots/{id}", get(agri::show))
        .route("/plots/{id}/logs", post(agri::plot::api_log))
        .route("/units/{code}/agri-stats", get(agri::stats::api))
        .route("/devices/{id}/schedule", get(broadcast::api::schedule))
        .route("/devices/{id}/events", get(alerts::events))
        .route("/units/{code}/broadcast-log", get(broadcast::api::log))
        .route(
            "/devices/{id}/alerts/{alert}/received",
            post(alerts::received),
        )
        .route("/devices/{id}/alerts/{alert}/audio", get(alerts::audio))
        .route("/devices/{id}/media/{item}", get(broadcast::api::media))
        .route(
            "/devices/{id}/plays",
            post(broadcast::api::plays).layer(axum::extract::DefaultBodyLimit::max(256 * 1024)),
        )
        .route("/wifi", get(ict::devices::wifi_api))
        .route(
            "/units/{code}/posts",
            get(portal::api::list).post(portal::api::create),
        )
        .route("/posts/{id}", get(portal::api::show))
        .route("/units/{code}/teams", get(dt::api::teams))
        .route("/units/{code}/dt/{year}", get(dt::api::plan))
        .route("/units/{code}/dt/{year}/rollup", get(dt::api::rollup))
        .route(
            "/training/sessions/{id}/attendance",
            post(dt::api::attendance),
        )
        .route("/units/{code}/producers", get(trace_api::producers))
        .route("/producers/{id}", get(trace_api::producer))
        .route("/producers/{id}/products", get(trace_api::products))
        .route("/products/{id}", get(trace_api::product))
        .route("/products/{id}/batches", get(trace_api::batches))
        .route("/batches/{id}", get(trace_api::batch))
        .route("/batches/{id}/stamp-orders", post(stamps::api_create_order))
        .route("/stamp-orders", get(stamps::api_orders))
        .route("/stamp-orders/{id}", get(stamps::api_order))
        .route("/stamp-orders/{id}/sheet.pdf", get(stamps::api_sheet))
        .route("/pluscode/encode", get(places::api::encode))
        .route("/pluscode/decode", get(places::api::decode))
        .route("/pluscode/shorten", get(places::api::shorten))
        .route("/pluscode/recover", get(places::api::recover))
        .route("/pluscode/validate", get(places::api::validate))
        .route("/criteria-sets", get(criteria::api::list_sets))
        .route("/criteria-sets/{key}", get(criteria::api::show_set))
        .route("/units/{code}/assessment", get(criteria::api::assessment))
        .route("/units/{code}/rollup", get(criteria::api::rollup))
        .route(
            "/units/{code}/indicators/{year}",
            put(criteria::api::save_values),
        )
        .route(
            "/units/{code}/indicators/{year}/review",
            post(criteria::api::review),
        )
        .route(
            "/units/{code}/profile/{year}",
            put(criteria::api::save_profile),
        )
        .route(
            "/units/{code}/indicators/{year}/template.xlsx",
            get(criteria::api::template).post(criteria::api::upload),
        );

    Routes::new()
        // Public pages
        .route("/", get(home::index))
        .route("/units", get(units::html::tree))
        .route("/units/search", get(units::html::search))
        .route("/units/{code}", get(units::html::show))
        .route("/units/{code}/villages", post(units::html::add_village))
        .route(
            "/units/{code}/criteria/{year}",
            get(criteria::html::commune).post(criteria::html::save),
        )
        .route(
            "/units/{code}/criteria/{year}/review",
            post(criteria::html::review),
        )
        .route(
            "/units/{code}/criteria/{year}/template.xlsx",
            get(criteria::html::template),
        )
        .route(
            "/units/{code}/criteria/{year}/upload",
            post(criteria::html::upload),
        )
        .route(
            "/units/{code}/criteria/{year}/evidence",
            post(criteria::html::upload_evidence),
        )
        .route(
            "/units/{code}/criteria/{year}/profile",
            post(criteria::html::save_profile),
        )
        .route(
            "/units/{code}/criteria/{year}/report.pdf",
            get(criteria::html::report_pdf),
        )
        .route(
            "/units/{code}/dossier/{year}",
            get(criteria::html::dossier).post(criteria::html::upload_dossier),
        )
        .route(
            "/units/{code}/dossier/{year}/{level}",
            get(criteria::html::dossier_zip),
        )
        .route(
            "/dossier-files/{id}/delete",
            post(criteria::html::delete_dossier),
        )
        .route(
            "/units/{code}/criteria/{year}/report.xlsx",
            get(criteria::html::report_xlsx),
        )
        .route("/evidence/{id}", get(criteria::html::download_evidence))
        .route(
            "/evidence/{id}/delete",
            post(criteria::html::delete_evidence),
        )
        .route("/units/{code}/rollup/{year}", get(criteria::html::rollup))
        .route(
            "/units/{code}/rollup/{year}/matrix.xlsx",
            get(criteria::html::matrix_xlsx),
        )
        .route("/units/{code}/scorecard", get(criteria::html::scorecard))
        .route(
            "/units/{code}/places",
            get(places::html::list).post(places::html::create),
        )
        .route("/units/{code}/places/new", get(places::html::new_form))
        .route("/units/{code}/places/plates.pdf", get(places::html::plates))
        .route(
            "/units/{code}/places/import",
            get(places::transfer::form)
                .post(places::transfer::upload)
                .layer(axum::extract::DefaultBodyLimit::max(200 * 1024 * 1024)),
        )
        .route(
            "/units/{code}/places.geojson",
            get(places::transfer::export_geojson),
        )
        .route(
            "/units/{code}/places.csv",
            get(places::transfer::export_csv),
        )
        .route("/jobs/{id}", get(places::transfer::job))
        .route("/jobs/{id}/restart", post(places::transfer::restart))
        .route(
            "/places/{id}",
            get(places::html::show).post(places::html::update),
        )
        .route("/places/{id}/status", post(places::html::set_status))
        .route("/a/{code}", get(places::html::address))
        .route("/p/{id}", get(places::html::landing))
        .route("/places/{id}/qr", post(qr::create_for_place))
        .route(
            "/units/{code}/producers",
            get(producers::list).post(producers::create),
        )
        .route("/units/{code}/producers/new", get(producers::new_form))
        .route("/producers/{id}", get(producers::show))
        .route("/producers/{id}/decision", post(producers::decide))
        .route(
            "/producers/{id}/place",
            post(producers::location::set_place),
        )
        .route(
            "/producers/{id}/documents",
            post(producers::documents::add)
                .layer(axum::extract::DefaultBodyLimit::max(22 * 1024 * 1024)),
        )
        .route("/producer-documents/{id}", get(producers::documents::file))
        .route(
            "/producer-documents/{id}/delete",
            post(producers::documents::remove),
        )
        .route(
            "/batches/{id}/origin",
            post(producers::location::set_origin),
        )
        .route("/producers/{id}/products", post(producers::create_product))
        .route("/producers/{id}/products/new", get(producers::new_product))
        .route(
            "/products/{id}",
            get(producers::product).post(producers::update_product),
        )
        .route("/products/{id}/batches", post(producers::add_batch))
        .route("/batches/{id}", get(producers::batch))
        .route("/batches/{id}/status", post(producers::batch_status))
        .route("/batches/{id}/stamp-orders", post(stamps::create_order))
        .route("/stamp-orders/{id}", get(stamps::order))
        .route("/stamp-orders/{id}/sheet.pdf", get(stamps::sheet))
        .route("/s/{code}", get(stamps::stamp))
        .route("/s/{code}/where", post(epcis::stamp_place))
        .route("/units/{code}/catalogue", get(catalogue::list))
        .route("/units/{code}/traceability", get(stamps::dashboard))
        .route("/units/{code}/catalogue/{file}", get(catalogue::export))
        .route("/catalogue/fields", get(catalogue::fields))
        .route("/product-photos/{file}", get(catalogue::photo))
        .route("/product-photos/{id}/delete", post(catalogue::remove_photo))
        .route(
            "/products/{id}/certifications",
            post(catalogue::add_certification)
                .layer(axum::extract::DefaultBodyLimit::max(22 * 1024 * 1024)),
        )
        .route(
            "/products/{id}/photos",
            post(catalogue::add_photo)
                .layer(axum::extract::DefaultBodyLimit::max(22 * 1024 * 1024)),
        )
        .route(
            "/certifications/{id}/delete",
            post(catalogue::remove_certification),
        )
        .route(
            "/certifications/{id}/file",
            get(catalogue::certification_file),
        )
        .route(
            "/products/{id}/listings/{market}",
            post(catalogue::save_listing),
        )
        .route("/batches/{id}/events", post(epcis::record_step))
        .route("/epcis/capture", post(epcis::capture))
        .route("/epcis/capture/{id}", get(epcis::capture_status))
        .route("/epcis/events", get(epcis::events))
        .route("/stamps/{code}/void", post(stamps::void))
        .route("/01/{gtin}", get(stamps::gs1))
        .route("/01/{gtin}/10/{lot}", get(stamps::gs1))
        .route("/01/{gtin}/21/{serial}", get(stamps::gs1))
        .route("/01/{gtin}/10/{lot}/21/{serial}", get(stamps::gs1))
        .route("/places/{id}/heritage", get(heritage::edit))
        .route("/places/{id}/relic", post(heritage::save_relic))
        .route(
            "/places/{id}/photos",
            post(heritage::add_photo).layer(axum::extract::DefaultBodyLimit::max(
                xaso_core::heritage::MAX_PHOTO_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/places/{id}/audio",
            post(heritage::add_audio).layer(axum::extract::DefaultBodyLimit::max(
                xaso_core::heritage::MAX_AUDIO_BYTES + 64 * 1024,
            )),
        )
        .route("/places/{id}/poster.pdf", get(heritage::poster))
        .route("/photos/{file}", get(heritage::photo))
        .route("/photos/{id}/delete", post(heritage::delete_photo))
        .route("/audio/{file}", get(heritage::audio))
        .route("/audio/{id}/delete", post(heritage::delete_audio))
        .route("/units/{code}/heritage", get(heritage::unit))
        .route("/units/{code}/heritage/stats", get(heritage::stats))
        .route("/units/{code}/tours", post(heritage::create_tour))
        .route("/units/{code}/tours/new", get(heritage::new_tour))
        .route(
            "/tours/{id}",
            get(heritage::tour).post(heritage::update_tour),
        )
        .route("/tours/{id}/edit", get(heritage::edit_tour))
        .route("/tours/{id}/delete", post(heritage::delete_tour))
        .route(
            "/feedback",
            get(feedback::form)
                .post(feedback::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    xaso_domain::feedback::MAX_PHOTOS * xaso_core::feedback::MAX_PHOTO_BYTES
                        + 256 * 1024,
                )),
        )
        .route("/feedback/track", get(feedback::track_lookup))
        .route("/feedback/track/{token}", get(feedback::track))
        .route("/feedback/track/{token}/reopen", post(feedback::reopen))
        .route("/feedback/track/{token}/rate", post(feedback::rate))
        .route("/feedback/cases", get(feedback::list))
        .route("/feedback/cases/{number}", get(feedback::public_case))
        .route("/feedback/photos/{file}", get(feedback::photo))
        .route(
            "/feedback/photos/{file}/hide",
            post(feedback::staff::hide_photo),
        )
        .route("/feedback/nearby", get(feedback::nearby))
        .route("/units/{code}/feedback", get(feedback::stats))
        .route("/units/{code}/feedback/poster", get(feedback::poster))
        .route(
            "/open311/v2/{file}",
            get(feedback::open311::root_get)
                .post(feedback::open311::post_request)
                .layer(axum::extract::DefaultBodyLimit::max(
                    xaso_domain::feedback::MAX_PHOTOS * xaso_core::feedback::MAX_PHOTO_BYTES
                        + 256 * 1024,
                )),
        )
        .route(
            "/open311/v2/services/{file}",
            get(feedback::open311::service_definition),
        )
        .route(
            "/open311/v2/requests/{file}",
            get(feedback::open311::one_request),
        )
        .route("/open311/v2/tokens/{file}", get(feedback::open311::token))
        // The DT programme: teams, training, certificates, household support
        .route("/units/{code}/dt", get(dt::commune))
        .route("/units/{code}/dt/plan", get(dt::plan::show))
        .route(
            "/units/{code}/dt/plan/targets",
            post(dt::plan::save_targets),
        )
        .route("/units/{code}/dt/plan/actual", post(dt::plan::save_actual))
        .route(
            "/units/{code}/dt/plan/evidence/{key}",
            get(dt::plan::evidence),
        )
        .route("/units/{code}/dt/plan/report.xlsx", get(dt::plan::report))
        .route("/units/{code}/dt/rollup", get(dt::plan::rollup))
        .route("/units/{code}/assets", get(ict::list).post(ict::create))
        .route("/units/{code}/assets/new", get(ict::new))
        .route("/units/{code}/assets/labels.pdf", get(ict::labels))
        .route(
            "/units/{code}/assets/export.xlsx",
            get(ict::transfer::export_xlsx),
        )
        .route(
            "/units/{code}/assets/export.csv",
            get(ict::transfer::export_csv),
        )
        .route("/units/{code}/assets/import", post(ict::transfer::import))
        .route("/t/{id}", get(ict::scan))
        .route("/ict/kinds", get(ict::kinds::list).post(ict::kinds::save))
        .route("/units/{code}/posts", get(portal::list))
        .route("/units/{code}/pages/{slug}", get(portal::page_by_slug))
        .route(
            "/units/{code}/contacts",
            get(portal::contacts::list).post(portal::contacts::save),
        )
        .route(
            "/units/{code}/contacts/{id}/delete",
            post(portal::contacts::remove),
        )
        .route("/units/{code}/feed.atom", get(portal::feeds::atom))
        .route("/units/{code}/feed.rss", get(portal::feeds::rss))
        .route("/sitemap.xml", get(portal::feeds::sitemap))
        .route(
            "/units/{code}/portal",
            get(portal::edit::manage).post(portal::edit::create),
        )
        .route("/units/{code}/portal/new", get(portal::edit::new))
        .route("/posts/{id}", get(portal::show))
        .route(
            "/posts/{id}/edit",
            get(portal::edit::edit).post(portal::edit::update),
        )
        .route("/posts/{id}/status", post(portal::edit::status))
        .route("/posts/{id}/zalo", post(portal::edit::send_zalo))
        .route("/player/board", get(broadcast::player::board))
        .route("/player/sw.js", get(assets::player_worker))
        // The field app: offline forms and their outbox
        .route("/field", get(field::root))
        .route("/field/", get(field::app))
        .route("/field/sw.js", get(field::worker))
        .route("/field/manifest.webmanifest", get(field::manifest))
        .route("/api/v1/field/session", get(field::api::session))
        .route("/api/v1/field/reference", get(field::api::reference))
        .route("/api/v1/field/records", post(field::api::record))
        .route(
            "/units/{code}/plots",
            get(agri::page).post(agri::create_form),
        )
        .route("/units/{code}/plots/new", get(agri::new))
        .route("/plots/{id}", get(agri::plot::page))
        .route("/plots/{id}/plantings", post(agri::plot::add_planting))
        .route(
            "/plots/{id}/logs",
            post(agri::plot::add_log).layer(axum::extract::DefaultBodyLimit::max(12 * 1024 * 1024)),
        )
        .route("/plots/{id}/growing-area", post(agri::plot::set_area))
        .route("/plots/logs/{id}/photo", get(agri::plot::photo))
        .route("/plots/logs/{id}/delete", post(agri::plot::remove_log))
        .route(
            "/units/{code}/seasons",
            get(agri::seasons::seasons).post(agri::seasons::add_season),
        )
        .route(
            "/units/{code}/growing-areas",
            get(agri::seasons::growing_areas).post(agri::seasons::add_growing_area),
        )
        .route("/units/{code}/agriculture", get(agri::stats::page))
        .route(
            "/units/{code}/farms",
            get(agri::farm::list).post(agri::farm::create),
        )
        .route("/farms/{id}", get(agri::farm::page))
        .route("/units/{code}/agri-stats.xlsx", get(agri::export::xlsx))
        .route(
            "/staff/agri-layout",
            get(agri::export::layout).post(agri::export::set_layout),
        )
        .route(
            "/units/{code}/livestock",
            get(agri::livestock::form).post(agri::livestock::save),
        )
        .route(
            "/units/{code}/plots/kml",
            post(agri::import_kml).layer(axum::extract::DefaultBodyLimit::max(21 * 1024 * 1024)),
        )
        .route(
            "/units/{code}/advisories",
            get(agri::advisory::list).post(agri::advisory::send),
        )
        .route("/advisories/{id}", get(agri::advisory::public))
        .route("/producers/{id}/plots", get(agri::farm))
        .route("/batches/{id}/planting", post(agri::link_batch))
        .route("/units/{code}/broadcast", get(broadcast::index))
        .route("/units/{code}/broadcast/log", get(broadcast::log))
        .route(
            "/units/{code}/alerts",
            get(alerts::index).post(alerts::issue),
        )
        .route("/alerts/{id}", get(alerts::show))
        .route("/alerts/{id}/update", post(alerts::update))
        .route("/alerts/{id}/cancel", post(alerts::cancel))
        .route(
            "/alerts/{id}/recording",
            post(alerts::set_recording)
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route(
            "/units/{code}/alerts/sources",
            get(alerts::follow::sources).post(alerts::follow::add_source),
        )
        .route(
            "/cap-sources/{id}/delete",
            post(alerts::follow::delete_source),
        )
        .route(
            "/cap-sources/{id}/check",
            post(alerts::follow::check_source),
        )
        .route("/cap-drafts/{id}/relay", post(alerts::follow::relay_draft))
        .route(
            "/cap-drafts/{id}/dismiss",
            post(alerts::follow::dismiss_draft),
        )
        .route("/cap/alerts.atom", get(alerts::cap_feed))
        .route("/cap/{file}", get(alerts::cap_xml))
        .route(
            "/units/{code}/broadcast/bulletins",
            post(broadcast::create_bulletin),
        )
        .route(
            "/units/{code}/broadcast/bulletins/new",
            get(broadcast::new_bulletin),
        )
        .route(
            "/bulletins/{id}",
            get(broadcast::show_bulletin).post(broadcast::update_bulletin),
        )
        .route(
            "/bulletins/{id}/media",
            get(broadcast::media)
                .post(broadcast::set_media)
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route("/bulletins/{id}/status", post(broadcast::set_status))
        .route(
            "/units/{code}/broadcast/programmes",
            post(broadcast::programmes::create_programme),
        )
        .route(
            "/units/{code}/broadcast/programmes/new",
            get(broadcast::programmes::new_programme),
        )
        .route(
            "/programmes/{id}",
            get(broadcast::programmes::show_programme)
                .post(broadcast::programmes::update_programme),
        )
        .route(
            "/programmes/{id}/delete",
            post(broadcast::programmes::delete_programme),
        )
        .route("/units/{code}/zalo/connect", post(portal::zalo::connect))
        .route(
            "/units/{code}/zalo/disconnect",
            post(portal::zalo::disconnect),
        )
        .route(portal::zalo::CALLBACK, get(portal::zalo::callback))
        .route("/portal/review", post(portal::edit::set_review))
        .route("/posts/{id}/image", post(portal::media::set_image))
        .route("/posts/{id}/image.jpg", get(portal::media::image))
        .route("/posts/{id}/file", post(portal::media::set_file))
        .route("/posts/{id}/file.pdf", get(portal::media::file))
        .route("/assets/{id}", get(ict::show::show).post(ict::update))
        .route("/assets/{id}/log", post(ict::show::log))
        .route("/assets/{id}/move", post(ict::show::relocate))
        .route("/assets/{id}/files", post(ict::show::add_file))
        .route("/assets/files/{id}", get(ict::show::file))
        .route("/assets/files/{id}/delete", post(ict::show::remove_file))
        .route("/assets/{id}/edit", get(ict::edit))
        .route("/assets/{id}/token", post(ict::devices::make_token))
        .route(
            "/assets/{id}/token/revoke",
            post(ict::devices::revoke_token),
        )
        .route("/wifi", get(ict::devices::wifi_page))
        .route(
            "/units/{code}/assets/stocktakes",
            get(ict::stocktakes::list).post(ict::stocktakes::start),
        )
        .route("/stocktakes/{id}", get(ict::stocktakes::show))
        .route("/stocktakes/{id}/scan", post(ict::stocktakes::scan))
        .route("/stocktakes/{id}/close", post(ict::stocktakes::close))
        .route(
            "/stocktakes/{id}/report.pdf",
            get(ict::stocktakes::report_pdf),
        )
        .route(
            "/stocktakes/{id}/report.xlsx",
            get(ict::stocktakes::report_xlsx),
        )
        .route(
            "/dt/indicators",
            get(dt::plan::indicators).post(dt::plan::save_indicator),
        )
        .route("/dt/indicators/template.xlsx", get(dt::plan::template))
        .route("/dt/indicators/template", post(dt::plan::upload_template))
        .route(
            "/units/{code}/dt/teams",
            get(dt::teams::list).post(dt::teams::create),
        )
        .route("/units/{code}/dt/teams.xlsx", get(dt::teams::export))
        .route("/units/{code}/dt/teams/import", post(dt::teams::import))
        .route(
            "/dt/teams/{id}",
            get(dt::teams::show).post(dt::teams::update),
        )
        .route(
            "/dt/teams/{id}/decision",
            get(dt::teams::decision)
                .post(dt::teams::upload_decision)
                .layer(axum::extract::DefaultBodyLimit::max(22 * 1024 * 1024)),
        )
        .route("/dt/teams/{id}/members", post(dt::teams::add_member))
        .route(
            "/dt/members/{id}",
            get(dt::teams::member).post(dt::teams::update_member),
        )
        .route("/dt/members/{id}/account", post(dt::teams::account))
        .route(
            "/units/{code}/dt/support",
            get(dt::support::form).post(dt::support::record),
        )
        .route(
            "/units/{code}/training",
            get(dt::training::courses).post(dt::training::create_course),
        )
        .route(
            "/units/{code}/training/topics",
            post(dt::training::add_topic),
        )
        .route("/training/courses/{id}", get(dt::training::course))
        .route(
            "/training/courses/{id}/sessions",
            post(dt::training::create_session),
        )
        .route("/training/sessions/{id}", get(dt::training::session))
        .route("/training/sessions/{id}/screen", get(dt::training::screen))
        .route(
            "/training/sessions/{id}/check-in",
            get(dt::training::check_in_form).post(dt::training::check_in),
        )
        .route("/training/sessions/{id}/roster", post(dt::training::roster))
        .route(
            "/training/sessions/{id}/attendance",
            post(dt::training::add_person),
        )
        .route(
            "/training/sessions/{id}/attendance.xlsx",
            post(dt::training::upload),
        )
        .route("/training/sessions/{id}/close", post(dt::training::close))
        .route(
            "/training/sessions/{id}/certificates.pdf",
            get(dt::training::certificates_pdf),
        )
        .route("/certificates/{id}", get(dt::training::certificate))
        .route("/certificates/{id}/pdf", get(dt::training::certificate_pdf))
        .route("/certificates/{id}/revoke", post(dt::training::revoke))
        .route("/certificates/{id}/reissue", post(dt::training::reissue))
        .route("/q/{token}", get(qr::resolve))
        .route("/q/{token}/retire", post(qr::retire))
        .route("/lang", get(home::set_lang))
        // Accounts
        .route(
            "/login",
            get(auth::html::login_form).post(auth::html::login),
        )
        .route("/logout", post(auth::html::logout))
        .route(
            "/account/password",
            get(auth::html::password_form).post(auth::html::change_password),
        )
        // Staff area
        .route("/staff", get(staff::html::index))
        .route("/staff/audit", get(staff::html::audit))
        .route(
            "/staff/tokens",
            get(staff::html::tokens).post(staff::html::create_token),
        )
        .route("/staff/tokens/{id}/revoke", post(staff::html::revoke_token))
        .route("/staff/users", get(staff::html::users))
        .route("/staff/feedback", get(feedback::staff::inbox))
        .route(
            "/staff/feedback/new",
            get(feedback::staff::intake_form)
                .post(feedback::staff::intake)
                .layer(axum::extract::DefaultBodyLimit::max(
                    xaso_domain::feedback::MAX_PHOTOS * xaso_core::feedback::MAX_PHOTO_BYTES
                        + 256 * 1024,
                )),
        )
        .route(
            "/staff/feedback/categories",
            get(feedback::staff::categories).post(feedback::staff::save_category),
        )
        .route("/staff/open311-keys", post(feedback::staff::create_key))
        .route("/staff/feedback/{number}", get(feedback::staff::case))
        .route(
            "/staff/feedback/{number}/status",
            post(feedback::staff::set_status),
        )
        .route(
            "/staff/feedback/{number}/assign",
            post(feedback::staff::assign),
        )
        .route(
            "/staff/feedback/{number}/merge",
            post(feedback::staff::merge),
        )
        .route(
            "/staff/feedback/{number}/split",
            post(feedback::staff::split),
        )
        .route(
            "/staff/dossier-checklist",
            get(criteria::html::checklist).post(criteria::html::save_checklist),
        )
        .route(
            "/staff/criteria",
            get(criteria::html::sets).post(criteria::html::import_set),
        )
        .route("/staff/criteria/{key}", post(criteria::html::upload_set))
        .route("/criteria-sets/{file}", get(criteria::html::set_xlsx))
        // JSON API
        .nest("/api/v1", api)
        // Operations and assets
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/static/{file}", get(assets::serve))
}

/// Gives every visitor a CSRF token cookie with the first page they get, so the first form
/// they see (the sign-in form) is already protected. Answers that are not pages (the JSON API,
/// Open311, files, images) set no cookie: nothing in them posts a form.
async fn csrf_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    // Assets and QR scans need no token (a scan is redirected to a page that mints one).
    let path = req.uri().path();
    if jar.get(CSRF_COOKIE).is_some() || path.starts_with("/static/") || path.starts_with("/q/") {
        return next.run(req).await;
    }
    let token = new_csrf();
    req.extensions_mut().insert(MintedCsrf(token.clone()));
    let mut resp = next.run(req).await;
    let is_page = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_page {
        return resp;
    }
    let c = cookie(CSRF_COOKIE, &token, state.config.secure_cookies, 0);
    if let Ok(v) = c.to_string().parse() {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}
