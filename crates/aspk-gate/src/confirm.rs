//! Optional "passage confirmed" input from the turnstile, so the caller can tell a used
//! grant from one where nobody walked through (and record the latter as unused).

use std::net::SocketAddr;
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::input::tcp;

/// Where passage confirmations come from (the `--confirm` CLI forms, see
/// [`ConfirmSpec::from_str`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmSpec {
    /// No sensor: every grant counts as passed.
    None,
    /// `sh -c COMMAND` run per grant (with `ASPK_TIMEOUT_MS`); exit 0 within the timeout
    /// means somebody passed, a non-zero exit or the timeout means nobody did.
    Command(String),
    /// A TCP listener; the turnstile controller (or a bridge) connects and sends a line
    /// `passed` for each rotation.
    Tcp(SocketAddr),
}

impl FromStr for ConfirmSpec {
    type Err = ConfirmError;

    /// `none`, `cmd:SHELL COMMAND` (or `command:`), `tcp:HOST:PORT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ConfirmError::Parse {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        let s = s.trim();
        if s == "none" {
            return Ok(Self::None);
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
        if let Some(addr) = s.strip_prefix("tcp:") {
            return addr
                .parse()
                .map(Self::Tcp)
                .map_err(|_| err("tcp needs an IP address and port, e.g. tcp:127.0.0.1:9100"));
        }
        Err(err("unknown confirmation kind"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error(
        "invalid confirmation {spec:?}: {reason} (expected none, cmd:COMMAND or tcp:HOST:PORT)"
    )]
    Parse { spec: String, reason: String },
    #[error(transparent)]
    Listen(#[from] crate::input::InputError),
    #[error("cannot start the passage command: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("the passage listener stopped")]
    Closed,
}

/// Passages counted so far, taken before opening the gate (see
/// [`PassageConfirm::wait_passage_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassageMark(u64);

/// A started [`ConfirmSpec`].
#[derive(Debug)]
pub struct PassageConfirm {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    None,
    Command(String),
    Tcp {
        local: SocketAddr,
        passed: watch::Receiver<u64>,
        counter: JoinHandle<()>,
    },
}

impl Drop for PassageConfirm {
    fn drop(&mut self) {
        if let Kind::Tcp { counter, .. } = &self.kind {
            // Dropping the counter drops the line channel, which stops the listener.
            counter.abort();
        }
    }
}

impl PassageConfirm {
    /// No sensor: every grant counts as passed (the same as starting [`ConfirmSpec::None`]).
    pub fn none() -> Self {
        Self { kind: Kind::None }
    }

    /// Starts listening (for `Tcp`; port 0 picks a free port). Must be called inside a
    /// tokio runtime.
    pub fn start(spec: ConfirmSpec) -> Result<Self, ConfirmError> {
        let kind = match spec {
            ConfirmSpec::None => Kind::None,
            ConfirmSpec::Command(cmd) => Kind::Command(cmd),
            ConfirmSpec::Tcp(addr) => {
                let (local, mut lines) = tcp::spawn(addr)?;
                let (tx, passed) = watch::channel(0u64);
                let counter = tokio::spawn(async move {
                    while let Some(line) = lines.recv().await {
                        if line.eq_ignore_ascii_case("passed") {
                            tx.send_modify(|n| *n += 1);
                        } else {
                            tracing::debug!(line, "ignoring a passage line that is not `passed`");
                        }
                    }
                });
                Kind::Tcp {
                    local,
                    passed,
                    counter,
                }
            }
        };
        Ok(Self { kind })
    }

    /// Whether a sensor is configured (anything but [`ConfirmSpec::None`]): grants wait for it.
    pub fn has_sensor(&self) -> bool {
        !matches!(self.kind, Kind::None)
    }

    /// The address the `Tcp` listener is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.kind {
            Kind::Tcp { local, .. } => Some(*local),
            _ => None,
        }
    }

    /// Take this before opening the gate, then wait with [`Self::wait_passage_since`], so a
    /// rotation reported while the gate was still opening is not missed.
    pub fn mark(&self) -> PassageMark {
        match &self.kind {
            Kind::Tcp { passed, .. } => PassageMark(*passed.borrow()),
            _ => PassageMark(0),
        }
    }

    /// Whether somebody passed within `timeout` from now. With no sensor, always `true`.
    pub async fn wait_passage(&self, timeout: Duration) -> Result<bool, ConfirmError> {
        self.wait_passage_since(self.mark(), timeout).await
    }

    /// Whether somebody passed after `mark`, waiting at most `timeout`.
    pub async fn wait_passage_since(
        &self,
        mark: PassageMark,
        timeout: Duration,
    ) -> Result<bool, ConfirmError> {
        match &self.kind {
            Kind::None => Ok(true),
            Kind::Command(cmd) => run_command(cmd, timeout).await,
            Kind::Tcp { passed, .. } => {
                let mut passed = passed.clone();
                let waited = tokio::time::timeout(timeout, passed.wait_for(|n| *n > mark.0))
                    .await
                    .map(|r| r.is_ok());
                match waited {
                    Ok(true) => Ok(true),
                    Ok(false) => Err(ConfirmError::Closed),
                    Err(_) => Ok(false),
                }
            }
        }
    }
}

async fn run_command(cmd: &str, timeout: Duration) -> Result<bool, ConfirmError> {
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .env("ASPK_TIMEOUT_MS", timeout.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(ConfirmError::Spawn)?;
    let pid = child.id();
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => Ok(status.success()),
        Ok(Err(e)) => Err(ConfirmError::Spawn(e)),
        Err(_) => {
            crate::output::command::kill_group(pid);
            Ok(false)
        }
    }
}
