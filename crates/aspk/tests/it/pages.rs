//! The staff pages: sign-in at `/`, the app behind it, Ukrainian by default.

use crate::kit::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn staff_pages_need_sign_in_and_speak_both_languages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Вхід для працівників") && html.contains("lang=\"uk\""),
        "{html}"
    );
    let english = app
        .client
        .get(format!("{}/?lang=en", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        english.headers().get("set-cookie").is_some(),
        "the language is remembered"
    );
    assert!(english.text().await.unwrap().contains("Staff sign-in"));
    for path in ["/box-office", "/orders", "/requests", "/reports", "/status"] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            303,
            "{path} sends a signed-out visitor to sign in"
        );
        assert_eq!(r.headers()["location"], "/");
    }
    let bad =
        crate::kit::sign_in_form(&app.client, &format!("{}/", app.base), "admin", "nope").await;
    assert_eq!(bad.status(), 401);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("Неправильне ім’я або пароль"));
    let ok =
        crate::kit::sign_in_form(&app.client, &format!("{}/", app.base), "admin", "demo").await;
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let session = cookie.split(';').next().unwrap().to_owned();
    let status = app
        .client
        .get(format!("{}/status?lang=en", app.base))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    let html = status.text().await.unwrap();
    assert!(
        html.contains("System status") && html.contains("cloud"),
        "{html}"
    );
}
