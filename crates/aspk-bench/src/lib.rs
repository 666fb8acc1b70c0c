//! `aspk bench`: measures a server against the speed targets and prints a report.
//!
//! 1. **Cold start** (only when the bench starts the server itself): time from spawning
//!    `aspk serve --demo` on a fresh data folder to the first 200 on `/healthz`, several
//!    times; median and max. Target < 300 ms.
//! 2. **Order creation**: closed-loop clients post box-office orders of 1–4 tickets to one
//!    big slot for a fixed time. Target ≥ 2,000 orders/s; latency percentiles reported.
//! 3. **Admission**: tickets are made first (orders of 4, not timed), then clients scan each
//!    code exactly once. Target ≥ 10,000 scans/s with p99 < 10 ms, every result `admit`.
//! 4. **No-write floor**: the same clients scan a malformed code (answered `invalid`,
//!    nothing written) for as long; durable admissions are reported as a fraction of it.
//! 5. **Memory**: the spawned server's VmRSS/VmHWM after each phase. Target < 150 MB.
//!
//! The load generator shares the machine with the server, so it is kept lean: one
//! keep-alive HTTP/1.1 connection per client straight on hyper, bodies serialised before
//! the clock starts, per-client histograms merged at the end. It also reports the CPU time
//! it and the server used in each phase, which shows where the time went.
//!
//! All traffic goes to loopback addresses; every loop is bounded in time and count.
//!
//! With `--database URL` the spawned servers (cold starts included) use that database
//! instead of SQLite in their temporary folder, and share one temporary data folder, since
//! the database remembers the folder's ticket key: only the first cold start is on an
//! empty store. The database should be empty at the start: on a non-empty one the demo
//! seed is skipped, and the run fails unless its keys match (they never do for a
//! database that another data folder has used). Create a fresh one for each run.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod cpu;
mod device;
mod http;
mod load;
mod paper;
mod report;
mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use hyper::StatusCode;
use serde::Deserialize;

use crate::http::{path, Client, Target};
use crate::report::{ColdStart, Report};
use crate::server::Spawned;

/// Scans per second the admission target asks for: tickets are made for this rate.
const SCAN_TARGET_PER_S: f64 = 10_000.0;

/// Options of `aspk bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Load a server that is already running at this URL (loopback only), e.g.
    /// http://127.0.0.1:8080. Without it the bench starts its own (`--spawn`).
    #[arg(long, conflicts_with_all = ["spawn", "database"])]
    pub url: Option<String>,
    /// Start `aspk serve --demo` on a fresh temporary data folder and a free port (the
    /// default when no --url is given); also measures cold start and memory.
    #[arg(long)]
    pub spawn: bool,
    /// Database URL for the spawned servers (e.g. postgres://…); it should be empty.
    /// They then share one temporary data folder (the database holds its keys): the first
    /// cold start seeds the database, the later ones start on it.
    /// Default: SQLite in a fresh temporary data folder for each start.
    #[arg(long)]
    pub database: Option<String>,
    /// Staff user to sign in as (needs to create slots, sell and scan).
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Password of that user.
    #[arg(long, default_value = "demo")]
    pub password: String,
    /// Simultaneous clients, each on its own connection.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Seconds of order creation.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of scanning (at most: it stops earlier when every ticket made for it has
    /// been scanned). Tickets are made for 10,000 scans/s over this time, 20 % more.
    #[arg(long, default_value_t = 5.0)]
    pub scan_duration: f64,
    /// Tickets to make for the admission phase (default: from --scan-duration).
    #[arg(long)]
    pub scan_tickets: Option<usize>,
    /// Cold starts to time (with a spawned server); 0 skips them.
    #[arg(long, default_value_t = 5)]
    pub cold_starts: u32,
    /// Also save the figures as JSON in this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl BenchArgs {
    fn check(&self) -> anyhow::Result<()> {
        for (name, secs) in [
            ("--duration", self.duration),
            ("--scan-duration", self.scan_duration),
        ] {
            if !(secs > 0.0 && secs <= 3600.0) {
                anyhow::bail!("{name} must be more than 0 and at most 3600 seconds");
            }
        }
        if self.cold_starts > 100 {
            anyhow::bail!("--cold-starts must be at most 100");
        }
        if self.scan_tickets.is_some_and(|n| n > 5_000_000) {
            anyhow::bail!("--scan-tickets must be at most 5,000,000");
        }
        Ok(())
    }

    fn scan_tickets(&self) -> usize {
        self.scan_tickets
            .unwrap_or((SCAN_TARGET_PER_S * self.scan_duration * 1.2).ceil() as usize)
    }
}

