//! Opening the gate with a shell command (a vendor CLI, `gpioset`, a relay script…).

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::{Event, OutputError};

/// A command that has not exited by then is killed and counts as failed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Stderr kept for the error message.
const STDERR_TAIL: usize = 500;

/// Runs `sh -c cmd` with `ASPK_TICKET`, `ASPK_RESULT`, `ASPK_GATE`, `ASPK_DIRECTION`,
/// `ASPK_CHECK_DOCUMENT` (`1`/`0`), `ASPK_PULSE_MS` and, for feedback, `ASPK_SIGNAL`.
/// A non-zero exit or a timeout is an error.
pub(crate) async fn run(cmd: &str, event: &Event<'_>) -> Result<(), OutputError> {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .env("ASPK_TICKET", event.ticket.unwrap_or_default())
        .env("ASPK_RESULT", event.result)
        .env("ASPK_GATE", event.gate)
        .env("ASPK_DIRECTION", event.direction.as_str())
        .env(
            "ASPK_CHECK_DOCUMENT",
            if event.check_document { "1" } else { "0" },
        )
        .env("ASPK_PULSE_MS", event.pulse.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout also kills what the script started.
        .process_group(0)
        .kill_on_drop(true);
    if let Some(signal) = event.signal {
        command.env("ASPK_SIGNAL", signal);
    }
    let child = command.spawn().map_err(OutputError::Spawn)?;
    let pid = child.id();
    let output = match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.map_err(OutputError::Spawn)?,
        Err(_) => {
            kill_group(pid);
            return Err(OutputError::CommandTimeout(COMMAND_TIMEOUT));
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.trim();
    let tail_from = stderr
        .char_indices()
        .rev()
        .nth(STDERR_TAIL)
        .map_or(0, |(i, _)| i);
    Err(OutputError::CommandFailed {
        status: output.status.to_string(),
        stderr: stderr[tail_from..].to_owned(),
    })
}

/// Kills the process group led by `pid` (the `sh` started with `process_group(0)`).
pub(crate) fn kill_group(pid: Option<u32>) {
    let pid = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // Already gone is fine.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}
