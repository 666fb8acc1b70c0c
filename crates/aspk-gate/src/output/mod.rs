//! Turnstile output: what opens the gate once the caller has decided to let someone through.

pub mod command;
mod driver;
pub mod gpio;
pub mod http;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) use driver::{Action, Driver, Event};

/// How the gate is opened (the `--output` CLI forms, see [`OutputSpec::from_str`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    /// A shell command run with `sh -c` and `ASPK_*` environment variables.
    Command(String),
    /// A turnstile controller that takes a JSON POST.
    Http { url: String },
    /// A relay on a Linux GPIO line (character device), pulsed active for the pulse time.
    Gpio {
        chip: PathBuf,
        line: u32,
        active_low: bool,
    },
    /// Nothing to drive (decisions are only printed).
    None,
}

impl FromStr for OutputSpec {
    type Err = OutputError;

    /// `none`, `cmd:SHELL COMMAND` (or `command:`), `http://…` / `https://…`,
    /// `gpio:CHIP:LINE[:active_low]` where CHIP is a path or a name under `/dev`
    /// (`gpio:/dev/gpiochip0:17`, `gpio:gpiochip0:17:active_low`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| OutputError::Parse {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        let s = s.trim();
        if s == "none" {
            return Ok(Self::None);
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(Self::Http { url: s.to_owned() });
        }
        if let Some(cmd) = s
            .strip_prefix("cmd:")
            .or_else(|| s.strip_prefix("command:"))
        {
            let cmd = cmd.trim();
            if cmd.is_empty() {
                return Err(err("the command is empty"));
            }
            return Ok(Self::Command(cmd.to_owned()));
        }
        if let Some(rest) = s.strip_prefix("gpio:") {
            let (rest, active_low) = match rest
                .strip_suffix(":active_low")
                .or_else(|| rest.strip_suffix(":active-low"))
            {
                Some(rest) => (rest, true),
                None => (rest, false),
            };
            let (chip, line) = rest
                .rsplit_once(':')
                .ok_or_else(|| err("gpio needs CHIP:LINE, e.g. gpio:/dev/gpiochip0:17"))?;
            let line = line
                .parse::<u32>()
                .map_err(|_| err("the GPIO line must be a number (its offset on the chip)"))?;
            if chip.is_empty() {
                return Err(err("the GPIO chip is empty"));
            }
            let chip = if chip.contains('/') {
                PathBuf::from(chip)
            } else {
                PathBuf::from("/dev").join(chip)
            };
            return Ok(Self::Gpio {
                chip,
                line,
                active_low,
            });
        }
        Err(err("unknown output kind"))
    }
}

/// Which way the turnstile lets people through; passed on to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Entry,
    Exit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Exit => "exit",
        }
    }
}

impl FromStr for Direction {
    type Err = OutputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "entry" | "in" => Ok(Self::Entry),
            "exit" | "out" => Ok(Self::Exit),
            other => Err(OutputError::Parse {
                spec: other.to_owned(),
                reason: "direction is entry or exit".to_owned(),
            }),
        }
    }
}

/// What the caller decided about one scan; the output passes it on to the controller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassInfo {
    pub ticket: Option<String>,
    pub result: String,
    pub gate: String,
    pub needs_document_check: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("invalid output {spec:?}: {reason} (expected none, cmd:COMMAND, http(s)://URL or gpio:CHIP:LINE[:active_low])")]
    Parse { spec: String, reason: String },
    #[error("cannot start turnstile command: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("turnstile command failed ({status}){}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    CommandFailed { status: String, stderr: String },
    #[error("turnstile command did not finish within {0:?}")]
    CommandTimeout(Duration),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("turnstile controller {url} unreachable: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("turnstile controller {url} answered {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    HttpStatus {
        url: String,
        status: u16,
        body: String,
    },
    #[error("GPIO {} line {line}: {reason}", chip.display())]
    Gpio {
        chip: PathBuf,
        line: u32,
        reason: String,
    },
}

/// The turnstile: opens for one person per [`Turnstile::open`], or stays open in free
/// passage (fire alarm) between `hold_open(true)` and `hold_open(false)`.
#[derive(Debug)]
pub struct Turnstile {
    spec: OutputSpec,
    pulse: Duration,
    direction: Direction,
    gate: String,
    driver: Driver,
    held_open: AtomicBool,
}

impl Turnstile {
    /// `pulse` is how long a GPIO relay stays active (and `pulse_ms` for HTTP/commands).
    /// The direction defaults to [`Direction::Entry`]. Nothing is touched until the first
    /// [`Turnstile::open`] / [`Turnstile::hold_open`], so this cannot fail.
    pub fn new(spec: OutputSpec, pulse: Duration) -> Self {
        Self {
            driver: Driver::new(&spec),
            spec,
            pulse,
            direction: Direction::default(),
            gate: String::new(),
            held_open: AtomicBool::new(false),
        }
    }

    /// Which way this turnstile admits (`ASPK_DIRECTION`, `direction`).
    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// The gate name reported with free-passage events (`ASPK_GATE`, `gate`), which have no
    /// [`PassInfo`].
    pub fn with_gate(mut self, gate: impl Into<String>) -> Self {
        self.gate = gate.into();
        self
    }

    pub fn spec(&self) -> &OutputSpec {
        &self.spec
    }

    pub fn pulse(&self) -> Duration {
        self.pulse
    }

    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Whether free passage is on.
    pub fn is_held_open(&self) -> bool {
        self.held_open.load(Ordering::SeqCst)
    }

    /// Lets one person through. While free passage is on the gate is already open and this
    /// does nothing.
    pub async fn open(&self, info: &PassInfo) -> Result<(), OutputError> {
        if self.is_held_open() {
            tracing::debug!(gate = info.gate, "free passage: gate already open");
            return Ok(());
        }
        let event = Event {
            ticket: info.ticket.as_deref(),
            result: &info.result,
            gate: &info.gate,
            direction: self.direction,
            pulse: self.pulse,
            check_document: info.needs_document_check,
            signal: None,
        };
        self.driver.fire(&event, Action::Pulse).await
    }

    /// Free passage for a fire alarm or evacuation: `true` opens the gate and keeps it
    /// open, `false` returns to normal. A command gets `ASPK_RESULT=free_passage_on/off`,
    /// an HTTP controller `result: "free_passage_on"/"free_passage_off"`.
    pub async fn hold_open(&self, on: bool) -> Result<(), OutputError> {
        self.held_open.store(on, Ordering::SeqCst);
        let event = Event {
            ticket: None,
            result: if on {
                "free_passage_on"
            } else {
                "free_passage_off"
            },
            gate: &self.gate,
            direction: self.direction,
            pulse: self.pulse,
            check_document: false,
            signal: None,
        };
        self.driver.fire(&event, Action::Hold(on)).await
    }
}
