//! `aspk bench-replication`: the continuity core's speed figures on this machine.
//! 1. catch-up: a site node with N ops the cloud lacks pushes them all (real HTTP, SQLite both ends);
//! 2. cold start: a node folds a log of M ops from SQLite; resident memory after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aspk_app::{DataDir, Node, NodeOptions, NodeRole, UpstreamStatus, CLOUD_SERIALS};
use aspk_domain::{Channel, Currency, PaymentMethod, Slug};
use aspk_oplog::{Hlc, Op, OpBody, OrderPlaced, TicketIssued};
use aspk_sync::{LeasePolicy, SyncWorker, UpstreamConfig};
use chrono::Utc;
use clap::Args;

#[derive(Args)]
pub struct BenchReplicationArgs {
    /// Ops the site node holds that the cloud lacks.
    #[arg(long, default_value_t = 100_000)]
    catch_up_ops: u64,
    /// Ops in the log for the cold-start measurement.
    #[arg(long, default_value_t = 1_000_000)]
    start_ops: u64,
    /// Tickets in the gate's local store for the gate decision measurement.
    #[arg(long, default_value_t = 100_000)]
    gate_tickets: u32,
    /// Internal: only start a node on this data folder and report (run in a fresh process
    /// so the memory figure is the node's alone).
    #[arg(long, hide = true)]
    measure_start: Option<std::path::PathBuf>,
    /// Fill the cold-start log in this (new) folder and keep it, instead of a temporary one.
    #[arg(long)]
    start_dir: Option<std::path::PathBuf>,
}

/// A code of real size and form (83 bytes as 202 digits), unique per serial; not signed
/// (the fold does not verify), so filling a million-op log stays quick.
fn code_like(serial: u64) -> String {
    let mut bytes = [0u8; 83];
    bytes[0] = 1;
    bytes[1..9].copy_from_slice(&serial.to_be_bytes());
    for (i, b) in bytes.iter_mut().enumerate().skip(9) {
        *b = (serial.wrapping_mul(31).wrapping_add(i as u64) % 251) as u8;
    }
    aspk_ticket::digits::encode(&bytes)
}

/// A day of a busy museum: orders of two tickets, and an entry for each ticket; the
/// orders go to `venues` in turn.
/// `count` ops of `origin`, one a millisecond from `start_ms` on, after sequence number
/// `after`: sales by the demo admin and entries, as a busy day has them, each as the fold
/// allows it (serials from `serials`, the block of the key that signs them).
fn synthetic_ops(
    origin: &str,
    count: u64,
    venues: &[&str],
    start_ms: u64,
    after: u64,
    serials: u64,
) -> Vec<Op> {
    let venues: Vec<Slug> = venues
        .iter()
        .map(|v| Slug::parse("venue", v).unwrap_or_else(|_| unreachable!()))
        .collect();
    let product = Slug::parse("product", "adult").unwrap_or_else(|_| unreachable!());
    let mut ops = Vec::with_capacity(count as usize);
    let mut seq = 0;
    let mut order = 0u64;
    while seq < count {
        seq += 1;
        order += 1;
        let now = Hlc::from_parts(start_ms + seq, 0).to_datetime();
        // As a node sells: each order's tickets a run of serials from a scattered start,
        // order numbers scattered too (multiplying by an odd number is a bijection mod 2^k).
        let first = serials + (order.wrapping_mul(0x9E37_79B1) % (1 << 28)) * 2;
        let number = serials + 600_000_000 + order.wrapping_mul(0x85EB_CA6B) % (1 << 28);
        let tickets: Vec<TicketIssued> = (first..first + 2)
            .map(|serial| TicketIssued {
                serial,
                product: product.clone(),
                slot: None,
                valid_from: now,
                valid_until: now,
                valid_days: None,
                price_minor: 25_000,
                code: code_like(serial),
            })
            .collect();
        let body = OpBody::OrderPlaced(OrderPlaced {
            number,
            venue: venues[(order % venues.len() as u64) as usize].clone(),
            channel: Channel::BoxOffice,
            email: None,
            tickets,
            payments: vec![aspk_domain::Payment {
                method: PaymentMethod::Cash,
                amount_minor: 50_000,
                at: now,
                shift: None,
                reference: None,
            }],
            total_minor: 50_000,
            currency: Currency::UAH,
            is_overbooking: false,
            shift: None,
            name: None,
            idempotency_key: None,
            paper: None,
            drill: None,
        });
        ops.push(Op {
            origin: origin.to_owned(),
            seq: after + seq,
            hlc: Hlc::from_parts(start_ms + seq, 0),
            actor: format!("user:{}", aspk_app::DEMO_USER),
            body,
            sig: None,
        });
        if seq < count {
            seq += 1;
            let body = OpBody::EntryRecorded {
                serial: first,
                gate: "north".into(),
                at: now,
            };
            ops.push(Op {
                origin: origin.to_owned(),
                seq: after + seq,
                hlc: Hlc::from_parts(start_ms + seq, 0),
                actor: "node:bench-gate".into(),
                body,
                sig: None,
            });
        }
    }
    ops
}

