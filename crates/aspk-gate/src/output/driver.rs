//! One output device of any [`OutputSpec`] kind, shared by the turnstile and feedback.

use std::time::Duration;

use super::gpio::GpioLine;
use super::{command, http, Direction, OutputError, OutputSpec};

/// What happened, as told to a command (env vars) or a controller (JSON).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event<'a> {
    pub ticket: Option<&'a str>,
    pub result: &'a str,
    pub gate: &'a str,
    pub direction: Direction,
    pub pulse: Duration,
    pub check_document: bool,
    /// Set for feedback outputs: `green`, `red`, `amber`.
    pub signal: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Active for the pulse, then inactive.
    Pulse,
    /// Stay active (`true`) or inactive (`false`) until told otherwise.
    Hold(bool),
}

#[derive(Debug)]
pub(crate) enum Driver {
    Command(String),
    Http {
        /// Built on first use, so constructing a turnstile cannot fail.
        client: tokio::sync::OnceCell<reqwest::Client>,
        url: String,
    },
    Gpio(GpioLine),
    None,
}

impl Driver {
    pub(crate) fn new(spec: &OutputSpec) -> Self {
        match spec {
            OutputSpec::Command(cmd) => Self::Command(cmd.clone()),
            OutputSpec::Http { url } => Self::Http {
                client: tokio::sync::OnceCell::new(),
                url: url.clone(),
            },
            OutputSpec::Gpio {
                chip,
                line,
                active_low,
            } => Self::Gpio(GpioLine::new(chip.clone(), *line, *active_low)),
            OutputSpec::None => Self::None,
        }
    }

    pub(crate) async fn fire(&self, event: &Event<'_>, action: Action) -> Result<(), OutputError> {
        match self {
            Self::Command(cmd) => command::run(cmd, event).await,
            Self::Http { client, url } => {
                let client = client.get_or_try_init(|| async { http::client() }).await?;
                http::post(client, url, event).await
            }
            Self::Gpio(line) => match action {
                Action::Pulse => line.pulse(event.pulse).await,
                Action::Hold(on) => line.hold(on),
            },
            Self::None => Ok(()),
        }
    }
}
