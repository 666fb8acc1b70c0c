//! `aspk gate`: the turnstile agent. A replica of its venue that decides every scan alone
//! (signature, revocations, entries seen), replicates with its upstreams (site node, cloud)
//! and directly with peer gates on the LAN, and opens the turnstile for an admitted ticket.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aspk_app::{AppError, Node, NodeRole, ScanInput, ScanResult, UpstreamStatus};
use aspk_gate::{
    decision_line, ConfirmSpec, Direction, Feedback, InputSpec, OutputSpec, PassInfo,
    PassageConfirm, Signal, Turnstile,
};
use aspk_http::AppState;
use aspk_sync::{LeasePolicy, SyncWorker, UpstreamConfig};
use clap::Args;

use super::node::{self, Identity};

#[derive(Args)]
pub struct GateArgs {
    /// Upstreams in order of preference (site node first, then the cloud), comma-separated.
    #[arg(long, env = "ASPK_UPSTREAM", value_delimiter = ',', required = true)]
    upstream: Vec<String>,
    /// One-time enrolment code (role `gate`) for the first start.
    #[arg(long, env = "ASPK_ENROL")]
    enrol: Option<String>,
    #[arg(long, default_value = "./aspk-gate-data", env = "ASPK_DATA")]
    data: PathBuf,
    /// Where codes come from: `stdin`, `tcp:ADDR`, `serial:DEV[@BAUD]`, `evdev:DEV`.
    #[arg(long, default_value = "stdin")]
    input: String,
    /// Command run to open the turnstile for an admitted ticket (env: ASPK_TICKET, ASPK_RESULT, …).
    #[arg(long)]
    open: Option<String>,
    /// Or an HTTP controller to POST each admission to.
    #[arg(long)]
    open_url: Option<String>,
    /// How long the unlock output is held.
    #[arg(long, default_value_t = 500)]
    pulse_ms: u64,
    /// This gate's name in entries and reports.
    #[arg(long, default_value = "gate")]
    name: String,
    /// Serve the replication API here so peer gates can sync with this one.
    #[arg(long)]
    listen: Option<String>,
    /// Peer gates to replicate with directly (their --listen addresses), comma-separated.
    #[arg(long, value_delimiter = ',')]
    peer: Vec<String>,
    #[command(flatten)]
    http: super::serve::HttpLimitArgs,
    /// The turnstile's "passage confirmed" input: `none` (every grant counts), `tcp:ADDR`
    /// (the controller sends a line `passed` per rotation) or `cmd:COMMAND` (exit 0 = passed).
    #[arg(long, default_value = "none")]
    confirm: String,
    /// How long to wait for the passage after opening; then the pass counts as unused.
    #[arg(long, default_value_t = 10_000)]
    confirm_ms: u64,
    /// The unlock output in one spec (wins over --open/--open-url): `cmd:COMMAND`,
    /// `http://…`, `gpio:CHIP:LINE[:active_low]` (Linux GPIO character device) or `none`.
    #[arg(long)]
    output: Option<String>,
    /// Which way this turnstile admits: `entry` or `exit`.
    #[arg(long, default_value = "entry")]
    direction: String,
    /// Signal lamps and buzzers for the visitor and the attendant, e.g.
    /// `green=gpio:gpiochip0:22`, `red=cmd:beep -f 300`, `amber=http://display/amber`
    /// (amber: check the reduced or free ticket's document). Repeatable.
    #[arg(long = "signal")]
    signals: Vec<String>,
    /// Fire alarm / free passage switch: `tcp:ADDR`, where the alarm panel's bridge sends a
    /// line `on` (the turnstile opens and stays open) or `off` (back to normal).
    #[arg(long)]
    free_passage: Option<String>,
}

/// `green=SPEC` (or red, amber) as a signal and its output.
fn parse_signal(raw: &str) -> anyhow::Result<(Signal, OutputSpec)> {
    let (name, spec) = raw.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("--signal '{raw}': write it as green=SPEC, red=SPEC or amber=SPEC")
    })?;
    let signal = match name.trim() {
        "green" => Signal::Green,
        "red" => Signal::Red,
        "amber" => Signal::Amber,
        other => anyhow::bail!("--signal '{raw}': '{other}' is not green, red or amber"),
    };
    let spec = spec
        .parse()
        .map_err(|e| anyhow::anyhow!("--signal '{raw}': {e}"))?;
    Ok((signal, spec))
}

