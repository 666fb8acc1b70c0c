use std::time::{Duration, Instant};

use aspk_gate::{ConfirmSpec, PassageConfirm};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn tcp_passed_line_confirms_a_passage() {
    let confirm = PassageConfirm::start("tcp:127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = confirm.local_addr().unwrap();
    let mut turnstile = TcpStream::connect(addr).await.unwrap();

    // Nobody passes: false after the timeout.
    let started = Instant::now();
    assert!(!confirm
        .wait_passage(Duration::from_millis(300))
        .await
        .unwrap());
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Other lines are ignored; `passed` (any case, CRLF) confirms.
    let waiting = confirm.wait_passage(Duration::from_secs(5));
    let sending = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        turnstile
            .write_all(b"door_ajar\r\nPASSED\r\n")
            .await
            .unwrap();
    };
    let (passed, ()) = tokio::join!(waiting, sending);
    assert!(passed.unwrap());
}

#[tokio::test]
async fn a_passage_before_the_wait_counts_only_since_the_mark() {
    let confirm = PassageConfirm::start(ConfirmSpec::Tcp("127.0.0.1:0".parse().unwrap())).unwrap();
    let mut turnstile = TcpStream::connect(confirm.local_addr().unwrap())
        .await
        .unwrap();

    // A rotation reported while the gate was still opening (after the mark, before the
    // wait) is not missed…
    let mark = confirm.mark();
    turnstile.write_all(b"passed\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(confirm
        .wait_passage_since(mark, Duration::from_secs(5))
        .await
        .unwrap());

    // …but an old rotation does not confirm the next grant.
    assert!(!confirm
        .wait_passage(Duration::from_millis(300))
        .await
        .unwrap());

    // A second controller connection works too.
    let mut other = TcpStream::connect(confirm.local_addr().unwrap())
        .await
        .unwrap();
    let mark = confirm.mark();
    other.write_all(b"passed\n").await.unwrap();
    assert!(confirm
        .wait_passage_since(mark, Duration::from_secs(5))
        .await
        .unwrap());
}

#[tokio::test]
async fn command_exit_status_is_the_answer() {
    let yes = PassageConfirm::start(ConfirmSpec::Command(
        "test \"$ASPK_TIMEOUT_MS\" = 2000".into(),
    ))
    .unwrap();
    assert!(yes.wait_passage(Duration::from_secs(2)).await.unwrap());

    let no = PassageConfirm::start("cmd:exit 1".parse().unwrap()).unwrap();
    assert!(!no.wait_passage(Duration::from_secs(2)).await.unwrap());

    let started = Instant::now();
    let slow = PassageConfirm::start("cmd:sleep 30".parse().unwrap()).unwrap();
    assert!(!slow.wait_passage(Duration::from_millis(300)).await.unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout did not stop the wait"
    );
}

#[tokio::test]
async fn no_sensor_means_every_grant_passed() {
    let none = PassageConfirm::start(ConfirmSpec::None).unwrap();
    assert!(none.wait_passage(Duration::from_millis(1)).await.unwrap());
    assert_eq!(none.local_addr(), None);
}
