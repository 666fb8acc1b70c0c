//! A keyboard-wedge (USB HID) scanner read straight from its Linux input device, so no
//! focused window or terminal is needed. The device is grabbed (`EVIOCGRAB`) so the
//! keystrokes do not also land on a console login prompt.
//!
//! Only digits matter: ticket codes and numbers are digits; other keys are ignored and
//! Enter ends a code.

use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::mpsc;

use super::fd::FdReader;
use super::lines::MAX_CODE_LEN;
use super::serial::REOPEN_EVERY;
use super::{InputError, CHANNEL_CAPACITY};

/// Size of `struct input_event`: a `struct timeval` (two longs), then type u16, code u16,
/// value i32, in native byte order.
pub const EVENT_SIZE: usize = 2 * std::mem::size_of::<std::ffi::c_long>() + 8;

const EV_KEY: u16 = 1;
const KEY_DOWN: i32 = 1;
const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;

/// `(type, code, value)` of one `struct input_event` record of [`EVENT_SIZE`] bytes.
pub fn decode_event(rec: &[u8; EVENT_SIZE]) -> (u16, u16, i32) {
    let at = EVENT_SIZE - 8;
    let ty = u16::from_ne_bytes([rec[at], rec[at + 1]]);
    let code = u16::from_ne_bytes([rec[at + 2], rec[at + 3]]);
    let value = i32::from_ne_bytes([rec[at + 4], rec[at + 5], rec[at + 6], rec[at + 7]]);
    (ty, code, value)
}

fn key_digit(code: u16) -> Option<char> {
    let d = match code {
        11 | 82 => 0, // KEY_0, KEY_KP0
        2..=10 => code - 1,
        79..=81 => code - 78, // KP1..KP3
        75..=77 => code - 71, // KP4..KP6
        71..=73 => code - 64, // KP7..KP9
        _ => return None,
    };
    char::from_digit(u32::from(d), 10)
}

/// Turns key events into codes: digits on key-down accumulate, Enter ends a code.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    buf: String,
    overflow: bool,
}

impl KeyDecoder {
    /// Feeds one event; returns a finished code on Enter.
    pub fn feed(&mut self, ty: u16, code: u16, value: i32) -> Option<String> {
        if ty != EV_KEY || value != KEY_DOWN {
            return None;
        }
        if code == KEY_ENTER || code == KEY_KPENTER {
            let code = std::mem::take(&mut self.buf);
            return (!std::mem::take(&mut self.overflow) && !code.is_empty()).then_some(code);
        }
        let digit = key_digit(code)?;
        if self.overflow {
            return None;
        }
        if self.buf.len() >= MAX_CODE_LEN {
            tracing::warn!(max = MAX_CODE_LEN, "dropping an over-long scanner code");
            self.overflow = true;
            self.buf.clear();
            return None;
        }
        self.buf.push(digit);
        None
    }
}

/// Reads codes from an evdev device. `grab` takes the device exclusively so keystrokes do
/// not reach other readers (console, X); it applies only to real character devices. A
/// regular file or FIFO of recorded events is read to its end and then the channel closes.
/// Must be called inside a tokio runtime.
pub fn spawn(path: PathBuf, grab: bool) -> Result<mpsc::Receiver<String>, InputError> {
    super::ensure_runtime()?;
    let meta = std::fs::metadata(&path).map_err(|source| InputError::Open {
        path: path.clone(),
        source,
    })?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    if meta.file_type().is_char_device() {
        let device = open_device(&path, grab)?;
        tokio::spawn(run_device(path, grab, device, tx));
    } else {
        tokio::spawn(async move {
            let source = format!("evdev:{}", path.display());
            // Opened here: opening a FIFO waits for its writer.
            match tokio::fs::File::open(&path).await {
                Ok(file) => {
                    if let Err(e) = forward_events(file, &tx).await {
                        tracing::warn!(source, error = %e, "reading recorded key events failed");
                    }
                }
                Err(e) => tracing::warn!(source, error = %e, "cannot open recorded key events"),
            }
        });
    }
    Ok(rx)
}

