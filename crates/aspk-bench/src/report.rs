//! The figures of one run, the targets they are held against, and the printed report.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::load::Figures;
use crate::server::Memory;
use crate::BenchArgs;

const COLD_START_MS: f64 = 300.0;
const ORDERS_PER_S: f64 = 2_000.0;
const SHOP_PAGE_P99_MS: f64 = 50.0;
const CHECKOUTS_PER_S: f64 = 1_000.0;
const SCANS_PER_S: f64 = 10_000.0;
const SCAN_P99_MS: f64 = 10.0;
const MEMORY_MB: f64 = 150.0;

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub at: String,
    pub server: String,
    pub concurrency: u16,
    pub duration_s: f64,
    pub scan_duration_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_start: Option<ColdStart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_prep: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scans: Option<Figures>,
    /// Scans of a malformed code: the same path with nothing to write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_floor: Option<Figures>,
    /// The shop's page of one slot, loaded by many visitors at once.
    pub shop_page: Option<Figures>,
    /// Visitors' checkouts (holds of online orders).
    pub checkouts: Option<Figures>,
    /// Paper: ranges entered and recorded entries imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paper: Option<crate::paper::PaperFigures>,
    /// A box-office device's queued sales uploaded in one sync.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<crate::device::DeviceFigures>,
    /// Server memory after each phase (spawned server only).
    pub memory: Vec<MemorySample>,
    /// Each target and whether it was met.
    pub targets: Vec<Verdict>,
}

#[derive(Debug, Serialize)]
pub struct ColdStart {
    /// Every start on a fresh store and data folder (SQLite); false when they share a
    /// database given with `--database`: then only the first is on an empty store.
    pub fresh_each_time: bool,
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
    pub max_ms: f64,
    /// Resident memory of each run right after its first 200.
    pub rss_mb_when_ready: Vec<f64>,
}

