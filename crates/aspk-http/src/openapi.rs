//! The OpenAPI document at `/api/openapi.json`. Its paths come from the routes themselves
//! (`routes!` in `routes/`: a route is registered from its handler's `#[utoipa::path]`, so the
//! two cannot drift apart), its schemas from the DTO types and the domain enums. Each handler's
//! annotation lists the answers particular to it (its success, its 404 or 409, its role
//! check); [`complete`] adds the ones every route shares from what the route takes: a body
//! (400, 413, 415, 422), a query or path (400), a credential (401), the store (503); a rate
//! limit adds 429 where it is applied. Every error answer is `application/problem+json`.

use axum::body::Bytes;
use axum::http::header;
use axum::routing::{get, MethodRouter};
use axum::Router;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::PathItem;
use utoipa::openapi::{HttpMethod, OpenApi as Document};
use utoipa::{OpenApi, PartialSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ProblemCode;
use crate::limits::Limiters;
use crate::{routes, AppState};

#[derive(OpenApi)]
#[openapi(info(
    title = "aspk",
    description = "Museum ticket sales and admission control. Errors are application/problem+json with a stable `code`."
))]
struct ApiDoc;

/// The API's routes (with their rate limits) and their document.
pub(crate) fn api(limits: &Limiters) -> (Router<AppState>, Value) {
    let mut base = ApiDoc::openapi();
    base.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let (router, doc) = OpenApiRouter::with_openapi(base)
        .merge(routes::api(limits))
        .merge(routes::sync_api())
        .merge(routes::devices::device_api())
        .split_for_parts();
    (router, complete(doc))
}

/// `GET /api/openapi.json`: the document, serialised once.
pub(crate) fn serve(document: &Value) -> MethodRouter<AppState> {
    let body = Bytes::from(serde_json::to_vec(document).unwrap_or_default());
    get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    })
}

/// The document of the API with the default rate limits.
#[cfg(test)]
pub(crate) fn document() -> Value {
    api(&Limiters::new(crate::RateLimits::default())).1
}

/// Adds the 429 of a rate limit to each operation of `item` (called where the limit's layer
/// is put on the route).
pub(crate) fn document_rate_limit(item: &mut PathItem) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    for method in METHODS {
        let Some(op) = operation_mut(item, method) else {
            continue;
        };
        let retry_after = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some("Seconds to wait before trying again."))
            .build();
        let description = op
            .responses
            .responses
            .get("429")
            .and_then(|r| match r {
                utoipa::openapi::RefOr::T(r) => Some(r.description.clone()),
                utoipa::openapi::RefOr::Ref(_) => None,
            })
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| {
                "`rate_limited`: too many requests from this address; try again after \
                 `Retry-After` seconds"
                    .to_owned()
            });
        let response = ResponseBuilder::new()
            .description(description)
            .header("Retry-After", retry_after)
            .build();
        op.responses
            .responses
            .insert("429".to_owned(), response.into());
    }
}

const METHODS: [HttpMethod; 8] = [
    HttpMethod::Get,
    HttpMethod::Put,
    HttpMethod::Post,
    HttpMethod::Delete,
    HttpMethod::Options,
    HttpMethod::Head,
    HttpMethod::Patch,
    HttpMethod::Trace,
];

fn operation_mut(
    item: &mut PathItem,
    method: HttpMethod,
) -> Option<&mut utoipa::openapi::path::Operation> {
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        HttpMethod::Options => item.options.as_mut(),
        HttpMethod::Head => item.head.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Trace => item.trace.as_mut(),
    }
}

const PROBLEM: &str = "application/problem+json";

/// The answers every route shares, added to each operation from what it takes, and the
/// problem+json body on every error answer.
fn complete(doc: Document) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
    let components = object(root, "components");
    let schemes = object(components, "securitySchemes");
    schemes.insert(
        "bearer".into(),
        json!({"type": "http", "scheme": "bearer",
               "description": "A staff member's token from `POST /api/v1/auth/token`."}),
    );
    schemes.insert(
        "node".into(),
        json!({"type": "http", "scheme": "bearer",
               "description": "An enrolled node's or phone's token from `POST /api/v1/enrolments/redeem`."}),
    );
    let schemas = object(components, "schemas");
    schemas.insert(
        "ProblemCode".into(),
        serde_json::to_value(ProblemCode::schema()).unwrap_or_default(),
    );
    schemas.insert(
        "ConflictCode".into(),
        serde_json::to_value(aspk_domain::ConflictCode::schema()).unwrap_or_default(),
    );
    rules_across_fields(schemas);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                complete_operation(op);
            }
        }
    }
    repair(&mut doc);
    doc
}

