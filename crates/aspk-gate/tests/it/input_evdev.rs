use std::io::Write;
use std::path::Path;
use std::time::Duration;

use aspk_gate::input::{event_from_record, spawn_evdev, EVENT_SIZE};
use aspk_gate::{spawn_input, InputError, InputSpec};
use evdev::{EventType, KeyCode};

use crate::{closed, next};

const EV_SYN: u16 = 0;
const EV_KEY: u16 = 1;
const EV_MSC: u16 = 4;

/// One `struct input_event` as the kernel lays it out on 64-bit Linux: timeval (16 bytes),
/// type u16, code u16, value i32.
fn event(sec: i64, ty: u16, code: u16, value: i32) -> Vec<u8> {
    let mut rec = Vec::with_capacity(24);
    rec.extend_from_slice(&sec.to_ne_bytes());
    rec.extend_from_slice(&123_456i64.to_ne_bytes());
    rec.extend_from_slice(&ty.to_ne_bytes());
    rec.extend_from_slice(&code.to_ne_bytes());
    rec.extend_from_slice(&value.to_ne_bytes());
    rec
}

/// What a keyboard-wedge scanner emits for one key press: MSC_SCAN, key down, SYN, key
/// up, SYN.
fn press(out: &mut Vec<u8>, code: u16) {
    out.extend(event(1, EV_MSC, 4, 0x7001e));
    out.extend(event(1, EV_KEY, code, 1));
    out.extend(event(1, EV_SYN, 0, 0));
    out.extend(event(1, EV_KEY, code, 0));
    out.extend(event(1, EV_SYN, 0, 0));
}

/// "12345" on the top row, Enter; keypad "7890" with a stray Shift, keypad Enter.
fn scans() -> Vec<u8> {
    let mut out = Vec::new();
    for code in [2, 3, 4, 5, 6] {
        press(&mut out, code);
    }
    press(&mut out, 28);
    press(&mut out, 42); // left shift: ignored
    for code in [71, 72, 73, 82] {
        press(&mut out, code);
    }
    press(&mut out, 96);
    out
}

#[test]
fn record_layout_is_the_64_bit_kernel_one() {
    assert_eq!(EVENT_SIZE, 24);
    let rec: [u8; EVENT_SIZE] = event(5, EV_KEY, 28, 1).try_into().unwrap();
    let ev = event_from_record(&rec);
    assert_eq!(
        (ev.event_type(), KeyCode(ev.code()), ev.value()),
        (EventType::KEY, KeyCode::KEY_ENTER, 1)
    );
}

#[tokio::test]
async fn recorded_events_in_a_file_decode_to_codes() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&scans()).unwrap();
    file.flush().unwrap();
    let mut rx = spawn_input(InputSpec::Evdev(file.path().to_owned())).unwrap();
    assert_eq!(next(&mut rx).await, "12345");
    assert_eq!(next(&mut rx).await, "7890");
    closed(&mut rx).await;
}

#[tokio::test]
async fn events_streamed_through_a_fifo_decode_as_they_come() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("event0");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());

    let mut rx = spawn_evdev(fifo.clone(), false).unwrap();
    let bytes = scans();
    // Cut in the middle of a record, so a read boundary falls inside one.
    let (first, second) = bytes.split_at(6 * 5 * 24 + 10);
    let (first, second) = (first.to_vec(), second.to_vec());
    let writer = tokio::task::spawn_blocking(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        w.write_all(&first).unwrap();
        w.flush().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        w.write_all(&second).unwrap();
    });
    assert_eq!(next(&mut rx).await, "12345");
    assert_eq!(next(&mut rx).await, "7890");
    writer.await.unwrap();
    closed(&mut rx).await;
}

#[tokio::test]
async fn a_truncated_last_record_is_ignored() {
    let mut bytes = scans();
    bytes.extend(&event(1, EV_KEY, 2, 1)[..10]);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    let mut rx = spawn_evdev(file.path().to_owned(), true).unwrap();
    assert_eq!(next(&mut rx).await, "12345");
    assert_eq!(next(&mut rx).await, "7890");
    closed(&mut rx).await;
}

#[tokio::test]
async fn missing_device_is_a_clear_error() {
    let err = spawn_input(InputSpec::Evdev(
        Path::new("/dev/input/event-nope").to_owned(),
    ))
    .unwrap_err();
    assert!(matches!(err, InputError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("/dev/input/event-nope"), "{err}");
}