/// What an earlier incarnation of the cloud wrote first: its root key, and the demo admin
/// (with role admin) and their password, at the start of a day `count` ms long that ends
/// now. Then `count` synthetic ops of that day.
fn earlier_cloud_day(origin: &str, root: &aspk_ticket::IssuerKey, count: u64) -> Vec<Op> {
    let start_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0) - count - 10;
    let op = |seq: u64, actor: &str, body: OpBody| Op {
        origin: origin.into(),
        seq,
        hlc: Hlc::from_parts(start_ms - 5 + seq, 0),
        actor: actor.into(),
        body,
        sig: None,
    };
    let admin = aspk_domain::User {
        username: aspk_domain::Username::parse(aspk_app::DEMO_USER)
            .unwrap_or_else(|_| unreachable!()),
        role: aspk_domain::Role::Admin,
        password_hash: String::new(),
        is_active: true,
        generation: 1,
        lang: None,
        venue: None,
    };
    let mut ops = vec![
        op(
            1,
            "system",
            OpBody::KeyPublished {
                key_id: root.key_id,
                public_key: aspk_app::to_hex(&root.public().to_bytes()),
                holder: None,
                serials: None,
                valid_from: None,
                valid_until: None,
            },
        ),
        op(2, "system:cli", OpBody::UserSaved(admin.clone())),
        op(
            3,
            "system:cli",
            OpBody::PasswordSet {
                username: admin.username,
                password_hash: aspk_app::hash_password(aspk_app::DEMO_PASSWORD).unwrap_or_default(),
            },
        ),
    ];
    ops.extend(synthetic_ops(
        origin,
        count,
        &["demo", "annex"],
        start_ms,
        3,
        aspk_app::CLOUD_SERIALS.0,
    ));
    ops
}

/// Signs `ops` as the node holding `key` would have (on every core: it is set-up, not
/// the measurement).
fn sign_all(ops: &mut [Op], key: &aspk_ticket::IssuerKey) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = ops.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for part in ops.chunks_mut(chunk) {
            scope.spawn(move || {
                for op in part {
                    op.sign_with(key.key_id, |m| key.sign_detached(m));
                }
            });
        }
    });
}

async fn fill(store: &dyn aspk_store::Store, ops: &[Op]) -> anyhow::Result<()> {
    for chunk in ops.chunks(5_000) {
        store.append(chunk).await?;
    }
    Ok(())
}

fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub async fn run(args: BenchReplicationArgs) -> anyhow::Result<()> {
    if let Some(dir) = args.measure_start {
        return measure_start(&dir).await;
    }
    catch_up(args.catch_up_ops).await?;
    pull_down(args.catch_up_ops).await?;
    gate_decisions(args.gate_tickets).await?;
    cold_start(args.start_ops, args.start_dir.as_deref()).await
}

async fn start_node(
    data: &DataDir,
    role: NodeRole,
    key_id: u16,
    serials: (u64, u64),
) -> anyhow::Result<Node> {
    start_node_with(data, role, key_id, serials, Vec::new()).await
}

