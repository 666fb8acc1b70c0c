//! The strict parser of the ESC/POS subset this crate emits, used by tests and
//! by the device cross-check (the box-office device app's own ESC/POS output is
//! parsed with it and compared with [`ticket_escpos`](super::ticket_escpos)'s).
//!
//! [`parse`] walks a byte stream command by command and refuses anything
//! outside the subset of the [module table](super), or a command cut short:
//! a stream it accepts is one a printer reads the way the layout meant.
//!
//! ```
//! use aspk_render::escpos::{parse, split_tickets, ticket_escpos, Command, EscPosOptions};
//! use aspk_render::TicketDoc;
//!
//! let ticket = TicketDoc { code: "0123".into(), ..TicketDoc::default() };
//! let bytes = ticket_escpos(&[ticket], &EscPosOptions::default())?;
//! let commands = parse(&bytes)?;
//! assert_eq!(split_tickets(&commands).len(), 1);
//! assert_eq!(commands.last(), Some(&Command::Cut { m: 66, n: Some(0) }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use thiserror::Error;

/// One ESC/POS command of the subset the renderer may emit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `ESC @`: initialise.
    Init,
    /// `ESC t n`: character code table.
    CodeTable(u8),
    /// `ESC a n`: justification (0 left, 1 centre, 2 right).
    Justify(u8),
    /// `ESC E n`: emphasis.
    Bold(u8),
    /// `ESC M n`: character font.
    Font(u8),
    /// `GS ! n`: character size.
    Size(u8),
    /// `ESC J n`: print and feed `n` dots.
    FeedDots(u8),
    /// `ESC d n`: print and feed `n` lines.
    FeedLines(u8),
    /// `GS v 0 m xL xH yL yH d…`: a raster image, `rows` rows of `width_bytes`
    /// bytes (most significant bit = leftmost dot, 1 = black).
    Raster {
        mode: u8,
        width_bytes: usize,
        rows: usize,
        data: Vec<u8>,
    },
    /// `GS ( k pL pH cn fn params…`: a 2D symbol function (`cn` 49 = QR Code).
    Symbol {
        cn: u8,
        function: u8,
        params: Vec<u8>,
    },
    /// `GS V m [n]`: cut (`n` present for the feed-and-cut forms).
    Cut { m: u8, n: Option<u8> },
    /// `LF`: print and feed a line.
    Lf,
    /// A run of printable bytes (≥ 0x20).
    Text(Vec<u8>),
}

/// Why [`parse`] refused a byte stream; `at` is the offset of the command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("truncated command at byte {at}")]
    Truncated { at: usize },
    #[error("unknown command ESC {op:#04x} at byte {at}")]
    UnknownEsc { op: u8, at: usize },
    #[error("unknown command GS {op:#04x} at byte {at}")]
    UnknownGs { op: u8, at: usize },
    #[error("unexpected control byte {byte:#04x} at byte {at}")]
    ControlByte { byte: u8, at: usize },
    #[error("malformed {what} at byte {at}")]
    Malformed { what: &'static str, at: usize },
}

/// Walks `bytes` command by command; anything unknown or truncated is an error.
///
/// # Errors
/// A [`ParseError`] naming the first command that is not in the subset.
pub fn parse(bytes: &[u8]) -> Result<Vec<Command>, ParseError> {
    let mut cmds = Vec::new();
    let mut i = 0;
    // `n` bytes from `at` (inclusive), or the command starting at `start` is cut short.
    let take = |start: usize, at: usize, n: usize| -> Result<&[u8], ParseError> {
        bytes
            .get(
                at..at
                    .checked_add(n)
                    .ok_or(ParseError::Truncated { at: start })?,
            )
            .ok_or(ParseError::Truncated { at: start })
    };
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            0x1B => {
                let op = take(start, i, 2)?[1];
                let cmd = match op {
                    b'@' => {
                        i += 2;
                        Command::Init
                    }
                    b't' | b'a' | b'E' | b'M' | b'J' | b'd' => {
                        let n = take(start, i, 3)?[2];
                        i += 3;
                        match op {
                            b't' => Command::CodeTable(n),
                            b'a' => Command::Justify(n),
                            b'E' => Command::Bold(n),
                            b'M' => Command::Font(n),
                            b'J' => Command::FeedDots(n),
                            _ => Command::FeedLines(n),
                        }
                    }
                    other => return Err(ParseError::UnknownEsc { op: other, at: i }),
                };
                cmds.push(cmd);
            }
            0x1D => {
                let op = take(start, i, 2)?[1];
                match op {
                    b'!' => {
                        cmds.push(Command::Size(take(start, i, 3)?[2]));
                        i += 3;
                    }
                    b'v' => {
                        let h = take(start, i, 8)?;
                        if h[2] != b'0' {
                            return Err(ParseError::Malformed {
                                what: "GS v 0",
                                at: i,
                            });
                        }
                        let width_bytes = usize::from(h[4]) + 256 * usize::from(h[5]);
                        let rows = usize::from(h[6]) + 256 * usize::from(h[7]);
                        let mode = h[3];
                        let data = take(start, i + 8, width_bytes * rows)?.to_vec();
                        cmds.push(Command::Raster {
                            mode,
                            width_bytes,
                            rows,
                            data,
                        });
                        i += 8 + width_bytes * rows;
                    }
                    b'(' => {
                        let h = take(start, i, 5)?;
                        if h[2] != b'k' {
                            return Err(ParseError::Malformed {
                                what: "GS ( k",
                                at: i,
                            });
                        }
                        let len = usize::from(h[3]) + 256 * usize::from(h[4]);
                        if len < 2 {
                            return Err(ParseError::Malformed {
                                what: "GS ( k (shorter than cn fn)",
                                at: i,
                            });
                        }
                        let body = take(start, i + 5, len)?;
                        cmds.push(Command::Symbol {
                            cn: body[0],
                            function: body[1],
                            params: body[2..].to_vec(),
                        });
                        i += 5 + len;
                    }
                    b'V' => {
                        let m = take(start, i, 3)?[2];
                        let n = if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) {
                            Some(take(start, i, 4)?[3])
                        } else {
                            None
                        };
                        cmds.push(Command::Cut { m, n });
                        i += 3 + usize::from(n.is_some());
                    }
                    other => return Err(ParseError::UnknownGs { op: other, at: i }),
                }
            }
            0x0A => {
                cmds.push(Command::Lf);
                i += 1;
            }
            b if b >= 0x20 => {
                while i < bytes.len() && bytes[i] >= 0x20 {
                    i += 1;
                }
                cmds.push(Command::Text(bytes[start..i].to_vec()));
            }
            other => return Err(ParseError::ControlByte { byte: other, at: i }),
        }
    }
    Ok(cmds)
}