/// Two repairs of what utoipa writes: an unsigned integer with a maximum beyond its format's
/// range (a `u64` in `int64`) loses the format, which a client would take for a limit; and a
/// tuple of one type (`[from, to]`) is an array of that type and that length, which every
/// client reads (not every one reads `prefixItems`).
fn repair(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(items)) = map.get("prefixItems").cloned() {
                if items.windows(2).all(|pair| pair[0] == pair[1]) {
                    if let Some(item) = items.first() {
                        map.remove("prefixItems");
                        map.insert("items".into(), item.clone());
                        map.insert("minItems".into(), json!(items.len()));
                        map.insert("maxItems".into(), json!(items.len()));
                    }
                }
            }
            let limit = match map.get("format").and_then(Value::as_str) {
                Some("int32") => Some(f64::from(i32::MAX)),
                Some("int64") => Some(9.223_372_036_854_776e18),
                _ => None,
            };
            let beyond = map.get("maximum").and_then(Value::as_f64);
            if let (Some(limit), Some(beyond)) = (limit, beyond) {
                if beyond > limit {
                    map.remove("format");
                }
            }
            map.values_mut().for_each(repair);
        }
        Value::Array(items) => items.iter_mut().for_each(repair),
        _ => {}
    }
}

/// `parent[key]`, made an object when it is not one.
/// The rules that tie one field of a body to another, which a field's own schema cannot say.
fn rules_across_fields(schemas: &mut Map<String, Value>) {
    // `ScanRequest`: exactly one of `code` and `number`.
    if let Some(scan) = schemas.get_mut("ScanRequest") {
        scan["oneOf"] = json!([
            {"required": ["code"],
             "properties": {"code": {"type": "string"}, "number": {"type": "null"}}},
            {"required": ["number"],
             "properties": {"number": {"type": "string"}, "code": {"type": "null"}}},
        ]);
    }
    // `ProductRequest`: a free product costs 0; `valid_from` and `valid_until` come together.
    if let Some(product) = schemas.get_mut("ProductRequest") {
        product["allOf"] = json!([
            {"if": {"required": ["category"], "properties": {"category": {"const": "free"}}},
             "then": {"properties": {"price_minor": {"const": 0}}}},
            {"anyOf": [
                {"required": ["valid_from", "valid_until"],
                 "properties": {"valid_from": {"type": "string"}, "valid_until": {"type": "string"}}},
                {"properties": {"valid_from": {"type": "null"}, "valid_until": {"type": "null"}}},
            ]},
        ]);
    }
}

fn object<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let value = parent.entry(key).or_insert_with(|| json!({}));
    if !value.is_object() {
        *value = json!({});
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

/// What an operation takes, and so which shared answers it may give.
struct Takes {
    body: bool,
    /// A JSON body that must be sent (`ApiJson`): without `application/json`, 415.
    json_body: bool,
    query: bool,
    path: bool,
    credential: bool,
    /// An enrolled node's or phone's token, which a revocation turns away (403).
    node: bool,
}

impl Takes {
    fn of(op: &Map<String, Value>) -> Self {
        let params = op
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let is_in = |place: &str| params.iter().any(|p| p["in"] == place);
        let body = op.get("requestBody");
        let security = op
            .get("security")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Self {
            body: body.is_some(),
            json_body: body.is_some_and(|b| b["required"] == true),
            query: is_in("query"),
            path: is_in("path"),
            credential: security
                .iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty())),
            node: security.iter().any(|r| r.get("node").is_some()),
        }
    }

    /// The shared answers: status, and why (a code and when).
    fn answers(&self) -> Vec<(&'static str, String)> {
        let mut bad = Vec::new();
        if self.body {
            bad.push("`malformed_json`: the body is not valid JSON");
        }
        if self.query {
            bad.push("`bad_query`: a query parameter is malformed");
        }
        if self.path {
            bad.push("`bad_path`: a path parameter is malformed");
        }
        let mut out = Vec::new();
        if !bad.is_empty() {
            out.push(("400", bad.join("; ")));
        }
        if self.credential {
            out.push((
                "401",
                "`unauthenticated`: no credential, or one that is not valid (any more)".into(),
            ));
        }
        if self.node {
            out.push((
                "403",
                "`forbidden`: this node or phone has been revoked, or its kind may not do this"
                    .into(),
            ));
        }
        if self.path {
            out.push(("404", "`not_found`: no such resource".into()));
        }
        if self.body {
            out.push((
                "413",
                "`body_rejected`: the body is larger than this route accepts".into(),
            ));
        }
        if self.json_body {
            out.push((
                "415",
                "`unsupported_media_type`: the body was not sent as `application/json`".into(),
            ));
        }
        if self.body {
            out.push((
                "422",
                "`invalid_input`: the body does not fit its schema, or a value breaks a rule"
                    .into(),
            ));
        }
        out.push((
            "503",
            "`unavailable`: the store does not answer; try again later".into(),
        ));
        out
    }
}