impl ColdStart {
    pub fn new(runs: &[(Duration, Option<Memory>)], shared_database: bool) -> Self {
        let runs_ms: Vec<f64> = runs.iter().map(|(d, _)| d.as_secs_f64() * 1000.0).collect();
        let mut sorted = runs_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let median_ms = match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Self {
            fresh_each_time: !shared_database,
            max_ms: sorted.last().copied().unwrap_or(0.0),
            median_ms,
            rss_mb_when_ready: runs
                .iter()
                .filter_map(|(_, m)| m.map(|m| mb(m.rss_kib)))
                .collect(),
            runs_ms,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MemorySample {
    pub after: String,
    /// Tickets the bench had issued by then (the server holds them all in memory).
    pub tickets: u64,
    /// Entries the bench had recorded by then.
    pub scans: u64,
    pub rss_mb: f64,
    pub hwm_mb: f64,
}

#[derive(Debug, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// KiB to MB (10⁶ bytes).
fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

impl Report {
    pub fn new(args: &BenchArgs) -> Self {
        Self {
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            server: String::new(),
            concurrency: args.concurrency,
            duration_s: args.duration,
            scan_duration_s: args.scan_duration,
            cold_start: None,
            orders: None,
            ticket_prep: None,
            scans: None,
            scan_floor: None,
            shop_page: None,
            checkouts: None,
            paper: None,
            device: None,
            memory: Vec::new(),
            targets: Vec::new(),
        }
    }

    pub fn memory_after(&mut self, after: &str, m: Memory, tickets: u64, scans: u64) {
        self.memory.push(MemorySample {
            after: after.to_owned(),
            tickets,
            scans,
            rss_mb: mb(m.rss_kib),
            hwm_mb: mb(m.hwm_kib),
        });
    }

    /// Holds the figures against the targets (fills `targets`).
    pub fn judge(&mut self) {
        let mut out = Vec::new();
        let mut add = |target: &str, measured: String, met: bool| {
            out.push(Verdict {
                target: target.to_owned(),
                measured,
                met,
            })
        };
        if let Some(c) = &self.cold_start {
            add(
                "cold start median < 300 ms",
                format!("{:.0} ms", c.median_ms),
                c.median_ms < COLD_START_MS,
            );
            add(
                "cold start max < 300 ms",
                format!("{:.0} ms", c.max_ms),
                c.max_ms < COLD_START_MS,
            );
        }
        if let Some(o) = &self.orders {
            add(
                "orders ≥ 2,000/s",
                format!("{}/s", thousands(o.ok_per_s)),
                o.ok_per_s >= ORDERS_PER_S,
            );
            add(
                "every order answered 201",
                format!(
                    "{} of {}",
                    thousands(o.ok as f64),
                    thousands(o.requests as f64)
                ),
                o.ok == o.requests,
            );
        }
        if let Some(s) = &self.scans {
            add(
                "scans ≥ 10,000/s",
                format!("{}/s", thousands(s.ok_per_s)),
                s.ok_per_s >= SCANS_PER_S,
            );
            add(
                "scan p99 < 10 ms",
                format!("{:.2} ms", s.latency.p99_ms),
                s.latency.p99_ms < SCAN_P99_MS,
            );
            add(
                "every scan admitted",
                format!(
                    "{} of {}",
                    thousands(s.items as f64),
                    thousands(s.requests as f64)
                ),
                s.items == s.requests,
            );
        }
        if let Some(p) = &self.shop_page {
            add(
                "shop slot page p99 < 50 ms (200 visitors)",
                format!("{:.2} ms", p.latency.p99_ms),
                p.latency.p99_ms < SHOP_PAGE_P99_MS && p.ok == p.requests,
            );
        }
        if let Some(c) = &self.checkouts {
            add(
                "checkouts ≥ 1,000/s",
                format!("{}/s", thousands(c.ok_per_s)),
                c.ok_per_s >= CHECKOUTS_PER_S && c.ok == c.requests,
            );
        }
        if let Some(p) = &self.paper {
            let slowest = p.range_ms.iter().copied().fold(0.0, f64::max);
            add(
                "a range of 1,000 paper tickets entered < 1 s",
                format!("{slowest:.0} ms (slowest of {})", p.range_ms.len()),
                slowest < 1000.0,
            );
            add(
                "10,000 recorded entries imported < 2 s",
                format!("{:.0} ms for {}", p.import_ms, thousands(p.imported as f64)),
                p.import_ms < 2000.0 && p.imported >= 10_000,
            );
        }
        if let Some(d) = &self.device {
            add(
                "1,000 sales queued on a box-office device uploaded < 5 s",
                format!("{:.0} ms ({} ops taken in)", d.upload_ms, d.applied),
                d.upload_ms < 5000.0 && d.applied > crate::device::SALES as u64,
            );
        }
        if let Some(peak) = self
            .memory
            .iter()
            .max_by(|a, b| a.hwm_mb.total_cmp(&b.hwm_mb))
        {
            add(
                "server memory peak (VmHWM) < 150 MB",
                format!(
                    "{:.1} MB, holding {} tickets",
                    peak.hwm_mb,
                    thousands(peak.tickets as f64)
                ),
                peak.hwm_mb < MEMORY_MB,
            );
        }
        self.targets = out;
    }

    /// The human-readable report.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "aspk bench, {}: {}, {} clients",
            self.at, self.server, self.concurrency
        );
        if let Some(c) = &self.cold_start {
            let _ = writeln!(
                s,
                "\nCold start (spawn to first 200 on /healthz, {} runs, {})",
                c.runs_ms.len(),
                if c.fresh_each_time {
                    "each on a fresh data folder"
                } else {
                    "one database and data folder: the first on an empty store"
                }
            );
            let runs: Vec<String> = c.runs_ms.iter().map(|ms| format!("{ms:.0}")).collect();
            let _ = writeln!(s, "  runs       {} ms", runs.join(", "));
            let _ = writeln!(
                s,
                "  median     {:.0} ms, max {:.0} ms",
                c.median_ms, c.max_ms
            );
            if let Some(rss) = c.rss_mb_when_ready.iter().copied().reduce(f64::max) {
                let _ = writeln!(s, "  RSS ready  {rss:.1} MB (largest)");
            }
        }
        if let Some(o) = &self.orders {
            let _ = writeln!(
                s,
                "\nOrder creation (box-office orders of 1-4 tickets, {:.1} s)",
                o.elapsed_s
            );
            let _ = writeln!(
                s,
                "  orders     {} = {}/s",
                thousands(o.ok as f64),
                thousands(o.ok_per_s)
            );
            let _ = writeln!(
                s,
                "  tickets    {} = {}/s",
                thousands(o.items as f64),
                thousands(o.items_per_s)
            );
            figures(&mut s, o);
        }
        if let Some(p) = &self.ticket_prep {
            let _ = writeln!(
                s,
                "\nMaking tickets for admission (orders of 4, not a target, {:.1} s)",
                p.elapsed_s
            );
            let _ = writeln!(
                s,
                "  orders     {} = {}/s, tickets {} = {}/s",
                thousands(p.ok as f64),
                thousands(p.ok_per_s),
                thousands(p.items as f64),
                thousands(p.items_per_s)
            );
            figures(&mut s, p);
        }
        if let Some(c) = &self.scans {
            let _ = writeln!(
                s,
                "\nAdmission (each code scanned once, {:.2} s{})",
                c.elapsed_s,
                if c.ran_out {
                    ", stopped early: every code was scanned"
                } else {
                    ""
                }
            );
            let _ = writeln!(
                s,
                "  scans      {} = {}/s",
                thousands(c.ok as f64),
                thousands(c.ok_per_s)
            );
            let results: Vec<String> = c.results.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(s, "  results    {}", results.join(", "));
            figures(&mut s, c);
        }
        if let Some(f) = &self.scan_floor {
            let _ = writeln!(
                s,
                "\nNo-write floor (a malformed code, answered invalid, nothing written; {:.2} s)",
                f.elapsed_s
            );
            let _ = writeln!(
                s,
                "  scans      {} = {}/s",
                thousands(f.ok as f64),
                thousands(f.ok_per_s)
            );
            if let Some(a) = &self.scans {
                let _ = writeln!(
                    s,
                    "  durable admissions are {:.1} % of the floor",
                    100.0 * a.ok_per_s / f.ok_per_s.max(f64::MIN_POSITIVE)
                );
            }
            figures(&mut s, f);
        }
        if let Some(p) = &self.shop_page {
            let _ = writeln!(s, "\nShop slot page (200 visitors, {:.1} s)", p.elapsed_s);
            let _ = writeln!(
                s,
                "  pages      {} = {}/s",
                thousands(p.ok as f64),
                thousands(p.ok_per_s)
            );
            figures(&mut s, p);
        }
        if let Some(c) = &self.checkouts {
            let _ = writeln!(
                s,
                "\nCheckout (anonymous online orders of one ticket: holds, {:.1} s)",
                c.elapsed_s
            );
            let _ = writeln!(
                s,
                "  holds      {} = {}/s",
                thousands(c.ok as f64),
                thousands(c.ok_per_s)
            );
            figures(&mut s, c);
        }
        if !self.memory.is_empty() {
            let _ = writeln!(
                s,
                "\nServer memory (VmRSS / VmHWM, with the tickets and entries made so far)"
            );
            for m in &self.memory {
                let _ = writeln!(
                    s,
                    "  after {:<14} {:>6.1} / {:>6.1} MB   {:>9} tickets, {:>7} entries",
                    m.after,
                    m.rss_mb,
                    m.hwm_mb,
                    thousands(m.tickets as f64),
                    thousands(m.scans as f64)
                );
            }
            if let (Some(first), Some(last)) = (self.memory.first(), self.memory.last()) {
                if last.tickets > first.tickets {
                    let kb = (last.rss_mb - first.rss_mb) * 1000.0
                        / (last.tickets - first.tickets) as f64;
                    let _ = writeln!(
                        s,
                        "  growth     about {kb:.2} kB of RSS per ticket (entries included)"
                    );
                }
            }
        }
        if !self.targets.is_empty() {
            let _ = writeln!(s, "\nTargets");
            for t in &self.targets {
                let _ = writeln!(
                    s,
                    "  {:<6} {:<38} {}",
                    if t.met { "met" } else { "MISSED" },
                    t.target,
                    t.measured
                );
            }
        }
        s
    }
}

fn figures(s: &mut String, f: &Figures) {
    let l = &f.latency;
    let _ = writeln!(
        s,
        "  latency    p50 {:.2}, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2} ms (mean {:.2})",
        l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms
    );
    let statuses: Vec<String> = f.statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(s, "  statuses   {}", statuses.join(", "));
    if let Some(e) = &f.first_error {
        let _ = writeln!(s, "  first error {e}");
    }
    let c = &f.cpu;
    let mut line = format!("  CPU        bench {:.2}", c.bench_cores);
    if let Some(server) = c.server_cores {
        let _ = write!(line, ", server {server:.2}");
    }
    if let Some(other) = c.other_cores {
        let _ = write!(line, ", other processes {other:.2}");
    }
    if let Some(busy) = c.machine_busy_cores {
        let _ = write!(
            line,
            "; machine busy {busy:.2} of {} cores",
            c.machine_cores
        );
    }
    let _ = writeln!(s, "{line}");
    let mut line = format!(
        "  run queue  threads runnable but not running (contention, wake-up delay): bench {:.2}",
        c.bench_waiting_threads
    );
    if let Some(server) = c.server_waiting_threads {
        let _ = write!(line, ", server {server:.2}");
    }
    let _ = writeln!(s, "{line}");
    let mut line = format!("  CPU/req    bench {:.0} µs", f.bench_cpu_us_per_request);
    if let Some(server) = f.server_cpu_us_per_request {
        let _ = write!(line, ", server {server:.0} µs");
    }
    let _ = writeln!(s, "{line}");
}

/// `12345.6` as `12,346`.
fn thousands(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn median_of_even_and_odd() {
        let ms = |v: &[u64]| -> Vec<(Duration, Option<Memory>)> {
            v.iter()
                .map(|&m| (Duration::from_millis(m), None))
                .collect()
        };
        let c = ColdStart::new(&ms(&[30, 10, 20]), false);
        assert_eq!((c.median_ms, c.max_ms), (20.0, 30.0));
        let c = ColdStart::new(&ms(&[40, 10, 20, 30]), false);
        assert_eq!(c.median_ms, 25.0);
    }
}
