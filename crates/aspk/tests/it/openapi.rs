//! `/api/openapi.json` as a client that generates its code from it reads it: each route the
//! server answers is in it and nothing else, each domain enum with its values, each error
//! answer as problem+json, each rate limit's 429. (Schemathesis checks the rest against the
//! running server: scripts/schemathesis.)

use reqwest::StatusCode;
use serde_json::Value;

use crate::kit::{Backend, TestApp};

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    doc
}

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// The domain's names and the API's own states beyond them (an online order's hold).
fn with<T: std::fmt::Display>(all: &[T], more: &[&str]) -> Value {
    let mut list: Vec<String> = all.iter().map(ToString::to_string).collect();
    list.extend(more.iter().map(|m| (*m).to_owned()));
    Value::from(list)
}

fn names<T: std::fmt::Display>(all: &[T]) -> Value {
    Value::from(all.iter().map(ToString::to_string).collect::<Vec<_>>())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_domain_enums_are_listed_with_their_values() {
    use aspk_domain::{
        Category, Channel, ConflictCode, FindingKind, OrderStatus, PaymentMethod, Role,
        TicketStatus,
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for (name, values) in [
        ("Channel", names(Channel::ALL)),
        ("PaymentMethod", names(PaymentMethod::ALL)),
        ("Category", names(Category::ALL)),
        (
            "OrderStatusDto",
            with(
                OrderStatus::ALL,
                &["pending_payment", "expired", "payment_refused"],
            ),
        ),
        (
            "TicketStatusDto",
            with(TicketStatus::ALL, &["pending_payment"]),
        ),
        ("Role", names(Role::ALL)),
        ("FindingKind", names(FindingKind::ALL)),
        ("ConflictCode", names(ConflictCode::ALL)),
    ] {
        assert_eq!(schemas[name]["enum"], values, "{name}");
    }
    // Used where they are carried, not as bare strings.
    let order = &schemas["OrderResponse"]["properties"];
    assert_eq!(order["channel"]["$ref"], "#/components/schemas/Channel");
    assert_eq!(
        order["status"]["$ref"],
        "#/components/schemas/OrderStatusDto"
    );
    let finding = &schemas["FindingDto"]["properties"];
    assert_eq!(finding["kind"]["$ref"], "#/components/schemas/FindingKind");
    assert_eq!(
        schemas["UserRequest"]["properties"]["role"]["$ref"],
        "#/components/schemas/Role"
    );
    // A problem's code is one of two closed lists, the conflicts' among them.
    let code = &schemas["Problem"]["properties"]["code"]["oneOf"];
    assert_eq!(
        code[1]["$ref"], "#/components/schemas/ConflictCode",
        "{code}"
    );
    let general = schemas["ProblemCode"]["enum"].as_array().unwrap();
    for known in [
        "invalid_input",
        "not_found",
        "sold_out",
        "rate_limited",
        "bad_query",
    ] {
        assert!(general.contains(&Value::from(known)), "{known}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_answer_is_documented_as_problem_json() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let mut ids = std::collections::HashSet::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        let id = op["operationId"].as_str().unwrap().to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} twice");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("503"), "{what}: 503");
        for (status, response) in responses {
            let description = response["description"].as_str().unwrap_or_default();
            assert!(!description.is_empty(), "{what} {status}: a description");
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{what} {status}"
                );
                assert!(
                    response["content"].get("application/json").is_none(),
                    "{what} {status}"
                );
            }
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{what}: a body, so {status}"
                );
            }
        }
        if params
            .iter()
            .any(|p| p["in"] == "query" || p["in"] == "path")
        {
            assert!(responses.contains_key("400"), "{what}: parameters, so 400");
        }
        let secured = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
        if secured {
            assert!(
                responses.contains_key("401"),
                "{what}: a credential, so 401"
            );
        }
        // Query parameters are in the query, with their real `required`.
        for p in &params {
            let name = p["name"].as_str().unwrap();
            if p["in"] == "path" {
                assert!(path.contains(&format!("{{{name}}}")), "{what}: {name}");
            }
        }
    }
    let catalog = &doc["paths"]["/api/v1/catalog"]["get"]["parameters"];
    let venue = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "venue")
        .unwrap();
    assert_eq!(venue["in"], "query");
    assert_eq!(venue["required"], true);
    // Links point at operations that exist.
    for (method, path, op) in operations(&doc) {
        for response in op["responses"].as_object().unwrap().values() {
            for link in response["links"].as_object().into_iter().flatten() {
                let target = link.1["operationId"].as_str().unwrap();
                assert!(ids.contains(target), "{method} {path}: link to {target}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_rate_limited_route_documents_its_429() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let limited = [
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/orders/{number}"),
        ("POST", "/api/v1/requests"),
        ("GET", "/api/v1/tickets/{number}/pdf"),
        ("GET", "/api/v1/status"),
        ("POST", "/api/v1/enrolments/redeem"),
        ("POST", "/api/v1/mail/inbound"),
    ];
    for (method, path, op) in operations(&doc) {
        let is_limited = limited.contains(&(method.as_str(), path.as_str()));
        let answer = &op["responses"]["429"];
        if is_limited {
            assert!(
                answer["headers"]["Retry-After"].is_object(),
                "{method} {path}"
            );
        } else {
            assert!(answer.is_null(), "{method} {path}: no limit, no 429");
        }
    }
}

/// The document comes from the routes: each documented operation is served (a request to it
/// is not the fallback's 404 nor a 405), and each path the API serves is documented.
#[tokio::test(flavor = "multi_thread")]
async fn each_documented_operation_is_served() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 29, "{}", ops.len());
    for (method, path, _) in &ops {
        let url = format!("{}{}", app.base, path.replace('{', "x").replace('}', ""));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let fallback = body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("no such resource"));
        assert!(!fallback, "{method} {path} is not served: {body}");
    }
    for served in [
        "/api/v1/auth/token",
        "/api/v1/catalog",
        "/api/v1/venues/{venue}/slots",
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/cancel",
        "/api/v1/scans",
        "/api/v1/tickets/{number}/pdf",
        "/api/v1/status",
        "/api/v1/findings",
        "/api/v1/sync/pull",
        "/api/v1/device/feed",
        "/healthz",
    ] {
        assert!(doc["paths"].get(served).is_some(), "{served}");
    }
}