/// Listens for the fire alarm's `on`/`off` lines and holds the turnstile open meanwhile.
fn spawn_free_passage(raw: &str, turnstile: Arc<Turnstile>) -> anyhow::Result<()> {
    let addr = raw
        .strip_prefix("tcp:")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("--free-passage '{raw}': use tcp:HOST:PORT"))?;
    let (_, mut lines) =
        aspk_gate::input::tcp::spawn(addr).map_err(|e| anyhow::anyhow!("--free-passage: {e}"))?;
    tokio::spawn(async move {
        while let Some(line) = lines.recv().await {
            let on = match line.trim().to_ascii_lowercase().as_str() {
                "on" | "1" | "alarm" => true,
                "off" | "0" | "clear" => false,
                _ => continue,
            };
            eprintln!("free passage {}", if on { "ON" } else { "OFF" });
            if let Err(e) = turnstile.hold_open(on).await {
                tracing::error!(error = %e, "cannot switch free passage");
            }
        }
    });
    Ok(())
}

/// What turns a scan into a passage at this gate.
struct Passage<'a> {
    turnstile: &'a Turnstile,
    feedback: &'a Feedback,
    confirm: &'a PassageConfirm,
    timeout: Duration,
    /// A sensor is configured: grants wait for it.
    is_confirmed: bool,
}

pub async fn run(args: GateArgs) -> anyhow::Result<()> {
    let input: InputSpec = args
        .input
        .parse()
        .map_err(|e| anyhow::anyhow!("--input: {e}"))?;
    let confirm_spec: ConfirmSpec = args
        .confirm
        .parse()
        .map_err(|e| anyhow::anyhow!("--confirm: {e}"))?;
    let data = node::open_data(&args.data)?;
    let urls: Vec<String> = args
        .upstream
        .iter()
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .collect();
    let config = match UpstreamConfig::load(&data)? {
        Some(mut c) => {
            c.urls = urls;
            c
        }
        None => {
            let code = args
                .enrol
                .as_deref()
                .context("this data folder is not enrolled yet: pass --enrol CODE (role gate)")?;
            aspk_sync::enrol(&urls, code, &data, &args.name, "gate").await?
        }
    };
    let data_path = data.path().to_owned();
    let identity = Identity {
        role: NodeRole::Gate,
        key_id: 0,
        serials: (0, 0),
        anchors: config.anchors(),
    };
    let opened = node::start(data, None, identity).await?;
    let node = opened.node.clone();
    node.set_scope(Some(config.venue.clone()));
    let status = Arc::new(UpstreamStatus::default());
    let policy = LeasePolicy {
        seats: 0,
        horizon: chrono::Duration::zero(),
    };
    let mut upstream = SyncWorker::new(
        node.clone(),
        config.clone(),
        status.clone(),
        policy,
        &data_path,
    );
    if let Err(e) = upstream.catch_up(2).await {
        eprintln!("warning: upstream not reachable ({e}); deciding from local data");
    }
    upstream.spawn();
    for (i, peer) in args.peer.iter().enumerate() {
        let peer_config = UpstreamConfig {
            urls: vec![peer.trim_end_matches('/').to_owned()],
            ..config.clone()
        };
        let file = data_path.join(format!("sync-peer-{i}.json"));
        SyncWorker::with_cursor_file(
            node.clone(),
            peer_config,
            Arc::new(UpstreamStatus::default()),
            policy,
            &file,
        )
        .spawn();
    }
    if let Some(listen) = &args.listen {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        let app = aspk_http::router_with(
            AppState {
                node: node.clone(),
                upstream: Some(status.clone()),
            },
            args.http.rate_limits(),
        );
        let server = aspk_http::serve(listener, app, args.http.serve_limits());
        tokio::spawn(async move { server.await });
    }
    let output = match (&args.output, &args.open, &args.open_url) {
        (Some(spec), _, _) => spec.parse().map_err(|e| anyhow::anyhow!("--output: {e}"))?,
        (None, Some(cmd), _) => OutputSpec::Command(cmd.clone()),
        (None, None, Some(url)) => OutputSpec::Http { url: url.clone() },
        (None, None, None) => OutputSpec::None,
    };
    let direction: Direction = args
        .direction
        .parse()
        .map_err(|e| anyhow::anyhow!("--direction: {e}"))?;
    let pulse = Duration::from_millis(args.pulse_ms);
    let turnstile = Arc::new(
        Turnstile::new(output, pulse)
            .with_direction(direction)
            .with_gate(args.name.clone()),
    );
    let mut feedback = Feedback::new(pulse).with_direction(direction);
    for raw in &args.signals {
        let (signal, spec) = parse_signal(raw)?;
        feedback = feedback.on(signal, &spec);
    }
    if let Some(raw) = &args.free_passage {
        spawn_free_passage(raw, turnstile.clone())?;
    }
    let is_confirmed = confirm_spec != ConfirmSpec::None;
    let confirm =
        PassageConfirm::start(confirm_spec).map_err(|e| anyhow::anyhow!("--confirm: {e}"))?;
    let passage = Passage {
        turnstile: &turnstile,
        feedback: &feedback,
        confirm: &confirm,
        timeout: Duration::from_millis(args.confirm_ms),
        is_confirmed,
    };
    let mut codes = aspk_gate::spawn_input(input).map_err(|e| anyhow::anyhow!("{e}"))?;
    let who = config.node_id.clone();
    eprintln!("aspk gate '{}' ready (venue {})", args.name, config.venue);
    while let Some(code) = codes.recv().await {
        let line = decide(
            &node,
            &who,
            &code,
            &args.name,
            &config.venue,
            &status,
            &passage,
        )
        .await;
        println!("{line}");
    }
    drop(opened);
    Ok(())
}

