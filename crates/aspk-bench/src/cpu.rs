//! Where the CPU went during a phase, from `/proc`: the load generator, the server (when
//! its process id is known), everything else on the machine, and how long the server's
//! threads were ready to run but waited for a CPU (run-queue delay, from `schedstat`).
//! On a shared machine the last two say whether a slow figure is the server's own doing.

use std::time::{Duration, Instant};

use serde::Serialize;

/// CPU used and run-queue wait of one process, summed over its threads.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    cpu: Duration,
    wait: Duration,
}

/// Counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: Instant,
    machine_busy: Option<Duration>,
    cores: usize,
    bench: Usage,
    server: Option<Usage>,
}

/// Takes samples of this process and, if given, the server `pid`.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    server: Option<u32>,
}

impl Probe {
    pub fn new(server: Option<u32>) -> Self {
        Self { server }
    }

    pub fn sample(&self) -> Sample {
        Sample {
            at: Instant::now(),
            machine_busy: machine_busy(),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            bench: usage("self"),
            server: self.server.map(|pid| usage(&pid.to_string())),
        }
    }
}

/// CPU use during a phase, in cores (CPU seconds per wall second).
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    /// Cores the machine has.
    pub machine_cores: usize,
    /// Cores in use on the whole machine (user, system, interrupts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_busy_cores: Option<f64>,
    /// Cores used by the load generator.
    pub bench_cores: f64,
    /// Cores used by the server (spawned server only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cores: Option<f64>,
    /// Cores used by every other process (spawned server only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_cores: Option<f64>,
    /// Server threads that were runnable but not running, on average: waiting for a busy
    /// CPU, or for an idle one to wake up (on a VM the latter is not free).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_waiting_threads: Option<f64>,
    /// Same for the load generator's threads.
    pub bench_waiting_threads: f64,
}

impl Sample {
    /// What happened between `self` (earlier) and `later`.
    pub fn span_to(&self, later: &Sample) -> Span {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let per_s = |d: Duration| d.as_secs_f64() / wall;
        let bench_cores = per_s(later.bench.cpu.saturating_sub(self.bench.cpu));
        let server = match (self.server, later.server) {
            (Some(a), Some(b)) => Some((
                per_s(b.cpu.saturating_sub(a.cpu)),
                per_s(b.wait.saturating_sub(a.wait)),
            )),
            _ => None,
        };
        let machine = match (self.machine_busy, later.machine_busy) {
            (Some(a), Some(b)) => Some(per_s(b.saturating_sub(a))),
            _ => None,
        };
        Span {
            machine_cores: self.cores,
            machine_busy_cores: machine,
            bench_cores,
            server_cores: server.map(|s| s.0),
            other_cores: match (machine, server) {
                (Some(m), Some(s)) => Some((m - s.0 - bench_cores).max(0.0)),
                _ => None,
            },
            server_waiting_threads: server.map(|s| s.1),
            bench_waiting_threads: per_s(later.bench.wait.saturating_sub(self.bench.wait)),
        }
    }
}

fn usage(pid: &str) -> Usage {
    Usage {
        cpu: process_cpu(pid).unwrap_or_default(),
        wait: run_queue_wait(pid).unwrap_or_default(),
    }
}

fn hz() -> f64 {
    rustix::param::clock_ticks_per_second().max(1) as f64
}

/// User plus system time of a process, all its threads, from `/proc/PID/stat`.
fn process_cpu(pid: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start with field 3, the state;
    // utime is field 14 and stime field 15.
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / hz()))
}

/// Time the live threads of a process spent runnable but not running (`schedstat` field 2).
fn run_queue_wait(pid: &str) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut ns: u64 = 0;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        if let Some(wait) = text
            .split_whitespace()
            .nth(1)
            .and_then(|f| f.parse::<u64>().ok())
        {
            ns = ns.saturating_add(wait);
        }
    }
    Some(Duration::from_nanos(ns))
}

/// Busy time of all CPUs (user, nice, system, irq, softirq) from `/proc/stat`.
fn machine_busy() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let busy = f.first()? + f.get(1)? + f.get(2)? + f.get(5)? + f.get(6)?;
    Some(Duration::from_secs_f64(busy as f64 / hz()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_counters() {
        let probe = Probe::new(Some(std::process::id()));
        let a = probe.sample();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        let span = a.span_to(&probe.sample());
        assert!(span.bench_cores >= 0.0);
        assert!(span.server_cores.is_some());
        assert!(span.machine_busy_cores.is_some());
    }
}
