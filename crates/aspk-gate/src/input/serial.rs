//! A serial scanner (RS-232, USB CDC-ACM `/dev/ttyACM*`, FTDI `/dev/ttyUSB*`): the port is
//! put in raw mode at the given baud with termios, then read line by line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::{Mode, OFlags};
use rustix::termios::{self, ControlModes, OptionalActions, QueueSelector, SpecialCodeIndex};
use tokio::sync::mpsc;

use super::fd::FdReader;
use super::lines::{forward_lines, Ended};
use super::{InputError, CHANNEL_CAPACITY};

/// How often an unplugged port is tried again.
pub(crate) const REOPEN_EVERY: Duration = Duration::from_secs(1);

pub(super) fn spawn(path: PathBuf, baud: u32) -> Result<mpsc::Receiver<String>, InputError> {
    super::ensure_runtime()?;
    let reader = open(&path, baud)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(run(path, baud, reader, tx));
    Ok(rx)
}

/// Opens `path` non-blocking, without making it our controlling terminal, and sets raw
/// 8N1 input at `baud`, discarding whatever was buffered before.
fn open(path: &Path, baud: u32) -> Result<FdReader, InputError> {
    let open_err = |source: io::Error| InputError::Open {
        path: path.to_owned(),
        source,
    };
    let fd = rustix::fs::open(
        path,
        OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| open_err(e.into()))?;
    let mut t = termios::tcgetattr(&fd).map_err(|e| InputError::NotATerminal {
        path: path.to_owned(),
        source: e.into(),
    })?;
    let termios_err = |e: rustix::io::Errno| InputError::Termios {
        path: path.to_owned(),
        baud,
        source: e.into(),
    };
    t.make_raw();
    // Receiver on, modem-control lines ignored (most scanners wire no DCD).
    t.control_modes |= ControlModes::CREAD | ControlModes::CLOCAL;
    t.special_codes[SpecialCodeIndex::VMIN] = 1;
    t.special_codes[SpecialCodeIndex::VTIME] = 0;
    t.set_speed(baud).map_err(termios_err)?;
    termios::tcsetattr(&fd, OptionalActions::Now, &t).map_err(termios_err)?;
    termios::tcflush(&fd, QueueSelector::IFlush).map_err(termios_err)?;
    FdReader::new(fd).map_err(open_err)
}

async fn run(path: PathBuf, baud: u32, first: FdReader, tx: mpsc::Sender<String>) {
    let source = format!("serial:{}", path.display());
    let mut reader = Some(first);
    loop {
        let r = match reader.take() {
            Some(r) => r,
            None => match open(&path, baud) {
                Ok(r) => {
                    tracing::info!(source, "serial scanner reopened");
                    r
                }
                Err(_) => {
                    tokio::select! {
                        () = tokio::time::sleep(REOPEN_EVERY) => continue,
                        () = tx.closed() => return,
                    }
                }
            },
        };
        match forward_lines(r, &tx, &source).await {
            Ended::ReceiverGone => return,
            Ended::Eof => tracing::warn!(source, "serial scanner hung up; reopening"),
            Ended::Error(e) => tracing::warn!(source, error = %e, "serial scanner lost; reopening"),
        }
        tokio::select! {
            () = tokio::time::sleep(REOPEN_EVERY) => {}
            () = tx.closed() => return,
        }
    }
}