fn complete_operation(op: &mut Map<String, Value>) {
    let takes = Takes::of(op);
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    for (status, why) in takes.answers() {
        let response = responses
            .entry(status)
            .or_insert_with(|| json!({"description": ""}));
        if response["description"].as_str().is_none_or(str::is_empty) {
            response["description"] = Value::String(why);
        }
    }
    for (status, response) in responses.iter_mut() {
        camel_case_links(response);
        if !status.starts_with('4') && !status.starts_with('5') {
            if response["description"].as_str().is_none_or(str::is_empty) {
                response["description"] = Value::String(success_description(status).into());
            }
            continue;
        }
        if response["description"].as_str().is_none_or(str::is_empty) {
            response["description"] = Value::String(default_description(status).into());
        }
        response["content"] =
            json!({PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}});
        if let (true, Some(response)) = (status == "401", response.as_object_mut()) {
            object(response, "headers").insert(
                "WWW-Authenticate".into(),
                json!({"description": "`Bearer`", "schema": {"type": "string"}}),
            );
        }
    }
}

/// utoipa writes a link's fields in snake case (`operation_id`); OpenAPI spells them in camel
/// case (`operationId`).
fn camel_case_links(response: &mut Value) {
    let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
        return;
    };
    for link in links.values_mut().filter_map(Value::as_object_mut) {
        for (snake, camel) in [
            ("operation_id", "operationId"),
            ("operation_ref", "operationRef"),
            ("request_body", "requestBody"),
        ] {
            if let Some(value) = link.remove(snake) {
                link.insert(camel.into(), value);
            }
        }
    }
}

fn success_description(status: &str) -> &'static str {
    match status {
        "201" => "Created",
        "204" => "Done; no content",
        _ => "OK",
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "401" => "`unauthenticated`: no credential, or one that is not valid (any more)",
        "403" => "`forbidden`: the caller's role may not do this",
        "404" => "`not_found`: no such resource",
        "409" => "the state refused the request: see the `code`",
        "422" => "`invalid_input`: a value breaks a rule",
        "429" => "`rate_limited`: too many requests; see `Retry-After`",
        _ => "see the problem's `code`",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_operation_lists_its_shared_answers_as_problems() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 29, "{}", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("503"), "{method} {path}");
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            response["content"][PROBLEM]["schema"]["$ref"],
                            "#/components/schemas/Problem",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn operation_ids_are_unique_and_links_reach_them() {
        let doc = document();
        let mut ids = std::collections::HashSet::new();
        let mut links = Vec::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let id = op["operationId"].as_str().unwrap().to_owned();
                assert!(ids.insert(id.clone()), "{id} twice");
                for response in op["responses"].as_object().unwrap().values() {
                    for link in response["links"].as_object().into_iter().flatten() {
                        links.push(link.1["operationId"].as_str().unwrap().to_owned());
                    }
                }
            }
        }
        assert!(!links.is_empty());
        for target in links {
            assert!(ids.contains(&target), "a link to {target}");
        }
    }

    #[test]
    fn problem_codes_agree_with_their_serde_names() {
        for code in ProblemCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                Value::String(code.as_str().to_owned())
            );
        }
    }
}
