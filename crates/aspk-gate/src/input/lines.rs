//! Splitting a byte stream into scanned codes.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use super::CHANNEL_CAPACITY;

/// Longest accepted code in bytes (without the line end). Longer lines are garbage (a
/// scanner stuck sending, line noise) and are dropped whole with a warning.
pub const MAX_CODE_LEN: usize = 1024;

/// Cuts bytes into codes: a line ends at LF or CR (so LF, CRLF and CR-only scanners all
/// work); each line is trimmed of whitespace and control characters (some scanners wrap
/// codes in STX/ETX), and empty lines are skipped.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    buf: Vec<u8>,
    overflow: bool,
}

impl LineSplitter {
    pub(crate) fn push(&mut self, bytes: &[u8], source: &str, out: &mut Vec<String>) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                self.end_line(out);
            } else if self.overflow {
                // Still inside an over-long line: drop until its end.
            } else if self.buf.len() >= MAX_CODE_LEN {
                tracing::warn!(
                    source,
                    max = MAX_CODE_LEN,
                    "dropping an over-long scanner line"
                );
                self.overflow = true;
                self.buf.clear();
            } else {
                self.buf.push(b);
            }
        }
    }

    /// The stream ended: a last line without a line end still counts.
    pub(crate) fn finish(&mut self, out: &mut Vec<String>) {
        self.end_line(out);
    }

    fn end_line(&mut self, out: &mut Vec<String>) {
        if !std::mem::take(&mut self.overflow) {
            if let Some(code) = clean(&self.buf) {
                out.push(code);
            }
        }
        self.buf.clear();
    }
}

/// Trims a raw line into a code; `None` when nothing is left.
pub(crate) fn clean(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let code = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    (!code.is_empty()).then(|| code.to_owned())
}

/// Why [`forward_lines`] stopped.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The reader reached EOF.
    Eof,
    /// Reading failed (device unplugged, connection reset…).
    Error(std::io::Error),
    /// Nobody listens any more.
    ReceiverGone,
}

/// Reads `r` to its end, sending each code to `tx`.
pub(crate) async fn forward_lines<R>(mut r: R, tx: &mpsc::Sender<String>, source: &str) -> Ended
where
    R: AsyncRead + Unpin,
{
    let mut splitter = LineSplitter::default();
    let mut chunk = vec![0u8; 4096];
    let mut codes = Vec::new();
    loop {
        let ended = tokio::select! {
            read = r.read(&mut chunk) => match read {
                Ok(0) => Some(Ended::Eof),
                Ok(n) => {
                    splitter.push(&chunk[..n], source, &mut codes);
                    None
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => None,
                Err(e) => Some(Ended::Error(e)),
            },
            () = tx.closed() => return Ended::ReceiverGone,
        };
        if ended.is_some() {
            splitter.finish(&mut codes);
        }
        for code in codes.drain(..) {
            tracing::debug!(source, code, "scanned");
            if tx.send(code).await.is_err() {
                return Ended::ReceiverGone;
            }
        }
        if let Some(ended) = ended {
            return ended;
        }
    }
}

/// Codes read from any byte stream (stdin, a serial port, a test buffer): one per line,
/// trimmed, empty lines skipped, over-long lines dropped. The channel closes at EOF or on a
/// read error. Must be called inside a tokio runtime.
pub fn lines_from<R>(r: R) -> mpsc::Receiver<String>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    lines_from_named(r, "reader".to_owned())
}

pub(crate) fn lines_from_named<R>(r: R, source: String) -> mpsc::Receiver<String>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(async move {
        if let Ended::Error(e) = forward_lines(r, &tx, &source).await {
            tracing::warn!(source, error = %e, "scanner input failed");
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, "test", &mut out);
        }
        s.finish(&mut out);
        out
    }

    #[test]
    fn line_ends_and_trimming() {
        assert_eq!(
            split(&[b"123\r\n\r\n  456 \n7", b"89\r\x02000\x03\n\n"]),
            ["123", "456", "789", "000"]
        );
    }

    #[test]
    fn over_long_line_is_dropped_whole() {
        let long = vec![b'9'; MAX_CODE_LEN + 1];
        let exact = vec![b'1'; MAX_CODE_LEN];
        let out = split(&[b"a\n", &long, b"tail\nb\n", &exact, b"\n"]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], "a");
        assert_eq!(out[1], "b");
        assert_eq!(out[2].len(), MAX_CODE_LEN);
    }
}
