//! `aspk status`: the continuity console on the command line. Asks a node's
//! `GET /api/v1/status` and prints every part with its state, the ops waiting to sync, the
//! open findings and, for each failure happening now, the steps of the continuity plan.
//!
//! Exit code: 0 when all is well, 1 when a failure is detected, 2 when the node cannot be
//! reached or asked (no answer, or the credentials were refused).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use clap::Args;
use serde::Deserialize;

#[derive(Args)]
pub struct StatusArgs {
    /// The node to ask: the cloud, a site node or a gate.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "ASPK_URL")]
    url: String,
    /// A staff token: shows every part, the failures and what to do (else only the
    /// public figures).
    #[arg(long, env = "ASPK_TOKEN", conflicts_with = "user")]
    token: Option<String>,
    /// Sign in as this member of staff (any role) instead of giving a token.
    #[arg(long, requires = "password_file")]
    user: Option<String>,
    /// File holding the password of --user.
    #[arg(long, requires = "user")]
    password_file: Option<PathBuf>,
    /// The language of the failures and steps: uk or en.
    #[arg(long, default_value = "uk", value_parser = ["uk", "en"])]
    lang: String,
}

/// Ends `aspk` with this exit code, saying nothing more (what to say was printed).
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// A failure was detected.
const FAILING: u8 = 1;
/// The node could not be reached or asked.
const UNREACHABLE: u8 = 2;

/// The answer of `GET /api/v1/status` (the fields this command shows).
#[derive(Debug, Deserialize)]
struct Status {
    role: String,
    upstream: Option<Upstream>,
    pending_ops: u64,
    oldest_pending_at: Option<DateTime<Utc>>,
    findings_open: u64,
    version: String,
    scope: Option<String>,
    is_store_stalled: Option<bool>,
    leases: Option<Vec<Lease>>,
    parts: Option<Vec<Part>>,
    failures: Option<Vec<Failure>>,
}

#[derive(Debug, Deserialize)]
struct Upstream {
    url: String,
    reachable: bool,
    last_pull: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Lease {
    left: u32,
}

#[derive(Debug, Deserialize)]
struct Part {
    kind: String,
    is_this_node: bool,
    name: String,
    venue: Option<String>,
    state: String,
    last_contact: Option<DateTime<Utc>>,
    detail: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Failure {
    kind: String,
    title: String,
    since: Option<DateTime<Utc>>,
    parts: Vec<String>,
    steps: Vec<String>,
}

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let base = args.url.trim().trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let status = match ask(&http, &base, &args).await {
        Ok(status) => status,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Err(Exit(UNREACHABLE).into());
        }
    };
    print!("{}", report(&base, &status, Utc::now()));
    if is_failing(&status) {
        return Err(Exit(FAILING).into());
    }
    Ok(())
}

/// The status of the node at `base`, with the staff fields when credentials were given.
async fn ask(http: &reqwest::Client, base: &str, args: &StatusArgs) -> anyhow::Result<Status> {
    let token = match (&args.token, &args.user, &args.password_file) {
        (Some(token), _, _) => Some(token.trim().to_owned()),
        (None, Some(user), Some(file)) => Some(sign_in(http, base, user, file).await?),
        _ => None,
    };
    let mut request = http
        .get(format!("{base}/api/v1/status"))
        .query(&[("lang", args.lang.as_str())]);
    if let Some(token) = &token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {base}: {e}"))?;
    let code = response.status();
    if code == reqwest::StatusCode::UNAUTHORIZED {
        anyhow::bail!("{base} refused the credentials: sign in again");
    }
    if !code.is_success() {
        anyhow::bail!("{base} answered {code} to GET /api/v1/status");
    }
    response
        .json()
        .await
        .map_err(|e| anyhow::anyhow!("{base} did not answer as an aspk node: {e}"))
}

/// A staff token for `user`, whose password is in `file`.
async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    file: &std::path::Path,
) -> anyhow::Result<String> {
    let password = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read the password file {}: {e}", file.display()))?;
    let password = password.trim_end_matches(['\n', '\r']);
    let response = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {base}: {e}"))?;
    if !response.status().is_success() {
        anyhow::bail!("{base} refused to sign in {user}: {}", response.status());
    }
    let answer: serde_json::Value = response.json().await?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{base} gave no token"))
}

