//! `serve --ups-command CMD`: watches the power through the UPS. The command (e.g. NUT's
//! `upsc myups@localhost ups.status`) runs every 10 s; output containing `OB` (on battery),
//! a non-zero exit or no answer means the power is out, and the status shows the power
//! failure and the steps of the continuity plan for it.

use std::process::Stdio;
use std::time::Duration;

use aspk_app::Node;

/// How often the UPS is asked.
const EVERY: Duration = Duration::from_secs(10);
/// How long one reading may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the UPS through `command` now and every 10 s, for as long as the server runs.
pub fn spawn(node: Node, command: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut was_out = false;
        loop {
            let (is_out, detail) = read(&command).await;
            if is_out != was_out {
                match is_out {
                    true => tracing::warn!(%detail, "power is out: the UPS runs on battery"),
                    false => tracing::info!(%detail, "power is back"),
                }
            }
            was_out = is_out;
            node.note_power(is_out, detail);
            tokio::time::sleep(EVERY).await;
        }
    })
}

/// Runs `command` with `sh -c`: whether the power is out, and what the command said.
async fn read(command: &str) -> (bool, String) {
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(TIMEOUT, run).await {
        Err(_) => (true, format!("no answer within {} s", TIMEOUT.as_secs())),
        Ok(Err(e)) => (true, format!("cannot run the UPS command: {e}")),
        Ok(Ok(out)) if !out.status.success() => {
            let said = first_line(&out.stderr).or_else(|| first_line(&out.stdout));
            let code = out
                .status
                .code()
                .map_or("a signal".into(), |c| c.to_string());
            (
                true,
                format!(
                    "the UPS command failed ({code}): {}",
                    said.unwrap_or_default()
                ),
            )
        }
        Ok(Ok(out)) => {
            let text = String::from_utf8_lossy(&out.stdout);
            (
                says_on_battery(&text),
                first_line(&out.stdout).unwrap_or_default(),
            )
        }
    }
}

/// NUT's status flags, e.g. `OB DISCHRG LB`: `OB` is on battery.
fn says_on_battery(text: &str) -> bool {
    text.split_whitespace().any(|word| word == "OB")
}

fn first_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_battery_is_the_ob_flag() {
        assert!(says_on_battery("OB DISCHRG\n"));
        assert!(says_on_battery("OB"));
        assert!(!says_on_battery("OL CHRG"));
        assert!(!says_on_battery("ROBUST"));
    }

    #[tokio::test]
    async fn the_power_is_out_on_ob_or_a_failed_command() {
        assert_eq!(read("echo OL CHRG").await, (false, "OL CHRG".to_owned()));
        assert_eq!(
            read("echo OB DISCHRG").await,
            (true, "OB DISCHRG".to_owned())
        );
        let (is_out, detail) = read("echo 'no such UPS' >&2; exit 3").await;
        assert!(is_out);
        assert!(detail.contains("(3): no such UPS"), "{detail}");
    }
}
