//! The turnstile agent's hardware side: it owns **scanner input** (stdin, a TCP line
//! listener, a serial port, a Linux evdev keyboard-wedge device) and **turnstile output**
//! (a shell command, an HTTP controller, a GPIO line), plus passage confirmation and
//! operator feedback (LEDs/buzzer, the one-JSON-line-per-decision contract).
//!
//! It does **not** decide anything about tickets: the caller feeds each scanned code to
//! the decision logic and then tells this crate what to do with the gate.
//!
//! Everything that spawns tasks must be called from inside a tokio runtime.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod confirm;
pub mod feedback;
pub mod input;
pub mod output;

pub use confirm::{ConfirmError, ConfirmSpec, PassageConfirm, PassageMark};
pub use feedback::{decision_line, Feedback, Signal};
pub use input::{lines_from, spawn_input, InputError, InputSpec, MAX_CODE_LEN};
pub use output::{Direction, OutputError, OutputSpec, PassInfo, Turnstile};
