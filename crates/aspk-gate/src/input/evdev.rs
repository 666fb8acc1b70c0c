//! A keyboard-wedge (USB HID) scanner read straight from its Linux input device, so no
//! focused window or terminal is needed. The device is opened, grabbed (`EVIOCGRAB`, so the
//! keystrokes do not also land on a console login prompt) and read through the `evdev`
//! crate; its events are told apart with the crate's [`EventSummary`] and [`KeyCode`]s.
//!
//! Only digits matter: ticket codes and numbers are digits; other keys are ignored and
//! Enter ends a code.

use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use evdev::raw_stream::{EventStream, RawDevice};
use evdev::{EventSummary, InputEvent, KeyCode, SynchronizationCode};
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::mpsc;

use super::lines::MAX_CODE_LEN;
use super::serial::REOPEN_EVERY;
use super::{InputError, CHANNEL_CAPACITY};

/// Size of one `struct input_event` as the kernel writes it (and as `cat /dev/input/eventN`
/// records it): [`InputEvent`] is that struct.
pub const EVENT_SIZE: usize = std::mem::size_of::<InputEvent>();

/// `value` of a key event when the key goes down (0 is up, 2 autorepeat).
const KEY_DOWN: i32 = 1;

/// One record of a recording (a file or FIFO of `struct input_event`s) as an [`InputEvent`]:
/// a `struct timeval`, then type (u16), code (u16) and value (i32) in native byte order.
/// The time is left out; nothing here needs it.
pub fn event_from_record(rec: &[u8; EVENT_SIZE]) -> InputEvent {
    let [.., t0, t1, c0, c1, v0, v1, v2, v3] = *rec;
    InputEvent::new(
        u16::from_ne_bytes([t0, t1]),
        u16::from_ne_bytes([c0, c1]),
        i32::from_ne_bytes([v0, v1, v2, v3]),
    )
}

/// The character a key types into a code: the digits of the top row and of the keypad.
pub fn key_char(key: KeyCode) -> Option<char> {
    let digit = match key {
        KeyCode::KEY_0 | KeyCode::KEY_KP0 => 0,
        KeyCode::KEY_1 | KeyCode::KEY_KP1 => 1,
        KeyCode::KEY_2 | KeyCode::KEY_KP2 => 2,
        KeyCode::KEY_3 | KeyCode::KEY_KP3 => 3,
        KeyCode::KEY_4 | KeyCode::KEY_KP4 => 4,
        KeyCode::KEY_5 | KeyCode::KEY_KP5 => 5,
        KeyCode::KEY_6 | KeyCode::KEY_KP6 => 6,
        KeyCode::KEY_7 | KeyCode::KEY_KP7 => 7,
        KeyCode::KEY_8 | KeyCode::KEY_KP8 => 8,
        KeyCode::KEY_9 | KeyCode::KEY_KP9 => 9,
        _ => return None,
    };
    char::from_digit(digit, 10)
}

/// Turns key events into codes: digits on key-down accumulate, Enter ends a code.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    buf: String,
    /// The code being typed is lost (too long, or the kernel dropped events): it is
    /// dropped at its Enter.
    discard: bool,
}

impl KeyDecoder {
    /// Feeds one event; returns a finished code on Enter.
    pub fn feed(&mut self, event: InputEvent) -> Option<String> {
        let key = match event.destructure() {
            EventSummary::Key(_, key, KEY_DOWN) => key,
            EventSummary::Synchronization(_, SynchronizationCode::SYN_DROPPED, _) => {
                tracing::warn!("the scanner's events overflowed; dropping the code in progress");
                self.discard = true;
                self.buf.clear();
                return None;
            }
            _ => return None,
        };
        if key == KeyCode::KEY_ENTER || key == KeyCode::KEY_KPENTER {
            let code = std::mem::take(&mut self.buf);
            return (!std::mem::take(&mut self.discard) && !code.is_empty()).then_some(code);
        }
        let c = key_char(key)?;
        if self.discard {
            return None;
        }
        if self.buf.len() >= MAX_CODE_LEN {
            tracing::warn!(max = MAX_CODE_LEN, "dropping an over-long scanner code");
            self.discard = true;
            self.buf.clear();
            return None;
        }
        self.buf.push(c);
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
                    if let Err(e) = forward_recorded(file, &tx).await {
                        tracing::warn!(source, error = %e, "reading recorded key events failed");
                    }
                }
                Err(e) => tracing::warn!(source, error = %e, "cannot open recorded key events"),
            }
        });
    }
    Ok(rx)
}

/// Opens (and grabs) the device; the grab lasts as long as the stream.
fn open_device(path: &Path, grab: bool) -> Result<EventStream, InputError> {
    let open_err = |source: io::Error| InputError::Open {
        path: path.to_owned(),
        source,
    };
    let mut device = RawDevice::open(path).map_err(open_err)?;
    if grab {
        if let Err(e) = device.grab() {
            tracing::warn!(path = %path.display(), error = %e, "cannot grab the scanner; its keystrokes also reach other readers");
        }
    }
    device.into_event_stream().map_err(open_err)
}

