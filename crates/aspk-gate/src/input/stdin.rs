//! Codes typed or piped on standard input (a USB HID scanner on a focused terminal, or a test).

use tokio::sync::mpsc;

use super::lines::lines_from_named;

pub(super) fn spawn() -> mpsc::Receiver<String> {
    lines_from_named(tokio::io::stdin(), "stdin".to_owned())
}
