//! Staff sessions in time, on a server whose clock the test moves: a page in use renews its
//! session when half its time is gone, an idle one runs out, and no session outlives the
//! longest shift however often it is renewed.

use std::sync::Arc;

use aspk_domain::ManualClock;
use chrono::Duration;
use reqwest::{header, StatusCode};

use crate::kit::{sign_in_form, TestApp};

/// The `aspk_session` value a response sets, if it sets one.
fn session_set_by(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("aspk_session="))
        .and_then(|c| c.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Opens the box office with `session`: the answer's status and any renewed session.
async fn open_box_office(app: &TestApp, session: &str) -> (StatusCode, Option<String>) {
    let response = app
        .client
        .get(format!("{}/box-office", app.base))
        .header(header::COOKIE, format!("aspk_session={session}"))
        .send()
        .await
        .expect("box office page");
    (response.status(), session_set_by(&response))
}

async fn signed_in(app: &TestApp) -> String {
    let answer = sign_in_form(&app.client, &format!("{}/", app.base), "admin", "demo").await;
    assert!(answer.status().is_redirection(), "{}", answer.status());
    session_set_by(&answer).expect("signing in sets the session cookie")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_in_use_renews_its_session_and_an_idle_one_runs_out() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let first = signed_in(&app).await;

    let (status, renewed) = open_box_office(&app, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renewed, None, "a fresh session is not renewed");

    clock.advance(Duration::minutes(16));
    let (status, renewed) = open_box_office(&app, &first).await;
    assert_eq!(status, StatusCode::OK, "16 minutes in, the session holds");
    let second = renewed.expect("with less than half its time left, the page renews it");
    assert_ne!(second, first);

    clock.advance(Duration::minutes(16));
    let (status, _) = open_box_office(&app, &first).await;
    assert!(
        status.is_redirection(),
        "the first token ran out after 30 minutes: {status}"
    );
    let (status, _) = open_box_office(&app, &second).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the renewed one runs 30 minutes from its renewal"
    );

    clock.advance(Duration::minutes(31));
    let (status, renewed) = open_box_office(&app, &second).await;
    assert!(
        status.is_redirection(),
        "an idle half hour ends it: {status}"
    );
    assert_eq!(renewed, None, "an expired session is not renewed");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_session_outlives_the_longest_shift_however_often_it_is_renewed() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let mut session = signed_in(&app).await;
    let mut minutes = 0;
    // Every 20 minutes the page is used and renews the session, for 13 h 40 min.
    while minutes + 20 < aspk_app::MAX_SESSION_HOURS * 60 {
        clock.advance(Duration::minutes(20));
        minutes += 20;
        let (status, renewed) = open_box_office(&app, &session).await;
        assert_eq!(status, StatusCode::OK, "{minutes} minutes in");
        session = renewed.unwrap_or(session);
    }
    clock.advance(Duration::minutes(
        aspk_app::MAX_SESSION_HOURS * 60 - minutes + 1,
    ));
    let (status, _) = open_box_office(&app, &session).await;
    assert!(
        status.is_redirection(),
        "past {} hours the session ends: {status}",
        aspk_app::MAX_SESSION_HOURS
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_token_runs_out_unless_renewed() {
    let clock = ManualClock::starting_now();
    let app = TestApp::spawn_at(clock.clone() as Arc<_>).await;
    let token = app.admin().await;
    clock.advance(Duration::minutes(20));
    let (status, body) = app
        .post("/api/v1/auth/renew", Some(&token), serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["token"].as_str().expect("a renewed token").to_owned();

    clock.advance(Duration::minutes(15));
    let findings = |t: &str| {
        app.client
            .get(format!("{}/api/v1/findings", app.base))
            .bearer_auth(t.to_owned())
            .send()
    };
    let old = findings(&token).await.expect("findings").status();
    assert_eq!(old, StatusCode::UNAUTHORIZED, "the old token ran out");
    let new = findings(&renewed).await.expect("findings").status();
    assert_eq!(new, StatusCode::OK, "the renewed one still works");
}
