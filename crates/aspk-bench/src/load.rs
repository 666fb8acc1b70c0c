//! The load phases: closed-loop clients, each on its own connection, each with its own
//! latency histogram (merged at the end), request bodies serialised before the clock starts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::Barrier;

use crate::cpu::{Probe, Span};
use crate::http::{path, Client, Target};

/// Largest latency the histograms hold, in microseconds (larger ones count as this).
const MAX_LATENCY_US: u64 = 60_000_000;
/// A hard cap on requests per client in a timed phase, on top of the time limit.
const MAX_REQUESTS_PER_CLIENT: u64 = 10_000_000;
/// A ticket-making phase gives up after this long.
const PREP_TIMEOUT: Duration = Duration::from_secs(600);

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// What one phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Requests answered (with any status) or failed in transport.
    pub requests: u64,
    /// Requests that got the expected status (201 for orders, 200 for scans).
    pub ok: u64,
    pub elapsed_s: f64,
    /// `ok` per second of wall time.
    pub ok_per_s: f64,
    /// Tickets issued (orders) or scans answered `admit` (admission).
    pub items: u64,
    pub items_per_s: f64,
    /// Latency of every request, whatever its answer.
    pub latency: Latency,
    /// Count of answers by HTTP status (`transport` for failed connections).
    pub statuses: BTreeMap<String, u64>,
    /// Scans only: count by `result`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub results: BTreeMap<String, u64>,
    /// The first unexpected answer, for diagnosis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Scans only: the phase ended because every code had been scanned.
    pub ran_out: bool,
    /// Where the CPU went during the phase.
    pub cpu: Span,
    /// Server CPU time per request, in microseconds (spawned server only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_us_per_request: Option<f64>,
    /// Load generator CPU time per request, in microseconds.
    pub bench_cpu_us_per_request: f64,
}

/// What one client saw.
struct Tally {
    hist: Histogram<u64>,
    requests: u64,
    ok: u64,
    items: u64,
    statuses: BTreeMap<String, u64>,
    results: BTreeMap<String, u64>,
    first_error: Option<String>,
    codes: Vec<String>,
}

