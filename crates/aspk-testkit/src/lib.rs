//! Shared by the test suites: the rule for a leg that cannot run on this machine.
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