/// Runs the bench and prints its report (and saves it with `--json`).
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    args.check()?;
    let mut report = Report::new(&args);
    let exe = std::env::current_exe().context("finding the aspk executable")?;

    // A database outlives each server, and it remembers the data folder's keys: all the
    // servers of a run on one database share one data folder.
    let shared = match (&args.url, &args.database) {
        (None, Some(_)) => Some(
            tempfile::Builder::new()
                .prefix("aspk-bench-data-")
                .tempdir()
                .context("creating a temporary data folder")?,
        ),
        _ => None,
    };
    let data = shared.as_ref().map(|d| d.path().join("data"));
    let spawned = match &args.url {
        Some(url) => {
            report.server = format!("running server at {url}");
            None
        }
        None => {
            report.server = match &args.database {
                Some(db) => format!("spawned server, database {}", redact(db)),
                None => "spawned server, SQLite in a temporary folder".to_owned(),
            };
            if args.cold_starts > 0 {
                report.cold_start = Some(cold_starts(&exe, &args, data.as_deref()).await?);
            }
            progress("starting the server under load");
            let (server, _) =
                server::spawn(&exe, args.database.as_deref(), data.as_deref()).await?;
            Some(server)
        }
    };
    let outcome = match &spawned {
        Some(server) => phases(&args, server.addr, Some(server), &mut report).await,
        None => match &args.url {
            Some(url) => match loopback(url).await {
                Ok(addr) => phases(&args, addr, None, &mut report).await,
                Err(e) => Err(e),
            },
            None => Err(anyhow::anyhow!("no server to load")),
        },
    };
    let outcome = match (outcome, &spawned) {
        (Err(e), Some(server)) => {
            Err(e.context(format!("server log (last lines):\n{}", server.log_tail())))
        }
        (outcome, _) => outcome,
    };
    if let Some(server) = spawned {
        server.stop().await?;
    }
    outcome?;

    report.judge();
    print!("{}", report.render());
    if let Some(file) = &args.json {
        let text = serde_json::to_string_pretty(&report).context("serialising the report")?;
        std::fs::write(file, text + "\n").with_context(|| format!("writing {}", file.display()))?;
        println!("figures saved to {}", file.display());
    }
    Ok(())
}

fn progress(what: &str) {
    eprintln!("bench: {what}…");
}

async fn cold_starts(
    exe: &Path,
    args: &BenchArgs,
    data: Option<&Path>,
) -> anyhow::Result<ColdStart> {
    let mut runs = Vec::new();
    for i in 1..=args.cold_starts {
        progress(&format!("cold start {i} of {}", args.cold_starts));
        let (server, took) = server::spawn(exe, args.database.as_deref(), data).await?;
        let memory = server.memory().ok();
        server.stop().await?;
        runs.push((took, memory));
    }
    Ok(ColdStart::new(&runs, data.is_some()))
}