async fn run_device(path: PathBuf, grab: bool, first: EventStream, tx: mpsc::Sender<String>) {
    let source = format!("evdev:{}", path.display());
    let mut device = Some(first);
    loop {
        let mut events = match device.take() {
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
            r = forward_device(&mut events, &tx) => r,
            () = tx.closed() => return,
        };
        match ended {
            Ok(()) => return,
            Err(e) => tracing::warn!(source, error = %e, "scanner device lost; reopening"),
        }
        drop(events);
        tokio::select! {
            () = tokio::time::sleep(REOPEN_EVERY) => {}
            () = tx.closed() => return,
        }
    }
}

/// Decodes the device's events until it fails (unplugged) or the receiver is gone (`Ok`).
async fn forward_device(events: &mut EventStream, tx: &mpsc::Sender<String>) -> io::Result<()> {
    let mut decoder = KeyDecoder::default();
    loop {
        let event = events.next_event().await?;
        if !send(decoder.feed(event), tx).await {
            return Ok(());
        }
    }
}

/// Decodes whole recorded event records until EOF (a partial record at the end is ignored)
/// or until the receiver is gone.
async fn forward_recorded<R: AsyncRead + Unpin>(r: R, tx: &mpsc::Sender<String>) -> io::Result<()> {
    let mut r = BufReader::with_capacity(EVENT_SIZE * 64, r);
    let mut decoder = KeyDecoder::default();
    let mut rec = [0u8; EVENT_SIZE];
    loop {
        match r.read_exact(&mut rec).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        if !send(decoder.feed(event_from_record(&rec)), tx).await {
            return Ok(());
        }
    }
}

/// Sends a finished code, if any; `false` once the receiver is gone.
async fn send(code: Option<String>, tx: &mpsc::Sender<String>) -> bool {
    let Some(code) = code else {
        return true;
    };
    tracing::debug!(code, "scanned");
    tx.send(code).await.is_ok()
}

#[cfg(test)]
mod tests {
    use evdev::{KeyEvent, MiscCode, MiscEvent, SynchronizationEvent};

    use super::*;

    fn down(key: KeyCode) -> InputEvent {
        *KeyEvent::new(key, KEY_DOWN)
    }

    #[test]
    fn digit_keys_of_the_top_row_and_the_keypad_type_digits() {
        use KeyCode as K;
        let top = [
            K::KEY_0,
            K::KEY_1,
            K::KEY_2,
            K::KEY_3,
            K::KEY_4,
            K::KEY_5,
            K::KEY_6,
            K::KEY_7,
            K::KEY_8,
            K::KEY_9,
        ];
        let pad = [
            K::KEY_KP0,
            K::KEY_KP1,
            K::KEY_KP2,
            K::KEY_KP3,
            K::KEY_KP4,
            K::KEY_KP5,
            K::KEY_KP6,
            K::KEY_KP7,
            K::KEY_KP8,
            K::KEY_KP9,
        ];
        let want: String = "0123456789".into();
        assert_eq!(
            top.map(|k| key_char(k).unwrap()).iter().collect::<String>(),
            want
        );
        assert_eq!(
            pad.map(|k| key_char(k).unwrap()).iter().collect::<String>(),
            want
        );
        for other in [
            K::KEY_A,
            K::KEY_KPMINUS,
            K::KEY_KPPLUS,
            K::KEY_KPDOT,
            K::KEY_ENTER,
            K::KEY_LEFTSHIFT,
        ] {
            assert_eq!(key_char(other), None, "{other:?}");
        }
    }

    #[test]
    fn decoder_ignores_key_up_repeat_and_other_keys() {
        let mut d = KeyDecoder::default();
        let mut out = Vec::new();
        for event in [
            *MiscEvent::new(MiscCode::MSC_SCAN, 458_782),
            down(KeyCode::KEY_1),
            *KeyEvent::new(KeyCode::KEY_1, 0), // up
            *KeyEvent::new(KeyCode::KEY_1, 2), // autorepeat: ignored
            *SynchronizationEvent::new(SynchronizationCode::SYN_REPORT, 0),
            down(KeyCode::KEY_LEFTSHIFT),
            down(KeyCode::KEY_KP2),
            down(KeyCode::KEY_ENTER),
            down(KeyCode::KEY_KPENTER), // nothing typed
        ] {
            out.extend(d.feed(event));
        }
        assert_eq!(out, ["12"]);
    }

    #[test]
    fn a_code_cut_by_dropped_events_is_discarded_up_to_its_enter() {
        let mut d = KeyDecoder::default();
        let mut out = Vec::new();
        for event in [
            down(KeyCode::KEY_4),
            *SynchronizationEvent::new(SynchronizationCode::SYN_DROPPED, 0),
            down(KeyCode::KEY_5),
            down(KeyCode::KEY_ENTER),
            down(KeyCode::KEY_6),
            down(KeyCode::KEY_ENTER),
        ] {
            out.extend(d.feed(event));
        }
        assert_eq!(out, ["6"]);
    }

    #[test]
    fn an_over_long_code_is_dropped_whole() {
        let mut d = KeyDecoder::default();
        for _ in 0..=MAX_CODE_LEN {
            assert_eq!(d.feed(down(KeyCode::KEY_7)), None);
        }
        assert_eq!(d.feed(down(KeyCode::KEY_ENTER)), None);
        d.feed(down(KeyCode::KEY_8));
        assert_eq!(d.feed(down(KeyCode::KEY_ENTER)).as_deref(), Some("8"));
    }
}
