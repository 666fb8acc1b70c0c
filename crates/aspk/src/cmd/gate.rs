//! `aspk gate`: the turnstile agent. A replica of its venue that decides every scan alone
//! (signature, revocations, entries seen), replicates with its upstreams (site node, cloud)
//! and directly with peer gates on the LAN, and opens the turnstile for an admitted ticket.
//!
//! What happens per scan (signal, open, wait for the passage, confirm or withdraw, the
//! decision line) is `aspk_gate::Agent`; here are the arguments, the replica and its sync,
//! and the [`Decider`] over `aspk_app::Node`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aspk_app::{AppError, Node, NodeRole, ScanInput, UpstreamStatus};
use aspk_gate::{
    Agent, ConfirmSpec, Decider, DeciderError, Decision, Direction, Feedback, FirstEntry,
    InputSpec, OutputSpec, PassageConfirm, ScanError, Scanned, Signal, Turnstile,
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

/// The gate's decisions, made on its own replica of the venue.
struct NodeDecider {
    node: Node,
    /// This gate agent's node id.
    who: String,
    gate: String,
    venue: String,
    status: Arc<UpstreamStatus>,
}

impl Decider for NodeDecider {
    async fn scan(&self, scanned: Scanned) -> Result<Decision, ScanError> {
        let input = match scanned {
            Scanned::Number(number) => ScanInput::Number(number),
            Scanned::Code(code) => ScanInput::Code(code),
        };
        match self
            .node
            .gate_scan(&self.who, input, &self.gate, Some(&self.venue))
            .await
        {
            Ok(outcome) => Ok(Decision {
                result: outcome.result.as_str().to_owned(),
                serial: outcome.ticket.as_ref().map(|t| t.serial),
                needs_document_check: outcome
                    .product
                    .as_ref()
                    .is_some_and(|p| p.needs_document_check()),
                first_entry: outcome.first_entry.map(|e| FirstEntry {
                    // As serde writes a time.
                    at: e.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    gate: e.gate,
                }),
                sale_entered: outcome.sale_entered,
            }),
            Err(AppError::Invalid(e)) => Err(ScanError::Invalid(e.to_string())),
            Err(e) => Err(ScanError::Failed(e.to_string())),
        }
    }

    async fn withdraw(&self, serial: u64) -> Result<(), DeciderError> {
        self.node
            .withdraw_entry(&self.who, serial, &self.gate)
            .await
            .map(drop)
            .map_err(Into::into)
    }

    fn is_offline(&self) -> bool {
        !self.status.get().is_reachable
    }
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
                payments: Default::default(),
                inbound_mail_secret: None,
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
    let confirm =
        PassageConfirm::start(confirm_spec).map_err(|e| anyhow::anyhow!("--confirm: {e}"))?;
    let decider = NodeDecider {
        node: node.clone(),
        who: config.node_id.clone(),
        gate: args.name.clone(),
        venue: config.venue.clone(),
        status: status.clone(),
    };
    let agent = Agent::new(decider, args.name.clone(), turnstile)
        .with_feedback(feedback)
        .with_passage(confirm, Duration::from_millis(args.confirm_ms));
    let codes = aspk_gate::spawn_input(input).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("aspk gate '{}' ready (venue {})", args.name, config.venue);
    agent
        .run(codes, tokio::io::stdout())
        .await
        .context("cannot write the decisions to stdout")?;
    drop(opened);
    Ok(())
}
