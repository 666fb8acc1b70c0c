//! The command line: clear one-line errors and non-zero exits, never a panic trace.

use std::process::Command;

use crate::kit::{binary, Process};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .output()
        .expect("run aspk");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean_failure(args: &[&str], needle: &str) {
    let (ok, _, stderr) = run(args);
    assert!(!ok, "{args:?} must fail");
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr names the problem ({needle}): {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "no panic: {stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "one error line: {stderr}"
    );
}

#[test]
fn version_and_help() {
    let (ok, stdout, _) = run(&["--version"]);
    assert!(ok && stdout.starts_with("aspk "), "{stdout}");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "add", "--help"],
    ] {
        let (ok, stdout, _) = run(args);
        assert!(ok && stdout.contains("Usage"), "{args:?}: {stdout}");
    }
    let (ok, stdout, _) = run(&["serve", "--help"]);
    assert!(ok);
    for flag in [
        "--data",
        "--listen",
        "--database",
        "--demo",
        "--upstream",
        "--enrol",
    ] {
        assert!(stdout.contains(flag), "serve --help lists {flag}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_port_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::serve(dir.path(), &[]).await;
    let other = tempfile::tempdir().unwrap();
    let listen = server.base.trim_start_matches("http://").to_owned();
    assert_clean_failure(
        &[
            "serve",
            "--data",
            other.path().to_str().unwrap(),
            "--listen",
            &listen,
        ],
        "cannot listen",
    );
}

#[test]
fn an_unwritable_data_folder_is_a_clear_error() {
    assert_clean_failure(
        &[
            "serve",
            "--data",
            "/proc/aspk-cannot-be-here",
            "--listen",
            "127.0.0.1:0",
        ],
        "/proc/aspk-cannot-be-here",
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_clean_failure(
        &[
            "serve",
            "--data",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--database",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ],
        "cannot connect to PostgreSQL",
    );
    let (_, _, stderr) = run(&[
        "serve",
        "--data",
        dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--database",
        "postgres://nobody:secret@127.0.0.1:1/none",
    ]);
    assert!(
        !stderr.contains("secret"),
        "passwords are not printed: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_folder_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _server = Process::serve(dir.path(), &[]).await;
    assert_clean_failure(
        &[
            "serve",
            "--data",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        "in use",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_add_creates_the_first_admin_of_a_real_install() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = Command::new(binary())
        .args([
            "user",
            "add",
            "olha",
            "--role",
            "manager",
            "--password-env",
            "PW",
            "--data",
            data,
        ])
        .env("PW", "long secret 1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(binary())
        .args([
            "user",
            "add",
            "olha",
            "--password-env",
            "PW",
            "--data",
            data,
        ])
        .env("PW", "long secret 1")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a second user with the same name is refused"
    );
    let server = Process::serve(dir.path(), &[]).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&serde_json::json!({"username": "olha", "password": "long secret 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// `--tls-cert/--tls-key`: the node serves HTTPS itself (phones need it for the camera and
/// offline start), and the links it hands out say https.
#[tokio::test(flavor = "multi_thread")]
async fn serves_https_with_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let mut command = std::process::Command::new(crate::kit::binary());
    command
        .args(["serve", "--demo", "--data"])
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path);
    // Killed when dropped, also when an assertion fails.
    let server = crate::kit::Process::spawn(command);
    let (base, port) = (server.base.clone(), server.port());
    assert!(
        base.starts_with("https://"),
        "it says it serves HTTPS: {base}"
    );
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut healthy = false;
    for _ in 0..200 {
        if trusting
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(healthy, "answers over HTTPS");
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "no plain HTTP"
    );
    let token = crate::kit::admin_token(&trusting, &base).await;
    let code: serde_json::Value = trusting
        .post(format!("{base}/api/v1/enrolments"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"role": "scanner", "venue": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        code["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/scan#pair=")),
        "{code}"
    );
    drop(server);
    // A key file that is not one: a one-line error, non-zero exit.
    std::fs::write(&key_path, "not a key").unwrap();
    let out = std::process::Command::new(crate::kit::binary())
        .args(["serve", "--data"])
        .arg(dir.path().join("data2"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