/// One scan: decide locally, open on admit, and describe the decision as one JSON line.
async fn decide(
    node: &Node,
    who: &str,
    code: &str,
    gate: &str,
    venue: &str,
    status: &UpstreamStatus,
    passage: &Passage<'_>,
) -> String {
    let input = if aspk_ticket::HumanNumber::is_typed(code) {
        ScanInput::Number(code.to_owned())
    } else {
        ScanInput::Code(code.to_owned())
    };
    let offline = !status.get().is_reachable;
    match node.gate_scan(who, input, gate, Some(venue)).await {
        Ok(outcome) => {
            let ticket = outcome
                .ticket
                .as_ref()
                .map(|t| aspk_ticket::HumanNumber::from_serial(t.serial).digits());
            let check = outcome
                .product
                .as_ref()
                .is_some_and(|p| p.needs_document_check());
            let info = PassInfo {
                ticket: ticket.clone(),
                result: outcome.result.as_str().into(),
                gate: gate.to_owned(),
                needs_document_check: check,
            };
            let signal = Signal::for_decision(outcome.result.as_str(), check);
            if let Err(e) = passage.feedback.show(signal, &info).await {
                tracing::error!(error = %e, "cannot show the signal");
            }
            let mut passed = None;
            if outcome.result == ScanResult::Admit {
                passed = Some(pass(node, who, gate, &outcome, &info, passage).await);
            }
            let mut extra = serde_json::json!({
                "check_document": check,
                "first_entry": outcome.first_entry.as_ref().map(|e| serde_json::json!({"at": e.at, "gate": e.gate})),
            });
            if let (Some(passed), true) = (passed, passage.is_confirmed) {
                extra["passed"] = serde_json::json!(passed);
            }
            decision_line(outcome.result.as_str(), ticket.as_deref(), offline, extra)
        }
        Err(AppError::Invalid(e)) => decision_line(
            "invalid",
            None,
            offline,
            serde_json::json!({"error": e.to_string()}),
        ),
        Err(e) => decision_line(
            "error",
            None,
            offline,
            serde_json::json!({"error": e.to_string()}),
        ),
    }
}

/// Opens the turnstile for an admitted ticket and, with a passage sensor, waits for the
/// visitor to walk through; a pass nobody used is withdrawn, so the ticket stays usable.
async fn pass(
    node: &Node,
    who: &str,
    gate: &str,
    outcome: &aspk_app::ScanOutcome,
    info: &PassInfo,
    passage: &Passage<'_>,
) -> bool {
    let mark = passage.confirm.mark();
    if let Err(e) = passage.turnstile.open(info).await {
        tracing::error!(error = %e, "cannot open the turnstile");
    }
    if !passage.is_confirmed {
        return true;
    }
    let passed = passage
        .confirm
        .wait_passage_since(mark, passage.timeout)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "passage sensor failed; counting the pass as used");
            true
        });
    let serial = outcome.ticket.as_ref().map(|t| t.serial);
    if let (false, Some(serial)) = (passed, serial) {
        if let Err(e) = node.withdraw_entry(who, serial, gate).await {
            tracing::error!(error = %e, "cannot withdraw an unused pass");
        }
    }
    passed
}