/// Whether a failure is detected: one the node reports (staff), else an unreachable
/// upstream.
fn is_failing(status: &Status) -> bool {
    match &status.failures {
        Some(failures) => !failures.is_empty(),
        None => status.upstream.as_ref().is_some_and(|u| !u.reachable),
    }
}

/// The whole report, as printed.
fn report(base: &str, status: &Status, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let role = status.role.replace('_', " ");
    let venue = status
        .scope
        .as_deref()
        .map(|v| format!(", venue {v}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "aspk status of {base}: {role}{venue} (aspk {})\n\n",
        status.version
    ));
    match &status.parts {
        Some(parts) => out.push_str(&parts_table(parts, now)),
        None => out.push_str(&public_summary(status, now)),
    }
    out.push('\n');
    out.push_str(&figures(status, now));
    out.push('\n');
    match &status.failures {
        Some(failures) if failures.is_empty() => out.push_str("All is well: no failure.\n"),
        Some(failures) => out.push_str(&what_to_do(failures, now)),
        None => {
            if is_failing(status) {
                out.push_str("FAILURE: the upstream cannot be reached.\n");
            }
            out.push_str(
                "Give --token or --user/--password-file to see every part and what to do now.\n",
            );
        }
    }
    out
}

/// Every part, one a line, in columns.
fn parts_table(parts: &[Part], now: DateTime<Utc>) -> String {
    let mut rows = vec![[
        "PART".to_owned(),
        "NAME".to_owned(),
        "STATE".to_owned(),
        "LAST CONTACT".to_owned(),
        "NOTE".to_owned(),
    ]];
    for part in parts {
        let mut kind = part.kind.replace('_', " ");
        if part.is_this_node {
            kind.push_str(" (this node)");
        }
        let name = match &part.venue {
            Some(venue) if !part.is_this_node && !part.name.is_empty() => {
                format!("{} [{venue}]", part.name)
            }
            _ if part.name.is_empty() => "—".to_owned(),
            _ => part.name.clone(),
        };
        rows.push([
            kind,
            name,
            part.state.replace('_', " "),
            part.last_contact
                .map(|at| when(at, now))
                .unwrap_or_else(|| "—".into()),
            part.detail.clone().unwrap_or_default(),
        ]);
    }
    columns(&rows)
}

/// What anyone may see: the node, its upstream, nothing of the other parts.
fn public_summary(status: &Status, now: DateTime<Utc>) -> String {
    let mut rows = vec![[
        "PART".to_owned(),
        "STATE".to_owned(),
        "LAST CONTACT".to_owned(),
    ]];
    rows.push([
        format!("{} (this node)", status.role.replace('_', " ")),
        "online".into(),
        "—".into(),
    ]);
    if let Some(up) = &status.upstream {
        rows.push([
            format!("upstream {}", up.url),
            if up.reachable { "online" } else { "offline" }.into(),
            up.last_pull
                .map(|at| when(at, now))
                .unwrap_or_else(|| "—".into()),
        ]);
    }
    columns(&rows)
}

/// Ops waiting, findings, leases and the store.
fn figures(status: &Status, now: DateTime<Utc>) -> String {
    let mut out = format!("Ops waiting to sync: {}", status.pending_ops);
    if let Some(oldest) = status.oldest_pending_at {
        out.push_str(&format!(" (the oldest made {})", when(oldest, now)));
    }
    out.push('\n');
    out.push_str(&format!("Open findings: {}\n", status.findings_open));
    if let Some(leases) = status.leases.as_ref().filter(|l| !l.is_empty()) {
        let seats: u64 = leases.iter().map(|l| u64::from(l.left)).sum();
        out.push_str(&format!(
            "Seats held for selling offline: {seats} in {} slot(s)\n",
            leases.len()
        ));
    }
    if status.is_store_stalled == Some(true) {
        out.push_str("Storage: writes are failing (retrying)\n");
    }
    out
}