/// A node on `data`; `anchors`: its trust anchors (none: the cloud's own key).
async fn start_node_with(
    data: &DataDir,
    role: NodeRole,
    key_id: u16,
    serials: (u64, u64),
    anchors: Vec<(u16, [u8; 32])>,
) -> anyhow::Result<Node> {
    let store = aspk_store::open(&data.sqlite_url()).await?;
    Ok(Node::start(NodeOptions {
        store,
        origin: data.origin()?,
        ticket_key: data.ticket_key(key_id)?,
        token_secret: data.token_secret()?,
        role,
        serials,
        clock: aspk_domain::SystemClock::shared(),
        snapshot: Some(aspk_app::SnapshotOptions::new(data.snapshot_path())),
        trust_anchors: anchors,
        max_clock_skew: chrono::Duration::minutes(aspk_app::DEFAULT_MAX_CLOCK_SKEW_MINUTES),
    })
    .await?)
}

/// A cloud node on `data` with the demo museum, serving the API on a loopback port.
async fn serve_cloud(data: &DataDir) -> anyhow::Result<(Node, String)> {
    let cloud = start_node(data, NodeRole::Cloud, 1, CLOUD_SERIALS).await?;
    cloud.seed_demo().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let router = aspk_http::router(aspk_http::AppState {
        node: cloud.clone(),
        upstream: None,
        payments: Default::default(),
        inbound_mail_secret: None,
    });
    let server = aspk_http::serve(listener, router, aspk_http::ServeLimits::default());
    tokio::spawn(async move { server.await });
    Ok((cloud, url))
}

/// Enrols a site node of venue `demo` on `data` with the cloud at `url`.
async fn enrol_site(cloud: &Node, url: &str, data: &DataDir) -> anyhow::Result<UpstreamConfig> {
    let admin = cloud.authenticate(&cloud.sign_in("admin", "demo", None).await?.token)?;
    let code = cloud.create_enrolment(&admin, "site_node", "demo").await?;
    let urls = [url.to_owned()];
    aspk_sync::enrol(&urls, &code.code, data, "bench site", "site_node").await
}

/// The site node's replication worker, holding no leases (only replication is measured).
fn site_worker(site: &Node, config: UpstreamConfig, data: &DataDir) -> SyncWorker {
    let policy = LeasePolicy {
        seats: 0,
        horizon: chrono::Duration::zero(),
    };
    let status = Arc::new(UpstreamStatus::default());
    SyncWorker::new(site.clone(), config, status, policy, data.path())
}

