//! The turnstile agent: its orchestration per scan ([`Agent`]) and its hardware. It owns
//! **scanner input** (stdin, a TCP line listener, a serial port, a Linux evdev
//! keyboard-wedge device) and **turnstile output** (a shell command, an HTTP controller, a
//! GPIO line), plus passage confirmation and operator feedback (LEDs/buzzer, the
//! one-JSON-line-per-decision contract).
//!
//! It does **not** decide anything about tickets: the caller's [`Decider`] does. The
//! [`Agent`] feeds it each scanned code and then drives the gate: signal, open, wait for
//! the passage, confirm or withdraw the pass, one JSON line per decision.
//!
//! Everything that spawns tasks must be called from inside a tokio runtime.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod agent;
pub mod confirm;
pub mod feedback;
pub mod input;
pub mod output;

pub use agent::{Agent, Decider, DeciderError, Decision, FirstEntry, ScanError, Scanned, ADMIT};
pub use confirm::{ConfirmError, ConfirmSpec, PassageConfirm, PassageMark};
pub use feedback::{decision_line, Feedback, Signal};
pub use input::{lines_from, spawn_input, InputError, InputSpec, MAX_CODE_LEN};
pub use output::{Direction, OutputError, OutputSpec, PassInfo, Turnstile};
