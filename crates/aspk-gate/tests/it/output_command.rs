use std::path::Path;
use std::time::{Duration, Instant};

use aspk_gate::output::command::COMMAND_TIMEOUT;
use aspk_gate::{Direction, OutputError, OutputSpec, PassInfo, Turnstile};

/// A command that appends the ASPK_* variables it was given to `out`, one line per run.
fn recorder(out: &Path) -> OutputSpec {
    OutputSpec::Command(format!(
        "printf '%s|%s|%s|%s|%s|%s\\n' \"$ASPK_TICKET\" \"$ASPK_RESULT\" \"$ASPK_GATE\" \
         \"$ASPK_DIRECTION\" \"$ASPK_CHECK_DOCUMENT\" \"$ASPK_PULSE_MS\" >> '{}'",
        out.display()
    ))
}

fn admit(ticket: &str, check: bool) -> PassInfo {
    PassInfo {
        ticket: Some(ticket.to_owned()),
        result: "admit".to_owned(),
        gate: "north-1".to_owned(),
        needs_document_check: check,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn command_gets_the_decision_in_env_vars() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("env.txt");
    let t =
        Turnstile::new(recorder(&out), Duration::from_millis(700)).with_direction(Direction::Exit);
    t.open(&admit("4600000000017", true)).await.unwrap();
    t.open(&PassInfo {
        ticket: None,
        result: "staff".to_owned(),
        gate: "north-1".to_owned(),
        needs_document_check: false,
    })
    .await
    .unwrap();
    assert_eq!(
        read(&out),
        "4600000000017|admit|north-1|exit|1|700\n|staff|north-1|exit|0|700\n"
    );
}

#[tokio::test]
async fn free_passage_reaches_the_command_and_suppresses_single_opens() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("env.txt");
    let t = Turnstile::new(recorder(&out), Duration::from_millis(500)).with_gate("south");
    t.hold_open(true).await.unwrap();
    assert!(t.is_held_open());
    t.open(&admit("1", false)).await.unwrap(); // already open: nothing runs
    t.hold_open(false).await.unwrap();
    t.open(&admit("2", false)).await.unwrap();
    assert_eq!(
        read(&out),
        "|free_passage_on|south|entry|0|500\n\
         |free_passage_off|south|entry|0|500\n\
         2|admit|north-1|entry|0|500\n"
    );
}

#[tokio::test]
async fn non_zero_exit_is_an_error_with_stderr() {
    let t = Turnstile::new(
        OutputSpec::Command("echo 'relay board not found' >&2; exit 3".to_owned()),
        Duration::from_millis(100),
    );
    let err = t.open(&admit("1", false)).await.unwrap_err();
    assert!(matches!(err, OutputError::CommandFailed { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("3") && msg.contains("relay board not found"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_hanging_command_times_out_and_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let t = Turnstile::new(
        OutputSpec::Command(format!(
            "sleep 60 & echo $! > '{}'; wait",
            pid_file.display()
        )),
        Duration::from_millis(100),
    );
    let started = Instant::now();
    let err = t.open(&admit("1", false)).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, OutputError::CommandTimeout(_)), "{err:?}");
    assert!(
        took >= COMMAND_TIMEOUT && took < COMMAND_TIMEOUT + Duration::from_secs(3),
        "{took:?}"
    );

    // The background `sleep` the script started is gone too (or a zombie awaiting reaping).
    let pid = read(&pid_file).trim().to_owned();
    assert!(!pid.is_empty());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        if stat.is_empty() || state == Some("Z") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "child {pid} still running: {stat}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn none_output_does_nothing() {
    let t = Turnstile::new(OutputSpec::None, Duration::from_millis(100));
    t.open(&admit("1", false)).await.unwrap();
    t.hold_open(true).await.unwrap();
    t.hold_open(false).await.unwrap();
}