/// The load phases against a server at `addr`.
async fn phases(
    args: &BenchArgs,
    addr: SocketAddr,
    spawned: Option<&Spawned>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let clients = usize::from(args.concurrency);
    let memory = |report: &mut Report, after: &str| -> anyhow::Result<()> {
        if let Some(server) = spawned {
            let tickets = [&report.orders, &report.ticket_prep]
                .iter()
                .filter_map(|f| f.as_ref().map(|f| f.items))
                .sum();
            let scans = report.scans.as_ref().map_or(0, |f| f.ok);
            report.memory_after(after, server.memory()?, tickets, scans);
        }
        Ok(())
    };
    let probe = cpu::Probe::new(spawned.map(|s| s.pid));
    memory(report, "start")?;

    progress("signing in and making a big slot");
    let target = Target::new(addr)?;
    let token = sign_in(&target, &args.username, &args.password).await?;
    let staff = target.with_token(&token)?;
    let slot = big_slot(&staff).await?;

    progress(&format!(
        "order creation: {clients} clients for {} s",
        args.duration
    ));
    let orders = load::orders(
        &staff,
        &slot,
        clients,
        Duration::from_secs_f64(args.duration),
        &probe,
    )
    .await?;
    report.orders = Some(orders);
    memory(report, "orders")?;

    let wanted = args.scan_tickets();
    progress(&format!(
        "making {wanted} tickets for admission (orders of 4, not timed)"
    ));
    let (codes, prep) = load::make_tickets(&staff, &slot, clients, wanted, &probe).await?;
    report.ticket_prep = Some(prep);
    memory(report, "ticket making")?;
    if codes.is_empty() {
        anyhow::bail!("no tickets could be made for the admission phase");
    }

    progress(&format!(
        "admission: {clients} clients scanning {} codes for at most {} s",
        codes.len(),
        args.scan_duration
    ));
    let scans = load::scans(
        &staff,
        &codes,
        clients,
        Duration::from_secs_f64(args.scan_duration),
        &probe,
    )
    .await?;
    report.scans = Some(scans);
    memory(report, "admission")?;

    progress(&format!(
        "paper: entering ranges of {} tickets, importing {} recorded entries",
        paper::RANGE,
        paper::IMPORT
    ));
    report.paper = Some(paper::paper(&staff, &slot, &codes).await?);
    memory(report, "paper")?;

    progress(&format!(
        "no-write floor: {clients} clients scanning a malformed code for {} s",
        args.scan_duration
    ));
    let floor = load::floor(
        &staff,
        clients,
        Duration::from_secs_f64(args.scan_duration),
        &probe,
    )
    .await?;
    report.scan_floor = Some(floor);

    let day = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Kyiv)
        .date_naive();
    let page = format!("/shop/demo?date={day}&slot={slot}");
    progress(&format!(
        "shop: {SHOP_VISITORS} visitors loading a slot's page for {} s",
        args.scan_duration
    ));
    let shop = load::shop_page(
        &target,
        &page,
        SHOP_VISITORS,
        Duration::from_secs_f64(args.scan_duration),
        &probe,
    )
    .await?;
    report.shop_page = Some(shop);
    progress(&format!(
        "checkout: {clients} visitors holding seats for {} s",
        args.duration
    ));
    let checkouts = load::checkouts(
        &target,
        &slot,
        clients,
        Duration::from_secs_f64(args.duration),
        &probe,
    )
    .await?;
    report.checkouts = Some(checkouts);
    memory(report, "shop")?;

    // Last: the other phases' figures stay comparable with the runs before this one.
    progress(&format!(
        "box-office device: uploading {} sales made offline",
        device::SALES
    ));
    report.device = Some(device::upload(&staff, &target, &args.username, &slot).await?);
    memory(report, "device upload")?;
    Ok(())
}

/// Visitors loading the shop at once (the shop page target is for 200).
const SHOP_VISITORS: usize = 200;

#[derive(Deserialize)]
struct TokenReply {
    token: String,
}

#[derive(Deserialize)]
struct SlotReply {
    id: String,
}

async fn sign_in(target: &Target, username: &str, password: &str) -> anyhow::Result<String> {
    let mut client = Client::new(target.clone());
    let (status, body) = client
        .post_json(
            &path("/api/v1/auth/token"),
            &serde_json::json!({"username": username, "password": password}),
        )
        .await?;
    if !status.is_success() {
        anyhow::bail!(
            "signing in as '{username}': {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let reply: TokenReply = serde_json::from_slice(&body).context("reading the token")?;
    Ok(reply.token)
}

/// A slot open from ten minutes ago for 23 hours with room for a million: tickets for it
/// are admissible now and orders never run short of seats.
async fn big_slot(staff: &Target) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let mut client = Client::new(staff.clone());
    let (status, body) = client
        .post_json(
            &path("/api/v1/venues/demo/slots"),
            &serde_json::json!({
                "starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(),
                "ends_at": (now + chrono::Duration::hours(23)).to_rfc3339(),
                "capacity": 1_000_000,
            }),
        )
        .await?;
    if status != StatusCode::CREATED {
        anyhow::bail!(
            "creating the slot: {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let reply: SlotReply = serde_json::from_slice(&body).context("reading the slot")?;
    Ok(reply.id)
}

/// The socket address of `url` (`http://HOST:PORT`), which must be a loopback address.
async fn loopback(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("--url '{url}' must start with http://"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&authority)
        .await
        .with_context(|| format!("resolving {authority}"))?
        .collect();
    addrs
        .into_iter()
        .find(|a| a.ip().is_loopback())
        .with_context(|| {
            format!("--url '{url}' is not a loopback address: the bench only loads this machine")
        })
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@127.0.0.1/db"),
            "postgres://u@127.0.0.1/db"
        );
        assert_eq!(redact("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
    }

    #[tokio::test]
    async fn only_loopback_urls() {
        assert_eq!(
            loopback("http://127.0.0.1:8080/x").await.unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(loopback("https://127.0.0.1:8080").await.is_err());
        assert!(loopback("http://192.0.2.1:80").await.is_err());
    }
}
