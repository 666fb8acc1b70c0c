use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use aspk_gate::{spawn_input, InputError, InputSpec};
use rustix::fs::{Mode, OFlags};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcgetattr, LocalModes};

use crate::{next, quiet};

/// A pseudo-terminal pair: the master stands in for the scanner, the slave for its port.
fn pty() -> (OwnedFd, PathBuf) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let path = PathBuf::from(OsStr::from_bytes(name.as_bytes()));
    (master, path)
}

fn scanner_sends(master: &OwnedFd, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rustix::io::write(master, rest).unwrap();
        rest = &rest[n..];
    }
}

#[tokio::test]
async fn codes_arrive_through_a_real_pseudo_terminal_in_raw_mode() {
    let (master, slave) = pty();
    let spec: InputSpec = format!("serial:{}@115200", slave.display())
        .parse()
        .unwrap();
    let mut rx = spawn_input(spec).unwrap();

    // The port is in raw mode at the asked speed: no line discipline, no echo.
    let probe = rustix::fs::open(
        &slave,
        OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .unwrap();
    let t = tcgetattr(&probe).unwrap();
    assert!(
        !t.local_modes.contains(LocalModes::ICANON),
        "canonical mode still on"
    );
    assert!(!t.local_modes.contains(LocalModes::ECHO), "echo still on");
    assert_eq!(t.input_speed(), 115_200);
    drop(probe);

    scanner_sends(&master, b"4600123456789\r\n");
    assert_eq!(next(&mut rx).await, "4600123456789");
    // CR-only scanner, blank lines, a code split over two writes.
    scanner_sends(&master, b"\r\n\r11");
    scanner_sends(&master, b"22\r");
    assert_eq!(next(&mut rx).await, "1122");
    // Control bytes that a canonical tty would act on (^C, ^D) are plain data in raw mode.
    scanner_sends(&master, b"\x03777\x04\n");
    assert_eq!(next(&mut rx).await, "777");
    quiet(&mut rx).await;
}

#[tokio::test]
async fn default_baud_is_9600() {
    let (master, slave) = pty();
    let spec: InputSpec = format!("serial:{}", slave.display()).parse().unwrap();
    assert_eq!(
        spec,
        InputSpec::Serial {
            path: slave.clone(),
            baud: 9600
        }
    );
    let mut rx = spawn_input(spec).unwrap();
    let probe = rustix::fs::open(
        &slave,
        OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .unwrap();
    assert_eq!(tcgetattr(&probe).unwrap().input_speed(), 9600);
    scanner_sends(&master, b"9600\n");
    assert_eq!(next(&mut rx).await, "9600");
}

#[tokio::test]
async fn missing_device_and_non_terminal_are_clear_errors() {
    let err = spawn_input(InputSpec::Serial {
        path: "/dev/ttyACM-does-not-exist".into(),
        baud: 9600,
    })
    .unwrap_err();
    assert!(matches!(err, InputError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/dev/ttyACM-does-not-exist"),
        "{err}"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    let err = spawn_input(InputSpec::Serial {
        path: file.path().to_owned(),
        baud: 9600,
    })
    .unwrap_err();
    assert!(matches!(err, InputError::NotATerminal { .. }), "{err:?}");
    assert!(err.to_string().contains("not a serial port"), "{err}");
}
