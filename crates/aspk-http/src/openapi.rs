//! The OpenAPI document, generated from the handlers' annotations and the DTO types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    auth, catalog, devices, nodes, orders, requests, scans, sync, system, tickets,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "aspk", description = "Museum ticket sales and admission control. Errors are application/problem+json with a stable `code`."),
    paths(
        auth::token, auth::add_user, auth::renew, auth::sign_out,
        catalog::catalog, catalog::create_slot, catalog::save_venue, catalog::save_product,
        orders::place, orders::get, orders::cancel,
        scans::scan, requests::create,
        tickets::pdf,
        system::status, system::findings, system::resolve, system::healthz,
        nodes::create, nodes::redeem, nodes::list, nodes::revoke,
        sync::status, sync::pull, sync::push, sync::lease, sync::renew_key,
        devices::feed, devices::upload,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
