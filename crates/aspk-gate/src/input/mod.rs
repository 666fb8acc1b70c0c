//! Scanner input: every source yields one trimmed code per scanned line on an mpsc channel.

mod evdev;
mod fd;
mod lines;
mod serial;
mod stdin;
pub mod tcp;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use tokio::sync::mpsc;

pub use evdev::{event_from_record, key_char, spawn as spawn_evdev, KeyDecoder, EVENT_SIZE};
pub use lines::{lines_from, MAX_CODE_LEN};

/// Baud rate used when `serial:PATH` gives none.
pub const DEFAULT_BAUD: u32 = 9600;

/// Codes buffered between a source and a slow consumer.
pub(crate) const CHANNEL_CAPACITY: usize = 64;

/// Where scanned codes come from (the `--input` CLI forms, see [`InputSpec::from_str`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// Lines on standard input; the channel closes at EOF.
    Stdin,
    /// A line-oriented TCP listener; any number of scanners may connect.
    Tcp(SocketAddr),
    /// A serial (or USB CDC-ACM) scanner, put in raw mode at `baud`.
    Serial { path: PathBuf, baud: u32 },
    /// A keyboard-wedge scanner read from its Linux input device (`/dev/input/eventN`).
    Evdev(PathBuf),
}

const FORMS: &str = "stdin, tcp:HOST:PORT, serial:/dev/ttyACM0[@BAUD], evdev:/dev/input/eventN";

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("invalid input {spec:?}: {reason} (expected one of: {FORMS})")]
    Parse { spec: String, reason: String },
    #[error("scanner input must be started inside a tokio runtime")]
    NoRuntime,
    #[error("cannot listen for scanners on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot open scanner device {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a serial port (terminal settings failed): {source}", path.display())]
    NotATerminal {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot set {} to raw mode at {baud} baud: {source}", path.display())]
    Termios {
        path: PathBuf,
        baud: u32,
        #[source]
        source: io::Error,
    },
}

impl FromStr for InputSpec {
    type Err = InputError;

    /// `stdin`, `tcp:127.0.0.1:9000`, `serial:/dev/ttyACM0`, `serial:/dev/ttyACM0@115200`,
    /// `evdev:/dev/input/event3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| InputError::Parse {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        let s = s.trim();
        if s == "stdin" || s == "-" {
            return Ok(Self::Stdin);
        }
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(err("unknown input kind"));
        };
        match kind {
            "tcp" => rest
                .parse::<SocketAddr>()
                .map(Self::Tcp)
                .map_err(|_| err("tcp needs an IP address and port, e.g. tcp:127.0.0.1:9000")),
            "serial" => {
                let (path, baud) = match rest.rsplit_once('@') {
                    Some((path, baud)) => {
                        let baud =
                            baud.parse::<u32>().ok().filter(|b| *b > 0).ok_or_else(|| {
                                err("the baud rate after @ must be a positive number")
                            })?;
                        (path, baud)
                    }
                    None => (rest, DEFAULT_BAUD),
                };
                Ok(Self::Serial {
                    path: device_path(path).ok_or_else(|| err("serial needs a device path"))?,
                    baud,
                })
            }
            "evdev" => Ok(Self::Evdev(
                device_path(rest).ok_or_else(|| err("evdev needs a device path"))?,
            )),
            _ => Err(err("unknown input kind")),
        }
    }
}

fn device_path(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

impl std::fmt::Display for InputSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stdin => f.write_str("stdin"),
            Self::Tcp(addr) => write!(f, "tcp:{addr}"),
            Self::Serial { path, baud } => write!(f, "serial:{}@{baud}", path.display()),
            Self::Evdev(path) => write!(f, "evdev:{}", path.display()),
        }
    }
}

/// Starts reading codes from `spec`. Each item is one trimmed, non-empty code (at most
/// [`MAX_CODE_LEN`] bytes). Must be called inside a tokio runtime.
///
/// The stdin channel closes at EOF. TCP never closes by itself. Serial and evdev devices
/// are reopened (and re-grabbed) after an unplug, so their channels stay open too; an evdev
/// *file* or FIFO (recorded events) closes at its end. Dropping the receiver stops the
/// source.
pub fn spawn_input(spec: InputSpec) -> Result<mpsc::Receiver<String>, InputError> {
    match spec {
        InputSpec::Stdin => {
            ensure_runtime()?;
            Ok(stdin::spawn())
        }
        InputSpec::Tcp(addr) => tcp::spawn(addr).map(|(_, rx)| rx),
        InputSpec::Serial { path, baud } => serial::spawn(path, baud),
        InputSpec::Evdev(path) => evdev::spawn(path, true),
    }
}

/// Spawning outside a runtime would panic inside tokio; say so instead.
pub(crate) fn ensure_runtime() -> Result<(), InputError> {
    tokio::runtime::Handle::try_current()
        .map(drop)
        .map_err(|_| InputError::NoRuntime)
}