/// Each failure with the steps to take.
fn what_to_do(failures: &[Failure], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for failure in failures {
        out.push_str(&format!("FAILURE ({}): {}\n", failure.kind, failure.title));
        if let Some(since) = failure.since {
            out.push_str(&format!("  since {}\n", when(since, now)));
        }
        if !failure.parts.is_empty() {
            out.push_str(&format!("  concerns {}\n", failure.parts.join(", ")));
        }
        out.push_str("  What to do now:\n");
        for (i, step) in failure.steps.iter().enumerate() {
            out.push_str(&format!("  {}. {step}\n", i + 1));
        }
        out.push('\n');
    }
    out
}

/// Rows padded into columns (by characters, for Cyrillic names).
fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < N {
                let pad = widths[i] - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A moment in local time, and how long ago: `14:02:10 (3 min ago)`.
fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local);
    let shown = if local.date_naive() == now.with_timezone(&Local).date_naive() {
        local.format("%H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    };
    let secs = (now - at).num_seconds();
    let ago = match secs {
        s if s < 0 => "ahead of this clock".to_owned(),
        s if s < 120 => format!("{s} s ago"),
        s if s < 2 * 3600 => format!("{} min ago", s / 60),
        s if s < 2 * 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    };
    format!("{shown} ({ago})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: serde_json::Value) -> Status {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_table_shows_every_part_and_the_steps_of_each_failure() {
        let now = Utc::now();
        let s = status(serde_json::json!({
            "role": "site_node", "version": "0.1.0", "scope": "demo",
            "upstream": {"url": "https://cloud.example", "reachable": false, "last_push": null, "last_pull": null},
            "pending_ops": 3, "oldest_pending_at": (now - chrono::Duration::minutes(5)).to_rfc3339(),
            "findings_open": 1,
            "parts": [
                {"kind": "site_node", "is_this_node": true, "id": "n1", "name": "Каса", "venue": "demo", "state": "online", "last_contact": null, "detail": null},
                {"kind": "gate", "is_this_node": false, "id": "g1", "name": "Турнікет 1", "venue": "demo", "state": "offline", "last_contact": now.to_rfc3339(), "detail": null}
            ],
            "failures": [{"kind": "internet", "title": "The internet is down", "venue": null, "since": null,
                "parts": ["https://cloud.example"], "steps": ["Switch the router", "Sell paper tickets"], "is_museums_own": false}]
        }));
        assert!(is_failing(&s));
        let text = report("http://127.0.0.1:8080", &s, now);
        assert!(text.contains("site node (this node)"), "{text}");
        assert!(text.contains("Турнікет 1 [demo]"), "{text}");
        assert!(
            text.contains("Ops waiting to sync: 3 (the oldest made"),
            "{text}"
        );
        assert!(text.contains("Open findings: 1"), "{text}");
        assert!(
            text.contains("FAILURE (internet): The internet is down"),
            "{text}"
        );
        assert!(
            text.contains("  1. Switch the router\n  2. Sell paper tickets"),
            "{text}"
        );
    }

    #[test]
    fn without_credentials_an_unreachable_upstream_is_the_failure() {
        let s = status(serde_json::json!({
            "role": "site_node", "version": "0.1.0", "pending_ops": 0, "findings_open": 0,
            "upstream": {"url": "https://cloud.example", "reachable": false, "last_push": null, "last_pull": null}
        }));
        assert!(is_failing(&s));
        let text = report("http://x", &s, Utc::now());
        assert!(
            text.contains("upstream https://cloud.example  offline"),
            "{text}"
        );
        assert!(text.contains("--token"), "{text}");
        let cloud = status(serde_json::json!({
            "role": "cloud", "version": "0.1.0", "pending_ops": 0, "findings_open": 0, "upstream": null,
            "parts": [], "failures": []
        }));
        assert!(!is_failing(&cloud));
        assert!(report("http://x", &cloud, Utc::now()).contains("All is well"));
    }

    #[test]
    fn columns_line_up_by_characters() {
        let rows = [
            ["a".to_owned(), "б".to_owned()],
            ["ііі".to_owned(), "c".to_owned()],
        ];
        assert_eq!(columns(&rows), "a    б\nііі  c\n");
    }
}