async fn catch_up(count: u64) -> anyhow::Result<()> {
    let (cdir, sdir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let cloud_data = DataDir::open(cdir.path())?;
    let (cloud, url) = serve_cloud(&cloud_data).await?;

    let site_data = DataDir::open(sdir.path())?;
    let config = enrol_site(&cloud, &url, &site_data).await?;
    let site_store = aspk_store::open(&site_data.sqlite_url()).await?;
    let origin = site_data.origin()?;
    // The site node's day starts now: after the admin who sells was given the role.
    let start_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let mut ops = synthetic_ops(&origin, count, &["demo"], start_ms, 0, config.serials.0);
    sign_all(&mut ops, &site_data.ticket_key(config.key_id)?);
    fill(site_store.as_ref(), &ops).await?;
    drop(site_store);
    let site = start_node_with(
        &site_data,
        NodeRole::SiteNode,
        config.key_id,
        config.serials,
        config.anchors(),
    )
    .await?;
    let worker = site_worker(&site, config, &site_data);

    let started = Instant::now();
    let replicating = worker.spawn();
    loop {
        if cloud.version_vector().get(&origin).copied().unwrap_or(0) >= count {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "catch-up did not finish in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    println!(
        "catch-up: {count} ops site node → cloud in {:.2} s ({:.0} ops/s; target: 100,000 in under 5 s)",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );

    // Steady-state lag: one more op at the site, seen at the cloud, once the catch-up's
    // aftermath (snapshots, the last rounds) has settled.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut lags = Vec::new();
    for _ in 0..20 {
        let before = cloud.version_vector().get(&origin).copied().unwrap_or(0);
        let t = Instant::now();
        site.submit_raw(|b| {
            b.record(
                "node:bench-gate",
                vec![OpBody::ScanDenied {
                    serial: 1,
                    gate: "g".into(),
                    at: Utc::now(),
                    reason: "bench".into(),
                }],
            );
            Ok(())
        })
        .await?;
        while cloud.version_vector().get(&origin).copied().unwrap_or(0) <= before {
            anyhow::ensure!(t.elapsed() < Duration::from_secs(10), "lag over 10 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(t.elapsed());
    }
    lags.sort();
    println!(
        "steady-state lag site → cloud: median {:?}, max {:?} (target: under 1 s)",
        lags[lags.len() / 2],
        lags[lags.len() - 1]
    );
    // Stop replicating before the data folders go away with this phase.
    replicating.abort();
    Ok(())
}

/// A new site node of venue `demo` takes in the cloud's log (`count` ops: sales and
/// entries, half of them for another venue, which reach it as elisions).
async fn pull_down(count: u64) -> anyhow::Result<()> {
    let (cdir, sdir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let cloud_data = DataDir::open(cdir.path())?;
    // The day's ops of an earlier incarnation of the cloud, signed with the root key (whose
    // publication comes first, as it did in that incarnation's log).
    let root = cloud_data.ticket_key(1)?;
    let origin = "cloud-earlier-incarnation";
    let mut ops = earlier_cloud_day(origin, &root, count);
    sign_all(&mut ops, &root);
    let cloud_store = aspk_store::open(&cloud_data.sqlite_url()).await?;
    fill(cloud_store.as_ref(), &ops).await?;
    drop(cloud_store);
    let (cloud, url) = serve_cloud(&cloud_data).await?;
    let site_data = DataDir::open(sdir.path())?;
    let config = enrol_site(&cloud, &url, &site_data).await?;
    let site = start_node_with(
        &site_data,
        NodeRole::SiteNode,
        config.key_id,
        config.serials,
        config.anchors(),
    )
    .await?;
    site.set_scope(Some("demo".into()));
    let mut worker = site_worker(&site, config, &site_data);
    let started = Instant::now();
    worker.catch_up(3).await?;
    let took = started.elapsed();
    let held = site.version_vector().get(origin).copied().unwrap_or(0);
    anyhow::ensure!(
        held == count + 3,
        "the site node holds {held} of {} ops",
        count + 3
    );
    let (tickets, orders) = site.inspect(|s| (s.tickets().len(), s.orders().len()));
    println!(
        "pull: a new site node of one venue takes in {count} ops from the cloud in {:.2} s ({:.0} ops/s); half are another venue's and arrive as elisions ({orders} orders, {tickets} tickets held)",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
    Ok(())
}

/// A gate with `tickets` valid tickets in its own store decides scans offline, one after
/// another as at a turnstile; each decision is durable (its entry op committed) before it returns.
async fn gate_decisions(tickets: u32) -> anyhow::Result<()> {
    let (cdir, gdir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let cloud_data = DataDir::open(cdir.path())?;
    let cloud = start_node(&cloud_data, NodeRole::Cloud, 1, CLOUD_SERIALS).await?;
    cloud.seed_demo().await?;
    let admin = cloud.authenticate(&cloud.sign_in("admin", "demo", None).await?.token)?;
    let now = Utc::now();
    let new = aspk_app::NewSlot {
        starts_at: now - chrono::Duration::minutes(5),
        ends_at: now + chrono::Duration::hours(3),
        capacity: tickets + 10,
    };
    let slot = cloud.create_slot(&admin, "demo", new).await?.slot.id;
    let mut codes = Vec::with_capacity(tickets as usize);
    while (codes.len() as u32) < tickets {
        let order = aspk_app::NewOrder {
            venue: "demo".into(),
            channel: Channel::BoxOffice,
            items: vec![aspk_app::NewOrderItem {
                product: "adult".into(),
                slot: Some(slot.clone()),
                quantity: 4.min(tickets - codes.len() as u32),
            }],
            payment: PaymentMethod::Cash,
            email: None,
            is_overbooking: false,
            mixed_cash_minor: None,
            cash_received_minor: None,
            name: None,
            idempotency_key: None,
        };
        let placed = cloud.place_order(Some(&admin), order).await?;
        codes.extend(placed.codes.into_values());
    }
    // The gate's replica: every op of the cloud, taken in as replication would.
    let gate_data = DataDir::open(gdir.path())?;
    let anchors = vec![(1, cloud_data.ticket_key(1)?.public().to_bytes())];
    let gate = start_node_with(&gate_data, NodeRole::Gate, 0, (0, 0), anchors).await?;
    let mut cursor = 0;
    loop {
        let chunk = cloud.store().read_after(cursor, 5_000).await?;
        let Some(last) = chunk.last().map(|s| s.cursor) else {
            break;
        };
        cursor = last;
        gate.ingest(chunk.into_iter().map(|s| s.op).collect(), "cloud")
            .await?;
    }
    let mut latencies = Vec::new();
    for code in codes.iter().step_by((codes.len() / 2_000).max(1)) {
        let t = Instant::now();
        let outcome = gate
            .gate_scan(
                "bench-gate",
                aspk_app::ScanInput::Code(code.clone()),
                "north",
                Some("demo"),
            )
            .await?;
        latencies.push(t.elapsed());
        anyhow::ensure!(
            outcome.result == aspk_app::ScanResult::Admit,
            "expected admit, got {}",
            outcome.result.as_str()
        );
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "gate decisions offline with {tickets} tickets in its store: {} scans, p50 {:?}, p99 {:?}, max {:?} (target: p99 under 50 ms)",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    Ok(())
}

async fn cold_start(count: u64, keep_in: Option<&std::path::Path>) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = keep_in.unwrap_or(temp.path());
    {
        let data = DataDir::open(dir)?;
        let store = aspk_store::open(&data.sqlite_url()).await?;
        // As an earlier incarnation of this cloud wrote them (the fold reads the signing
        // key's id, never checks the signature: ops in the store were checked on entry).
        let root = data.ticket_key(1)?;
        let mut ops = earlier_cloud_day("bench-origin-0001", &root, count);
        for op in &mut ops {
            op.sig = Some(aspk_oplog::OpSig {
                key_id: 1,
                bytes: [0; 64],
            });
        }
        fill(store.as_ref(), &ops).await?;
    }
    // First start: no snapshot yet, every op is folded (and a snapshot is left behind);
    // then the starts a node normally makes.
    for _ in 0..3 {
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(["bench-replication", "--measure-start"])
            .arg(dir)
            .status()?;
        anyhow::ensure!(status.success(), "the start measurement failed");
    }
    Ok(())
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

async fn measure_start(dir: &std::path::Path) -> anyhow::Result<()> {
    let data = DataDir::open(dir)?;
    let snapshot = data.snapshot_path();
    let before = modified(&snapshot);
    let started = Instant::now();
    let node = start_node(&data, NodeRole::Cloud, 1, CLOUD_SERIALS).await?;
    let took = started.elapsed();
    let (rss, hwm) = rss_mib();
    let (ops, tickets) = node.inspect(|s| (s.op_count(), s.tickets().len()));
    let start = node.start_info();
    let how = if start.from_snapshot {
        format!("from the state snapshot and {} ops after it", start.folded)
    } else {
        format!("folding all {} ops (no usable snapshot)", start.folded)
    };
    println!(
        "cold start with {ops} ops in the log, {how}: {:.2} s ({tickets} tickets; target: under 2 s); resident memory {:.0} MiB, peak {:.0} MiB (target: under 200 MB)",
        took.as_secs_f64(),
        rss,
        hwm
    );
    let digest_started = Instant::now();
    node.inspect(|s| s.digest());
    println!(
        "  state digest (what /api/v1/status reports) over {tickets} tickets: {:.0} ms, then cached until the next op",
        digest_started.elapsed().as_secs_f64() * 1000.0
    );
    if start.folded >= aspk_app::SnapshotOptions::new(snapshot.clone()).every_ops {
        // The node writes a fresh snapshot in the background; wait for it.
        let deadline = Instant::now() + Duration::from_secs(120);
        while modified(&snapshot) == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, hwm) = rss_mib();
        println!("  snapshot written; peak memory while writing it {hwm:.0} MiB");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_codes_are_canonical_and_unique() {
        let (a, b) = (super::code_like(1), super::code_like(2));
        assert_eq!(a.len(), 202);
        assert_ne!(a, b);
        assert!(
            aspk_ticket::digits::decode(&a).is_ok(),
            "kept compactly, like real codes"
        );
    }
}
