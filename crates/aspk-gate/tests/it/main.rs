//! Integration tests of the turnstile agent, all against real OS objects: loopback sockets,
//! a pseudo-terminal, FIFOs and files, child processes, an HTTP server; the orchestration
//! (`agent`) with a fake decider in front of them.
#![allow(clippy::unwrap_used)]

mod agent;
mod confirm;
mod feedback;
mod input_evdev;
mod input_lines;
mod input_serial;
mod input_tcp;
mod output_command;
mod output_gpio;
mod output_http;
mod specs;

use std::time::Duration;

use tokio::sync::mpsc::Receiver;

/// The next code, failing the test if none comes within 5 s.
pub async fn next(rx: &mut Receiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("no code within 5 s")
        .expect("channel closed early")
}

/// Asserts the channel closes (within 5 s) without yielding anything more.
pub async fn closed(rx: &mut Receiver<String>) {
    let more = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("channel still open after 5 s");
    assert_eq!(more, None, "unexpected extra code");
}

/// Asserts nothing arrives for a short while (the channel stays open).
pub async fn quiet(rx: &mut Receiver<String>) {
    if let Ok(got) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        panic!("expected nothing, got {got:?}");
    }
}