/// An open input device; `_grab` holds the exclusive grab for as long as it lives.
struct Device {
    reader: FdReader,
    _grab: Option<evdev::raw_stream::RawDevice>,
}

fn open_device(path: &Path, grab: bool) -> Result<Device, InputError> {
    let open_err = |source: io::Error| InputError::Open {
        path: path.to_owned(),
        source,
    };
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| open_err(e.into()))?;
    let grabbed = if grab {
        // The grab belongs to the open file, so grabbing through a duplicate of our
        // descriptor makes our reads exclusive.
        let dup = fd.try_clone().map_err(open_err)?;
        match evdev::raw_stream::RawDevice::from_fd(dup).and_then(|mut d| d.grab().map(|()| d)) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot grab the scanner; its keystrokes also reach other readers");
                None
            }
        }
    } else {
        None
    };
    Ok(Device {
        reader: FdReader::new(fd).map_err(open_err)?,
        _grab: grabbed,
    })
}

async fn run_device(path: PathBuf, grab: bool, first: Device, tx: mpsc::Sender<String>) {
    let source = format!("evdev:{}", path.display());
    let mut device = Some(first);
    loop {
        let d = match device.take() {
            Some(d) => d,
            None => match open_device(&path, grab) {
                Ok(d) => {
                    tracing::info!(source, "scanner device reopened");
                    d
                }
                Err(_) => {
                    tokio::select! {
                        () = tokio::time::sleep(REOPEN_EVERY) => continue,
                        () = tx.closed() => return,
                    }
                }
            },
        };
        let ended = tokio::select! {
            r = forward_events(d.reader, &tx) => r,
            () = tx.closed() => return,
        };
        match ended {
            Ok(()) if tx.is_closed() => return,
            Ok(()) => tracing::warn!(source, "scanner device closed; reopening"),
            Err(e) => tracing::warn!(source, error = %e, "scanner device lost; reopening"),
        }
        tokio::select! {
            () = tokio::time::sleep(REOPEN_EVERY) => {}
            () = tx.closed() => return,
        }
    }
}

/// Decodes whole event records until EOF (a partial record at the end is ignored) or until
/// the receiver is gone.
async fn forward_events<R: AsyncRead + Unpin>(r: R, tx: &mpsc::Sender<String>) -> io::Result<()> {
    let mut r = BufReader::with_capacity(EVENT_SIZE * 64, r);
    let mut decoder = KeyDecoder::default();
    let mut rec = [0u8; EVENT_SIZE];
    loop {
        match r.read_exact(&mut rec).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let (ty, code, value) = decode_event(&rec);
        if let Some(code) = decoder.feed(ty, code, value) {
            tracing::debug!(code, "scanned");
            if tx.send(code).await.is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_key_map() {
        let top: Vec<_> = [11, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            .iter()
            .map(|c| key_digit(*c))
            .collect();
        let pad: Vec<_> = [82, 79, 80, 81, 75, 76, 77, 71, 72, 73]
            .iter()
            .map(|c| key_digit(*c))
            .collect();
        let want: Vec<_> = "0123456789".chars().map(Some).collect();
        assert_eq!(top, want);
        assert_eq!(pad, want);
        assert_eq!(key_digit(30), None); // KEY_A
        assert_eq!(key_digit(74), None); // KEY_KPMINUS
        assert_eq!(key_digit(78), None); // KEY_KPPLUS
    }

    #[test]
    fn decoder_ignores_key_up_repeat_and_other_keys() {
        let mut d = KeyDecoder::default();
        let mut out = Vec::new();
        for (ty, code, value) in [
            (4, 4, 458_782), // EV_MSC scan code
            (1, 2, 1),       // 1 down
            (1, 2, 0),       // 1 up
            (1, 2, 2),       // autorepeat: ignored
            (0, 0, 0),       // EV_SYN
            (1, 42, 1),      // left shift
            (1, 80, 1),      // KP2
            (1, 28, 1),      // Enter
            (1, 96, 1),      // KP Enter with nothing typed
        ] {
            out.extend(d.feed(ty, code, value));
        }
        assert_eq!(out, ["12"]);
    }
}
