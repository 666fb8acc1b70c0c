use std::time::Duration;

use aspk_gate::{decision_line, Feedback, OutputSpec, PassInfo, Signal};
use serde_json::{json, Value};

#[test]
fn decision_line_is_the_contract_shape() {
    assert_eq!(
        decision_line("admit", Some("4600000000017"), false, Value::Null),
        r#"{"result":"admit","ticket":"4600000000017","offline":false}"#
    );
    assert_eq!(
        decision_line("unknown", None, true, json!({})),
        r#"{"result":"unknown","offline":true}"#
    );
}

#[test]
fn decision_line_extras_follow_and_cannot_override_the_contract() {
    let line = decision_line(
        "already_used",
        Some("1"),
        true,
        json!({"first_entry": {"gate": "g1"}, "result": "admit", "offline": false, "check_document": true}),
    );
    assert_eq!(
        line,
        r#"{"result":"already_used","ticket":"1","offline":true,"check_document":true,"first_entry":{"gate":"g1"}}"#
    );
    assert_eq!(
        decision_line("invalid", None, false, json!("odd")),
        r#"{"result":"invalid","offline":false,"extra":"odd"}"#
    );
}

#[test]
fn decision_line_stays_one_line_whatever_the_input() {
    let line = decision_line(
        "invalid",
        Some("12\n34\r\"x\""),
        false,
        json!({"note": "a\nb"}),
    );
    assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
    let back: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(back["ticket"], "12\n34\r\"x\"");
    assert_eq!(back["note"], "a\nb");
}

#[test]
fn signal_for_decision() {
    assert_eq!(Signal::for_decision("admit", false), Signal::Green);
    assert_eq!(Signal::for_decision("admit", true), Signal::Amber);
    assert_eq!(Signal::for_decision("already_used", false), Signal::Red);
    assert_eq!(Signal::for_decision("invalid", true), Signal::Red);
}

#[tokio::test]
async fn feedback_drives_every_output_wired_to_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("feedback.txt");
    let lamp = |name: &str| {
        OutputSpec::Command(format!(
            "echo \"{name}:$ASPK_SIGNAL:$ASPK_RESULT:$ASPK_TICKET\" >> '{}'",
            log.display()
        ))
    };
    let feedback = Feedback::new(Duration::from_millis(200))
        .on(Signal::Green, &lamp("green-lamp"))
        .on(Signal::Red, &lamp("red-lamp"))
        .on(Signal::Red, &lamp("buzzer"))
        .on(Signal::Amber, &OutputSpec::None);
    let info = PassInfo {
        ticket: Some("77".to_owned()),
        result: "expired".to_owned(),
        gate: "g".to_owned(),
        needs_document_check: false,
    };
    feedback.show(Signal::Red, &info).await.unwrap();
    feedback.show(Signal::Amber, &info).await.unwrap(); // wired to nothing
    let mut lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(lines, ["buzzer:red:expired:77", "red-lamp:red:expired:77"]);
}

#[tokio::test]
async fn a_failing_feedback_output_is_reported() {
    let feedback = Feedback::new(Duration::from_millis(10))
        .on(Signal::Green, &OutputSpec::Command("exit 2".to_owned()));
    assert!(feedback
        .show(Signal::Green, &PassInfo::default())
        .await
        .is_err());
}
