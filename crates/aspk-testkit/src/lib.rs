//! Shared by the test suites: the rule for a leg that cannot run on this machine, and
//! running a Node script of the repository (the browser modules' cross-checks).
//!
//! A leg that needs a service or a tool that is missing (PostgreSQL, zbar, Python, root for
//! network namespaces) must never pass in silence. Under CI (`CI` set) it fails. Otherwise
//! it is reported as skipped: on stderr, and as a line in the file `ASPK_SKIP_LOG` names,
//! which `scripts/test` prints as a summary when the run ends.

use std::io::Write;

/// Whether this run is CI: then every leg must run.
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Reports that `leg` cannot run here because `why` (with `fix`, the line that would make it
/// run). Panics under CI; otherwise records the skip and returns, and the caller returns too.
pub fn skip(leg: &str, why: &str, fix: &str) {
    if under_ci() {
        panic!("{leg} cannot run, and CI needs every leg: {why} ({fix})");
    }
    let line = format!("{leg}: {why} ({fix})");
    eprintln!("SKIPPED {line}");
    if let Some(path) = std::env::var_os("ASPK_SKIP_LOG") {
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Runs `node <script>` (a path from the repository's root, where it runs) for `leg`, and
/// returns what it printed on stdout. `None` when node is missing: the skip is reported
/// (a failure under CI). A script that fails fails the test, with its stderr.
pub fn node_script(leg: &str, script: &str) -> Option<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = match std::process::Command::new("node")
        .arg(script)
        .current_dir(root)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            skip(leg, "node not found on PATH", "apt-get install -y nodejs");
            return None;
        }
        Err(e) => panic!("running node {script}: {e}"),
    };
    assert!(
        output.status.success(),
        "node {script} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_written_to_the_skip_log() {
        if under_ci() {
            // The other half of the rule: under CI a skip panics.
            let result = std::panic::catch_unwind(|| skip("probe", "nothing", "nothing to do"));
            assert!(result.is_err(), "a skip under CI must fail");
            return;
        }
        let dir = std::env::temp_dir().join(format!("aspk-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = dir.join("skipped.log");
        std::env::set_var("ASPK_SKIP_LOG", &log);
        skip("probe leg", "the probe is missing", "install the probe");
        let text = std::fs::read_to_string(&log).expect("skip log written");
        assert!(text.contains("probe leg: the probe is missing"), "{text}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