impl Tally {
    /// Counts the result a scan answer names ("unreadable" when it names none); true when
    /// it admitted.
    fn count_scan_result(&mut self, body: &[u8]) -> bool {
        let result = serde_json::from_slice::<ScanReply<'_>>(body)
            .map_or("unreadable", |reply| reply.result);
        match self.results.get_mut(result) {
            Some(n) => *n += 1,
            None => {
                self.results.insert(result.to_owned(), 1);
            }
        }
        result == "admit"
    }

    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            hist: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("histogram")?,
            requests: 0,
            ok: 0,
            items: 0,
            statuses: BTreeMap::new(),
            results: BTreeMap::new(),
            first_error: None,
            codes: Vec::new(),
        })
    }

    /// Records one request; returns the body when the status was `expected`.
    fn record(
        &mut self,
        started: Instant,
        answer: anyhow::Result<(StatusCode, Bytes)>,
        expected: StatusCode,
    ) -> Option<Bytes> {
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(us.max(1));
        self.requests += 1;
        match answer {
            Ok((status, body)) => {
                *self
                    .statuses
                    .entry(status.as_u16().to_string())
                    .or_default() += 1;
                if status == expected {
                    self.ok += 1;
                    Some(body)
                } else {
                    if self.first_error.is_none() {
                        let text = String::from_utf8_lossy(&body);
                        self.first_error = Some(format!("{status}: {}", truncate(&text, 300)));
                    }
                    None
                }
            }
            Err(e) => {
                *self.statuses.entry("transport".to_owned()).or_default() += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(format!("{e:#}"));
                }
                None
            }
        }
    }

    fn merge(&mut self, other: Tally) -> anyhow::Result<()> {
        self.hist.add(&other.hist).context("merging histograms")?;
        self.requests += other.requests;
        self.ok += other.ok;
        self.items += other.items;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.results {
            *self.results.entry(k).or_default() += v;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.codes.extend(other.codes);
        Ok(())
    }

    fn figures(&self, elapsed: Duration, ran_out: bool, cpu: Span) -> Figures {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let per_request = |cores: f64| cores * secs * 1e6 / self.requests.max(1) as f64;
        Figures {
            server_cpu_us_per_request: cpu.server_cores.map(per_request),
            bench_cpu_us_per_request: per_request(cpu.bench_cores),
            requests: self.requests,
            ok: self.ok,
            elapsed_s: secs,
            ok_per_s: self.ok as f64 / secs,
            items: self.items,
            items_per_s: self.items as f64 / secs,
            latency: Latency::of(&self.hist),
            statuses: self.statuses.clone(),
            results: self.results.clone(),
            first_error: self.first_error.clone(),
            ran_out,
            cpu,
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Runs `clients` tasks made by `make`, after every one has connected; returns the merged
/// tally and the wall time from the common start to the last client's end.
async fn run_clients<F, Fut>(
    target: &Target,
    clients: usize,
    probe: &Probe,
    make: F,
) -> anyhow::Result<(Tally, Duration, Span)>
where
    F: Fn(usize, Client, Arc<Barrier>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Tally>> + Send + 'static,
{
    let mut connected = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut client = Client::new(target.clone());
        client.connect().await?;
        connected.push(client);
    }
    let barrier = Arc::new(Barrier::new(clients + 1));
    let tasks: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(i, client)| tokio::spawn(make(i, client, barrier.clone())))
        .collect();
    barrier.wait().await;
    let cpu_start = probe.sample();
    let started = Instant::now();
    let mut total = Tally::new()?;
    for task in tasks {
        total.merge(task.await.context("a client task failed")??)?;
    }
    let elapsed = started.elapsed();
    Ok((total, elapsed, cpu_start.span_to(&probe.sample())))
}

const ORDERS: &str = "/api/v1/orders";
const SCANS: &str = "/api/v1/scans";

fn order_body(slot: &str, quantity: u32) -> anyhow::Result<Bytes> {
    let body = serde_json::json!({
        "venue": "demo",
        "channel": "box_office",
        "items": [{"product": "adult", "slot": slot, "quantity": quantity}],
        "payment": {"method": "cash"},
    });
    Ok(Bytes::from(
        serde_json::to_vec(&body).context("serialising an order")?,
    ))
}

/// Phase 2: `clients` cashiers post orders of 1–4 tickets for `duration`.
pub async fn orders(
    target: &Target,
    slot: &str,
    clients: usize,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<Figures> {
    let bodies: Arc<[Bytes; 4]> = Arc::new([
        order_body(slot, 1)?,
        order_body(slot, 2)?,
        order_body(slot, 3)?,
        order_body(slot, 4)?,
    ]);
    let (tally, elapsed, cpu) = run_clients(target, clients, probe, |i, mut client, barrier| {
        let bodies = bodies.clone();
        async move {
            let uri = path(ORDERS);
            let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
            let mut tally = Tally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline && tally.requests < MAX_REQUESTS_PER_CLIENT {
                let quantity = rng.gen_range(1..=4usize);
                let body = bodies[quantity - 1].clone();
                let started = Instant::now();
                let answer = client.send(Method::POST, &uri, Some(body)).await;
                if tally.record(started, answer, StatusCode::CREATED).is_some() {
                    tally.items += quantity as u64;
                }
            }
            Ok(tally)
        }
    })
    .await?;
    Ok(tally.figures(elapsed, false, cpu))
}

#[derive(Deserialize)]
struct OrderReply {
    tickets: Vec<TicketReply>,
}

#[derive(Deserialize)]
struct TicketReply {
    code: String,
}

/// Phase 3a: makes at least `tickets` tickets with orders of 4 (not part of the targets,
/// but its figures are reported too). Returns their codes.
pub async fn make_tickets(
    target: &Target,
    slot: &str,
    clients: usize,
    tickets: usize,
    probe: &Probe,
) -> anyhow::Result<(Vec<String>, Figures)> {
    let orders = tickets.div_ceil(4);
    let body = order_body(slot, 4)?;
    let next = Arc::new(AtomicUsize::new(0));
    let (mut tally, elapsed, cpu) =
        run_clients(target, clients, probe, |_, mut client, barrier| {
            let body = body.clone();
            let next = next.clone();
            async move {
                let uri = path(ORDERS);
                let mut tally = Tally::new()?;
                barrier.wait().await;
                let deadline = Instant::now() + PREP_TIMEOUT;
                while Instant::now() < deadline && next.fetch_add(1, Ordering::Relaxed) < orders {
                    let started = Instant::now();
                    let answer = client.send(Method::POST, &uri, Some(body.clone())).await;
                    if let Some(body) = tally.record(started, answer, StatusCode::CREATED) {
                        let reply: OrderReply =
                            serde_json::from_slice(&body).context("reading an order")?;
                        tally.items += reply.tickets.len() as u64;
                        tally
                            .codes
                            .extend(reply.tickets.into_iter().map(|t| t.code));
                    }
                }
                Ok(tally)
            }
        })
        .await?;
    let figures = tally.figures(elapsed, false, cpu);
    Ok((std::mem::take(&mut tally.codes), figures))
}

#[derive(Deserialize)]
struct ScanReply<'a> {
    #[serde(borrow)]
    result: &'a str,
}

/// Phase 3b: `clients` gates scan each code once, for `duration` or until the codes run out.
pub async fn scans(
    target: &Target,
    codes: &[String],
    clients: usize,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<Figures> {
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        codes
            .iter()
            .map(|code| {
                serde_json::to_vec(&serde_json::json!({"code": code, "gate": "g1"}))
                    .map(Bytes::from)
                    .context("serialising a scan")
            })
            .collect::<anyhow::Result<_>>()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let (tally, elapsed, cpu) = run_clients(target, clients, probe, |_, mut client, barrier| {
        let bodies = bodies.clone();
        let next = next.clone();
        async move {
            let uri = path(SCANS);
            let mut tally = Tally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let started = Instant::now();
                let answer = client.send(Method::POST, &uri, Some(body.clone())).await;
                if let Some(body) = tally.record(started, answer, StatusCode::OK) {
                    if tally.count_scan_result(&body) {
                        tally.items += 1;
                    }
                }
            }
            Ok(tally)
        }
    })
    .await?;
    let ran_out = next.load(Ordering::Relaxed) >= bodies.len();
    Ok(tally.figures(elapsed, ran_out, cpu))
}

/// Phase 3c, the no-write floor: `clients` gates scan a malformed code for `duration`. Each
/// answer is `invalid` and nothing is written, so this is what the HTTP path, the
/// authentication and the parsing cost without the writer: durable admissions are reported
/// as a fraction of it.
pub async fn floor(
    target: &Target,
    clients: usize,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<Figures> {
    let body = Bytes::from(
        serde_json::to_vec(&serde_json::json!({"code": "1", "gate": "g1"}))
            .context("serialising a scan")?,
    );
    let (tally, elapsed, cpu) = run_clients(target, clients, probe, |_, mut client, barrier| {
        let body = body.clone();
        async move {
            let uri = path(SCANS);
            let mut tally = Tally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            let mut sent = 0;
            while Instant::now() < deadline && sent < MAX_REQUESTS_PER_CLIENT {
                sent += 1;
                let started = Instant::now();
                let answer = client.send(Method::POST, &uri, Some(body.clone())).await;
                if let Some(body) = tally.record(started, answer, StatusCode::OK) {
                    tally.count_scan_result(&body);
                }
            }
            Ok(tally)
        }
    })
    .await?;
    Ok(tally.figures(elapsed, false, cpu))
}

/// Shop phase 1: `clients` visitors load the shop's page of one slot (`page`, a path with
/// its query) again and again for `duration`; every answer must be 200.
pub async fn shop_page(
    target: &Target,
    page: &str,
    clients: usize,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<Figures> {
    let uri: hyper::Uri = page.parse().context("the shop page's path")?;
    let (tally, elapsed, cpu) = run_clients(target, clients, probe, |_, mut client, barrier| {
        let uri = uri.clone();
        async move {
            let mut tally = Tally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline && tally.requests < MAX_REQUESTS_PER_CLIENT {
                let started = Instant::now();
                let answer = client.send(Method::GET, &uri, None).await;
                if tally.record(started, answer, StatusCode::OK).is_some() {
                    tally.items += 1;
                }
            }
            Ok(tally)
        }
    })
    .await?;
    Ok(tally.figures(elapsed, false, cpu))
}

/// Shop phase 2: `clients` visitors check out (an anonymous online order of one ticket: a
/// hold, answered 201) for `duration`.
pub async fn checkouts(
    target: &Target,
    slot: &str,
    clients: usize,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<Figures> {
    let body = serde_json::json!({
        "venue": "demo",
        "channel": "online",
        "items": [{"product": "adult", "slot": slot, "quantity": 1}],
        "payment": {"method": "card"},
        "email": "visitor@example.org",
    });
    let body = Bytes::from(serde_json::to_vec(&body).context("serialising a checkout")?);
    let (tally, elapsed, cpu) = run_clients(target, clients, probe, |_, mut client, barrier| {
        let body = body.clone();
        async move {
            let uri = path(ORDERS);
            let mut tally = Tally::new()?;
            barrier.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline && tally.requests < MAX_REQUESTS_PER_CLIENT {
                let started = Instant::now();
                let answer = client.send(Method::POST, &uri, Some(body.clone())).await;
                if tally.record(started, answer, StatusCode::CREATED).is_some() {
                    tally.items += 1;
                }
            }
            Ok(tally)
        }
    })
    .await?;
    Ok(tally.figures(elapsed, false, cpu))
}
