//! The gate's orchestration, one scan at a time: ask the decision logic, show the signal,
//! open the turnstile for an admitted ticket, wait for the visitor to walk through, confirm
//! the pass or withdraw it, and describe the decision as one JSON line.
//!
//! The decision itself is the caller's (a [`Decider`]: `aspk gate` decides on its replica
//! of the venue); this module only knows what to do with the gate once it is made.

use std::error::Error;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use aspk_ticket::HumanNumber;
use serde_json::json;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::{decision_line, Feedback, PassInfo, PassageConfirm, Signal, Turnstile};

/// The result that opens the turnstile.
pub const ADMIT: &str = "admit";

/// What was presented at the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A ticket number a person typed.
    Number(String),
    /// A QR code's text.
    Code(String),
}

impl Scanned {
    /// A typed number or a code, by the one rule the API and the phone use too
    /// ([`HumanNumber::is_typed`]).
    pub fn classify(text: &str) -> Self {
        if HumanNumber::is_typed(text) {
            Self::Number(text.to_owned())
        } else {
            Self::Code(text.to_owned())
        }
    }
}

/// The decision on one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// The scan result as the API names it: [`ADMIT`], `already_used`, `void`, …
    pub result: String,
    /// The ticket's serial, when the scan named a ticket.
    pub serial: Option<u64>,
    /// An admitted reduced or free ticket: staff check the visitor's document (amber).
    pub needs_document_check: bool,
    /// For `already_used`: when and where the ticket was first used.
    pub first_entry: Option<FirstEntry>,
    /// A paper stock ticket whose sale is not entered yet: `Some(false)`.
    pub sale_entered: Option<bool>,
}

/// An earlier entry of the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstEntry {
    /// RFC 3339.
    pub at: String,
    pub gate: String,
}

/// Why a scan has no decision. Nothing is signalled and the gate stays shut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The request itself is wrong (e.g. the gate's name): result `invalid`.
    #[error("{0}")]
    Invalid(String),
    /// Anything else (the store, …): result `error`.
    #[error("{0}")]
    Failed(String),
}

impl ScanError {
    /// The decision line's `result`.
    pub fn result(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::Failed(_) => "error",
        }
    }
}

/// An error of [`Decider::confirm`] or [`Decider::withdraw`]; it is logged.
pub type DeciderError = Box<dyn Error + Send + Sync>;

/// The decision logic behind a gate.
pub trait Decider: Send + Sync {
    /// Decides one scan at this gate; an admission is recorded before it answers.
    fn scan(&self, scanned: Scanned) -> impl Future<Output = Result<Decision, ScanError>> + Send;

    /// The admitted visitor walked through (or there is no passage sensor, and every grant
    /// counts as used). The admission is already recorded: by default nothing more.
    fn confirm(&self, serial: u64) -> impl Future<Output = Result<(), DeciderError>> + Send {
        let _ = serial;
        std::future::ready(Ok(()))
    }

    /// The turnstile opened but nobody walked through: the pass is unused and the ticket
    /// must stay usable.
    fn withdraw(&self, serial: u64) -> impl Future<Output = Result<(), DeciderError>> + Send;

    /// Whether decisions are made without the upstream now (the line's `offline`).
    fn is_offline(&self) -> bool;
}

/// The turnstile agent: a [`Decider`] and the gate's hardware.
#[derive(Debug)]
pub struct Agent<D> {
    decider: D,
    gate: String,
    turnstile: Arc<Turnstile>,
    feedback: Feedback,
    confirm: PassageConfirm,
    confirm_timeout: Duration,
}

impl<D: Decider> Agent<D> {
    /// The agent of gate `gate` (its name in [`PassInfo`]). No signals and no passage
    /// sensor until [`Agent::with_feedback`] and [`Agent::with_passage`].
    pub fn new(decider: D, gate: impl Into<String>, turnstile: Arc<Turnstile>) -> Self {
        Self {
            decider,
            gate: gate.into(),
            turnstile,
            feedback: Feedback::default(),
            confirm: PassageConfirm::none(),
            confirm_timeout: Duration::ZERO,
        }
    }

