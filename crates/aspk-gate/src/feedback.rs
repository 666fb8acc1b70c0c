//! What the operator and the visitor see and hear: the one-JSON-line-per-decision output
//! and the signal lights / buzzer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::output::{Action, Direction, Driver, Event, OutputError, OutputSpec, PassInfo};

/// One decision as exactly one JSON line (no trailing newline):
/// `{"result":…,"ticket":…,"offline":…}`, `ticket` left out when `None`. This is the
/// external contract of `aspk gate --input …` on stdout.
///
/// The keys of `extra`, when it is an object, follow in sorted order (the three contract
/// keys win over same-named extras); `null` adds nothing; any other value goes under
/// `"extra"`.
pub fn decision_line(result: &str, ticket: Option<&str>, offline: bool, extra: Value) -> String {
    const CONTRACT: [&str; 3] = ["result", "ticket", "offline"];
    let mut line = String::with_capacity(64);
    line.push('{');
    push_field(&mut line, "result", &Value::from(result));
    if let Some(ticket) = ticket {
        line.push(',');
        push_field(&mut line, "ticket", &Value::from(ticket));
    }
    line.push(',');
    push_field(&mut line, "offline", &Value::from(offline));
    match extra {
        Value::Null => {}
        Value::Object(map) => {
            let mut extras: Vec<_> = map
                .into_iter()
                .filter(|(k, _)| !CONTRACT.contains(&k.as_str()))
                .collect();
            extras.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in &extras {
                line.push(',');
                push_field(&mut line, k, v);
            }
        }
        other => {
            line.push(',');
            push_field(&mut line, "extra", &other);
        }
    }
    line.push('}');
    line
}

fn push_field(line: &mut String, key: &str, value: &Value) {
    // Serializing a `Value` cannot fail; compact JSON never contains a raw newline.
    line.push_str(&Value::from(key).to_string());
    line.push(':');
    line.push_str(&value.to_string());
}

/// The light shown to the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Admitted.
    Green,
    /// Refused.
    Red,
    /// Admitted, but staff must check a document (reduced or free ticket).
    Amber,
}

impl Signal {
    /// `admit` is green (amber when a document must be checked), anything else red.
    pub fn for_decision(result: &str, needs_document_check: bool) -> Self {
        match (result, needs_document_check) {
            ("admit", true) => Self::Amber,
            ("admit", false) => Self::Green,
            _ => Self::Red,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Red => "red",
            Self::Amber => "amber",
        }
    }
}

/// Signal lamps and buzzers, each wired to one [`OutputSpec`]; a signal may drive several
/// outputs (e.g. red lamp and buzzer). A command gets `ASPK_SIGNAL`, an HTTP endpoint a
/// `signal` field, a GPIO line a pulse.
#[derive(Debug, Default)]
pub struct Feedback {
    pulse: Duration,
    direction: Direction,
    outputs: Vec<(Signal, Arc<Driver>)>,
}

impl Feedback {
    /// `pulse`: how long a lamp or buzzer stays on.
    pub fn new(pulse: Duration) -> Self {
        Self {
            pulse,
            ..Self::default()
        }
    }

    /// The direction reported to commands and controllers (default: entry).
    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Adds an output for `signal`.
    pub fn on(mut self, signal: Signal, spec: &OutputSpec) -> Self {
        if *spec != OutputSpec::None {
            self.outputs.push((signal, Arc::new(Driver::new(spec))));
        }
        self
    }

    /// Shows `signal` for a decision on every output wired to it, all at once. Returns the
    /// first error; the other outputs still fire.
    pub async fn show(&self, signal: Signal, info: &PassInfo) -> Result<(), OutputError> {
        let mut tasks = tokio::task::JoinSet::new();
        for (_, driver) in self.outputs.iter().filter(|(s, _)| *s == signal) {
            let driver = Arc::clone(driver);
            let info = info.clone();
            let (pulse, direction) = (self.pulse, self.direction);
            tasks.spawn(async move {
                let event = Event {
                    ticket: info.ticket.as_deref(),
                    result: &info.result,
                    gate: &info.gate,
                    direction,
                    pulse,
                    check_document: info.needs_document_check,
                    signal: Some(signal.as_str()),
                };
                driver.fire(&event, Action::Pulse).await
            });
        }
        let mut first_err = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(e) => tracing::warn!(error = %e, "a feedback output task failed"),
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}