/// Splits a job into its tickets: each starts at an `ESC @`. Commands before
/// the first `ESC @` (there are none in this crate's output) are left out.
pub fn split_tickets(cmds: &[Command]) -> Vec<&[Command]> {
    let starts: Vec<usize> = (0..cmds.len())
        .filter(|&i| cmds[i] == Command::Init)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &cmds[s..starts.get(k + 1).copied().unwrap_or(cmds.len())])
        .collect()
}

/// The QR Code functions of `cmds` (`GS ( k` with `cn = 49`) as (`fn`, params),
/// in order; other 2D symbols are left out.
pub fn qr_functions(cmds: &[Command]) -> Vec<(u8, &[u8])> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Symbol {
                cn: 49,
                function,
                params,
            } => Some((*function, params.as_slice())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_it_does_not_know() {
        assert_eq!(
            parse(&[0x1B, b'@', 0x1B]),
            Err(ParseError::Truncated { at: 2 })
        );
        assert_eq!(
            parse(&[0x1B, b'X']),
            Err(ParseError::UnknownEsc { op: b'X', at: 0 })
        );
        assert_eq!(
            parse(&[0x1D, b'v', b'0', 0, 1, 0, 2, 0, 0xFF]),
            Err(ParseError::Truncated { at: 0 })
        );
        assert_eq!(
            parse(&[0x1D, b'(', b'k', 1, 0, 49]),
            Err(ParseError::Malformed {
                what: "GS ( k (shorter than cn fn)",
                at: 0
            })
        );
        assert_eq!(
            parse(&[b'a', 0x07]),
            Err(ParseError::ControlByte { byte: 7, at: 1 })
        );
        assert_eq!(
            parse(&[0x1D, b'V', 66]),
            Err(ParseError::Truncated { at: 0 })
        );
    }

    #[test]
    fn reads_each_command() {
        let bytes = [
            0x1B, b'@', 0x1B, b'a', 1, 0x1D, b'v', b'0', 0, 1, 0, 2, 0, 0x80, 0x01, 0x1D, b'(',
            b'k', 3, 0, 49, b'Q', 48, b'h', b'i', 0x0A, 0x1D, b'V', 66, 0, 0x1B, b'@', 0x1D, b'V',
            1,
        ];
        let cmds = parse(&bytes).expect("valid");
        assert_eq!(
            cmds,
            [
                Command::Init,
                Command::Justify(1),
                Command::Raster {
                    mode: 0,
                    width_bytes: 1,
                    rows: 2,
                    data: vec![0x80, 0x01]
                },
                Command::Symbol {
                    cn: 49,
                    function: b'Q',
                    params: vec![48]
                },
                Command::Text(b"hi".to_vec()),
                Command::Lf,
                Command::Cut { m: 66, n: Some(0) },
                Command::Init,
                Command::Cut { m: 1, n: None },
            ]
        );
        let tickets = split_tickets(&cmds);
        assert_eq!(tickets.len(), 2);
        assert_eq!(tickets[1].len(), 2);
        assert_eq!(qr_functions(&cmds), [(b'Q', &[48u8][..])]);
    }
}