    /// The signal lamps and buzzers.
    pub fn with_feedback(mut self, feedback: Feedback) -> Self {
        self.feedback = feedback;
        self
    }

    /// The passage sensor, and how long to wait for a passage after opening; then the pass
    /// counts as unused and is withdrawn.
    pub fn with_passage(mut self, confirm: PassageConfirm, timeout: Duration) -> Self {
        self.confirm = confirm;
        self.confirm_timeout = timeout;
        self
    }

    pub fn decider(&self) -> &D {
        &self.decider
    }

    /// Handles every code until the channel closes, writing one decision line (and a
    /// newline) per code to `out`, flushed at once.
    pub async fn run<W: AsyncWrite + Unpin>(
        &self,
        mut codes: mpsc::Receiver<String>,
        mut out: W,
    ) -> io::Result<()> {
        while let Some(code) = codes.recv().await {
            let mut line = self.handle(&code).await;
            line.push('\n');
            out.write_all(line.as_bytes()).await?;
            out.flush().await?;
        }
        Ok(())
    }

    /// One scan, from the scanned text to its decision line (see [`decision_line`]):
    /// `result`, `ticket`, `offline`, then `check_document`, `first_entry` and, with a
    /// passage sensor, `passed` for an admission; `error` when there is no decision.
    pub async fn handle(&self, text: &str) -> String {
        let offline = self.decider.is_offline();
        match self.decider.scan(Scanned::classify(text)).await {
            Ok(decision) => self.act(&decision, offline).await,
            Err(e) => decision_line(e.result(), None, offline, json!({"error": e.to_string()})),
        }
    }

    async fn act(&self, decision: &Decision, offline: bool) -> String {
        let ticket = decision
            .serial
            .and_then(|s| HumanNumber::try_from_serial(s).ok())
            .map(|n| n.digits());
        let check = decision.needs_document_check;
        let info = PassInfo {
            ticket: ticket.clone(),
            result: decision.result.clone(),
            gate: self.gate.clone(),
            needs_document_check: check,
        };
        let signal = Signal::for_decision(&decision.result, check);
        if let Err(e) = self.feedback.show(signal, &info).await {
            tracing::error!(error = %e, "cannot show the signal");
        }
        let passed = if decision.result == ADMIT {
            Some(self.pass(decision, &info).await)
        } else {
            None
        };
        let first_entry = decision
            .first_entry
            .as_ref()
            .map(|e| json!({"at": e.at, "gate": e.gate}));
        let mut extra = json!({
            "check_document": check,
            "first_entry": first_entry,
        });
        if let (Some(passed), true) = (passed, self.confirm.has_sensor()) {
            extra["passed"] = json!(passed);
        }
        if let Some(entered) = decision.sale_entered {
            extra["sale_entered"] = json!(entered);
        }
        decision_line(&decision.result, ticket.as_deref(), offline, extra)
    }

    /// Opens the turnstile for an admitted ticket and, with a passage sensor, waits for the
    /// visitor to walk through; a pass nobody used is withdrawn, so the ticket stays usable.
    async fn pass(&self, decision: &Decision, info: &PassInfo) -> bool {
        let mark = self.confirm.mark();
        if let Err(e) = self.turnstile.open(info).await {
            tracing::error!(error = %e, "cannot open the turnstile");
        }
        let passed = if self.confirm.has_sensor() {
            self.confirm
                .wait_passage_since(mark, self.confirm_timeout)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "passage sensor failed; counting the pass as used");
                    true
                })
        } else {
            true
        };
        if let Some(serial) = decision.serial {
            if passed {
                if let Err(e) = self.decider.confirm(serial).await {
                    tracing::error!(error = %e, "cannot confirm a pass");
                }
            } else if let Err(e) = self.decider.withdraw(serial).await {
                tracing::error!(error = %e, "cannot withdraw an unused pass");
            }
        }
        passed
    }
}
