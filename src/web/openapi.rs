//! The OpenAPI document of the JSON API (`/api/openapi.json`), gathered from every handler's
//! annotations.

use axum::Json;
use utoipa::OpenApi;

/// The OpenAPI 3.1 description of this API, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "papers", description = "Search arXiv and venue papers"),
    paths(
        super::api::search,
        super::api::paper,
        super::api::categories,
        super::api::sync,
        super::similar::similar,
        super::admin::api_start,
        super::admin::api_list,
        super::admin::api_job,
        super::admin::api_action,
        super::venues::api_venues,
        super::faq::faq,
        super::faq::events,
        super::admin_faq::api_start,
        super::admin_faq::api_status
    ),
    components(schemas(crate::index::Sort, crate::embed::similar::Same)),
    modifiers(&AdminToken, &Tags)
)]
pub struct ApiDoc;

/// The admin routes take `Authorization: Bearer <PAPERS_ADMIN_TOKEN>`.
struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Tags each operation by what it is about (utoipa's default tag is the Rust module path).
struct Tags;

impl utoipa::Modify for Tags {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let tag = if path.starts_with("/api/admin") {
                "admin"
            } else if path.contains("/faq") {
                "faq"
            } else if path.starts_with("/api/venues") {
                "venues"
            } else if path.starts_with("/api/papers") || path.starts_with("/api/similar") {
                "papers"
            } else {
                "search"
            };
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                op.tags = Some(vec![tag.to_string()]);
            }
        }
    }
}

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
