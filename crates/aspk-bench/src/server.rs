//! A server the bench starts itself (`--spawn`): `aspk serve --demo` on a fresh temporary
//! data folder and a free loopback port, plus what `/proc` says about it (memory, CPU time).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use hyper::{Method, StatusCode};
use tokio::process::{Child, Command};

use crate::http::{path, Client, Target};

/// How long a start may take before the bench gives up on it.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How often `/healthz` is tried while the server starts: the resolution of the cold start.
const POLL: Duration = Duration::from_millis(1);
/// How long a stopping server gets after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A running `aspk serve`. Killed when dropped (e.g. on an error); `stop` ends it gracefully.
pub struct Spawned {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    log: PathBuf,
    /// The data folder and the log; removed when the server is done with.
    _dir: tempfile::TempDir,
}

/// Starts `exe serve --demo` and waits for the first 200 on `/healthz`; returns the server
/// and the time from spawn to that answer. The data folder is `data`, or a fresh one.
pub async fn spawn(
    exe: &Path,
    database: Option<&str>,
    data: Option<&Path>,
) -> anyhow::Result<(Spawned, Duration)> {
    let dir = tempfile::Builder::new()
        .prefix("aspk-bench-")
        .tempdir()
        .context("creating a temporary data folder")?;
    let data = data.map_or_else(|| dir.path().join("data"), Path::to_path_buf);
    let addr = free_port()?;
    let log = dir.path().join("server.log");
    let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone().context("opening the log twice")?;
    let mut cmd = Command::new(exe);
    cmd.arg("serve")
        .arg("--demo")
        .arg("--data")
        .arg(&data)
        .arg("--listen")
        .arg(addr.to_string())
        // The checkout phase holds many orders from one address.
        .arg("--holds-per-client")
        .arg("1000000");
    if let Some(url) = database {
        cmd.arg("--database").arg(url);
    }
    cmd.env_remove("ASPK_DATA")
        .env_remove("ASPK_LISTEN")
        .env_remove("ASPK_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pid = child.id().context("the server exited at once")?;
    let mut server = Spawned {
        child,
        pid,
        addr,
        log,
        _dir: dir,
    };
    let healthz = path("/healthz");
    let mut client = Client::new(Target::new(addr)?);
    loop {
        if let Some(status) = server.child.try_wait().context("watching the server")? {
            anyhow::bail!(
                "the server exited ({status}) before it answered /healthz:\n{}",
                server.log_tail()
            );
        }
        if let Ok((StatusCode::OK, _)) = client.send(Method::GET, &healthz, None).await {
            return Ok((server, started.elapsed()));
        }
        if started.elapsed() > START_TIMEOUT {
            anyhow::bail!(
                "the server did not answer /healthz within {START_TIMEOUT:?}:\n{}",
                server.log_tail()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Spawned {
    /// Memory as `/proc/PID/status` gives it.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory_of(self.pid)
    }

    /// The last lines the server wrote, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(20);
        lines[from..].join("\n")
    }

    /// SIGTERM, then SIGKILL if it has not exited within the grace period.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let term = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .map(|pid| rustix::process::kill_process(pid, rustix::process::Signal::TERM));
        if let Some(Ok(())) = term {
            if let Ok(status) = tokio::time::timeout(STOP_GRACE, self.child.wait()).await {
                status.context("waiting for the server")?;
                return Ok(());
            }
        }
        self.child.kill().await.context("killing the server")?;
        Ok(())
    }
}

/// Resident memory now and at its peak, in KiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

fn memory_of(pid: u32) -> anyhow::Result<Memory> {
    let file = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("no {name} in {file}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// A loopback port nobody listens on right now.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    listener.local_addr().context("finding a free port")
}
