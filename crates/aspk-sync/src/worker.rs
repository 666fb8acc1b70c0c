//! The replication loop of a site node: every round it pushes what the upstream lacks,
//! pulls what it lacks, and tops up its leases. Endpoints are tried in order of preference;
//! a failure moves to the next one at once, and the preferred one is tried again after 3 s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aspk_app::{Node, UpstreamStatus};
use serde::{Deserialize, Serialize};

use crate::client::{Client, SyncError};
use crate::renew::Renewal;
use crate::UpstreamConfig;

const BATCH: u32 = 5_000;
const ROUND_PAUSE: Duration = Duration::from_millis(200);
const RETRY_PREFERRED: Duration = Duration::from_secs(3);
const LEASE_EVERY: Duration = Duration::from_secs(2);

/// How many seats of each coming slot a site node keeps leased for selling offline.
#[derive(Debug, Clone, Copy)]
pub struct LeasePolicy {
    /// Seats to hold per slot; topped up below half, handed back above twice this.
    pub seats: u32,
    /// How far ahead slots are leased.
    pub horizon: chrono::Duration,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        Self {
            seats: 10,
            horizon: chrono::Duration::hours(24),
        }
    }
}

/// Where replication got to, kept in `sync.json` so a restart resumes.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursors {
    /// Per upstream URL: the cursor pulled up to (cursor spaces differ per server).
    pull: BTreeMap<String, i64>,
    /// Local cursor up to which every op has been offered to the upstream.
    push: i64,
    /// What the upstream had acknowledged, per origin: if it ever reports less, it lost
    /// data (restored from a backup) and everything is offered again.
    acked: BTreeMap<String, u64>,
    /// Per origin: an op the upstream lacks that this node holds only as an elision (the
    /// upstream lost it, and a replica of another venue has it). Once the upstream has it,
    /// everything is offered again, so the ops after it go up too.
    #[serde(default)]
    waiting: BTreeMap<String, u64>,
    /// What the upstream is known to hold, per origin: what it acknowledged at the last
    /// push, and every op pulled from it since. What this node holds beyond it is waiting
    /// to go up (`None` in a file from before: then what it acknowledged).
    #[serde(default)]
    holds: Option<BTreeMap<String, u64>>,
}

impl Cursors {
    /// Notes that the upstream holds the ops up to `pulled` (per origin: they came from it).
    fn upstream_has(&mut self, pulled: BTreeMap<String, u64>) {
        let holds = self.holds.get_or_insert_with(|| self.acked.clone());
        for (origin, seq) in pulled {
            let held = holds.entry(origin).or_insert(0);
            *held = (*held).max(seq);
        }
    }
}

pub struct SyncWorker {
    node: Node,
    config: UpstreamConfig,
    client: Client,
    status: Arc<UpstreamStatus>,
    policy: LeasePolicy,
    file: PathBuf,
    cursors: Cursors,
    current: usize,
    switched_at: Instant,
    leased_at: Option<Instant>,
    /// Renews the node's ticket key (a worker with a data folder, i.e. a site node's).
    renewal: Option<Renewal>,
}

impl SyncWorker {
    pub fn new(
        node: Node,
        config: UpstreamConfig,
        status: Arc<UpstreamStatus>,
        policy: LeasePolicy,
        data: &std::path::Path,
    ) -> Self {
        let mut worker =
            Self::with_cursor_file(node, config, status, policy, &data.join("sync.json"));
        worker.renewal = Some(Renewal::new(data));
        worker
    }

    /// A worker whose cursors live in `file` (one file per peer when a node syncs with several).
    pub fn with_cursor_file(
        node: Node,
        config: UpstreamConfig,
        status: Arc<UpstreamStatus>,
        policy: LeasePolicy,
        file: &std::path::Path,
    ) -> Self {
        let file = file.to_owned();
        let cursors: Cursors = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let client = Client::new(&config.token);
        // What waits to go up is known from the saved cursors before the first round.
        let holds = cursors
            .holds
            .clone()
            .unwrap_or_else(|| cursors.acked.clone());
        status.update(|s| {
            s.urls = config.urls.clone();
            s.upstream_holds = Some(holds);
        });
        Self {
            node,
            config,
            client,
            status,
            policy,
            file,
            cursors,
            current: 0,
            switched_at: Instant::now(),
            leased_at: None,
            renewal: None,
        }
    }

    /// Runs rounds until everything is pulled, or gives up after `attempts` failures
    /// (a site node starts serving with what it has when the upstream is away).
    pub async fn catch_up(&mut self, attempts: usize) -> Result<(), SyncError> {
        let mut failures = 0;
        loop {
            match self.round().await {
                Ok(()) => return Ok(()),
                Err(e) if failures + 1 < attempts => {
                    failures += 1;
                    self.fail(&e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn spawn(mut self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.round().await {
                    // Next round after the pause, or at once when something was stored here.
                    Ok(()) => {
                        let node = self.node.clone();
                        tokio::select! {
                            () = tokio::time::sleep(ROUND_PAUSE) => {}
                            () = node.committed() => {}
                        }
                    }
                    Err(e) => {
                        self.fail(&e);
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
            }
        })
    }

    fn url(&self) -> String {
        self.config.urls[self.current.min(self.config.urls.len() - 1)]
            .trim_end_matches('/')
            .to_owned()
    }

    fn fail(&mut self, e: &SyncError) {
        tracing::warn!(error = %e, "replication round failed");
        let detail = e.to_string();
        let answered = matches!(e, SyncError::Refused { .. });
        self.status.update(|s| {
            s.is_reachable = false;
            s.last_error = Some(detail);
            s.upstream_answers = answered;
        });
        if e.is_transient() && self.config.urls.len() > 1 {
            self.current = (self.current + 1) % self.config.urls.len();
            self.switched_at = Instant::now();
        }
    }

    /// One push, pull and lease round against the current endpoint.
    async fn round(&mut self) -> Result<(), SyncError> {
        if self.current != 0 && self.switched_at.elapsed() >= RETRY_PREFERRED {
            self.current = 0;
            self.switched_at = Instant::now();
        }
        let url = self.url();
        let remote = self.client.status(&url).await?;
        if !remote.session_key.is_empty() {
            let audience = remote.session_key.clone();
            let at = url.clone();
            self.status.update(|s| {
                s.audiences.insert(at, audience);
            });
        }
        let pulled_to = self.cursors.pull.get(&url).copied().unwrap_or(0);
        if remote.head < pulled_to {
            tracing::warn!(%url, head = remote.head, pulled_to, "upstream log is behind what was pulled: restored from a backup? pulling again");
            self.cursors.pull.insert(url.clone(), 0);
        }
        let upstream_vv = self.push(&url, remote.vv).await?;
        self.status.update(|s| s.last_push = Some(self.node.now()));
        self.pull(&url).await?;
        if self.leased_at.is_none_or(|t| t.elapsed() >= LEASE_EVERY) {
            self.maintain_leases(&url).await?;
            self.leased_at = Some(Instant::now());
        }
        if let Some(renewal) = &mut self.renewal {
            // A failed renewal is tried again later; replication goes on meanwhile.
            let renewed = renewal
                .step(&self.node, &mut self.config, &self.client, &url)
                .await;
            if let Err(e) = renewed {
                tracing::warn!(error = %e, "ticket key renewal failed; trying again later");
            }
        }
        let local = self.node.version_vector();
        let pending: u64 = local
            .iter()
            .map(|(o, seq)| seq.saturating_sub(upstream_vv.get(o).copied().unwrap_or(0)))
            .sum();
        let now = self.node.now();
        self.status.update(|s| {
            s.url = url.clone();
            s.is_reachable = true;
            s.last_pull = Some(now);
            s.pending_ops = pending;
            s.last_error = None;
            s.upstream_answers = false;
        });
        self.save();
        Ok(())
    }

    /// Offers every local op the upstream lacks, in local commit order.
    async fn push(
        &mut self,
        url: &str,
        mut remote: BTreeMap<String, u64>,
    ) -> Result<BTreeMap<String, u64>, SyncError> {
        let lost = self
            .cursors
            .acked
            .iter()
            .any(|(o, seq)| remote.get(o).copied().unwrap_or(0) < *seq);
        if lost {
            tracing::warn!(%url, "upstream has less than it acknowledged: restored from a backup? re-sending");
            self.cursors.push = 0;
        }
        let arrived = |(o, seq): (&String, &u64)| remote.get(o).copied().unwrap_or(0) >= *seq;
        if self.cursors.waiting.iter().any(arrived) {
            tracing::info!(%url, "upstream has the ops it lacked from elsewhere; offering the rest again");
            self.cursors.push = 0;
        }
        if self.cursors.push == 0 {
            self.cursors.waiting.clear();
        }
        let mut offer = aspk_app::Offer {
            waiting: std::mem::take(&mut self.cursors.waiting),
        };
        // The next batch is read and compressed while the upstream takes in this one.
        let store = self.node.store().clone();
        let mut next = prepare(&store, self.cursors.push, &remote, &mut offer).await?;
        while let Some(batch) = next.take() {
            let ahead = prepare(&store, batch.last, &remote, &mut offer);
            let Some(body) = batch.body else {
                self.cursors.push = batch.last;
                next = ahead.await?;
                continue;
            };
            let (pushed, ahead) = tokio::join!(self.client.push(url, body), ahead);
            let pushed = pushed?;
            remote = pushed.vv;
            if pushed.refused > 0 {
                tracing::error!(%url, refused = pushed.refused, "upstream refused ops whose signatures do not hold (see its findings)");
            }
            if pushed.held > 0 {
                // Taken back later (a certificate on its way, a clock ahead): this batch
                // is offered again next round.
                tracing::warn!(%url, held = pushed.held, "upstream held back ops; offering them again next round");
                break;
            }
            if pushed.gaps > 0 {
                // The upstream misses earlier ops than these: offer everything again next round.
                tracing::warn!(%url, gaps = pushed.gaps, "upstream reported gaps; restarting push from the beginning");
                self.cursors.push = 0;
                break;
            }
            self.cursors.push = batch.last;
            next = ahead?;
        }
        if !offer.waiting.is_empty() {
            tracing::warn!(%url, waiting = ?offer.waiting, "upstream lacks ops this node holds only as elisions; it needs them from a replica of their venue");
        }
        self.cursors.waiting = offer.waiting;
        self.cursors.acked = remote.clone();
        self.cursors.holds = Some(remote.clone());
        self.publish_holds();
        Ok(remote)
    }

    /// Takes in every op the upstream has after the cursor; the next page is fetched while
    /// this one is being taken in.
    async fn pull(&mut self, url: &str) -> Result<(), SyncError> {
        let origin = self.node.origin().to_owned();
        let after = self.cursors.pull.get(url).copied().unwrap_or(0);
        let mut page = self.client.pull(url, after, BATCH, &origin).await?;
        loop {
            let (next, more) = (page.next, page.more);
            let ahead = async {
                match more {
                    true => Some(self.client.pull(url, next, BATCH, &origin).await),
                    false => None,
                }
            };
            let mut pulled = BTreeMap::<String, u64>::new();
            for op in &page.ops {
                let seq = pulled.entry(op.origin.clone()).or_insert(0);
                *seq = (*seq).max(op.seq);
            }
            let ingest = async {
                if page.ops.is_empty() {
                    return Ok(0);
                }
                self.node
                    .ingest_pulled(page.ops, url)
                    .await
                    .map(|report| report.held)
                    .map_err(|e| SyncError::Unreachable {
                        url: "local store".into(),
                        detail: e.to_string(),
                    })
            };
            let (ahead, ingested) = tokio::join!(ahead, ingest);
            let ingested = ingested?;
            if !pulled.is_empty() {
                self.cursors.upstream_has(pulled);
                self.publish_holds();
            }
            if ingested > 0 {
                // Some ops could not be checked yet (a clock ahead): pull them again later.
                tracing::warn!(%url, "held back pulled ops; pulling them again next round");
                return Ok(());
            }
            self.cursors.pull.insert(url.to_owned(), next);
            match ahead {
                None => return Ok(()),
                Some(fetched) => page = fetched?,
            }
        }
    }

    /// Keeps `policy.seats` leased for each coming slot of the venue.
    async fn maintain_leases(&mut self, url: &str) -> Result<(), SyncError> {
        let wanted = self
            .node
            .held_seats(&self.config.venue, self.policy.horizon);
        let target = self.policy.seats;
        for (slot, left) in wanted {
            if left < target.div_ceil(2) {
                let granted = self.client.lease(url, &slot, target - left).await?;
                tracing::debug!(%slot, granted, "lease topped up");
            } else if left > target * 2 {
                if let Err(e) = self.node.return_lease(&slot, left - target).await {
                    tracing::warn!(error = %e, %slot, "cannot hand back leased seats");
                }
            }
        }
        Ok(())
    }

    /// Tells the status what the upstream holds (what waits to go up is counted from it).
    fn publish_holds(&self) {
        let holds = self.cursors.holds.clone();
        self.status.update(|s| s.upstream_holds = holds);
    }

    fn save(&self) {
        if let Ok(bytes) = serde_json::to_vec(&self.cursors) {
            if let Err(e) = aspk_app::write_private(&self.file, &bytes) {
                tracing::warn!(error = %e, "cannot save sync.json");
            }
        }
    }
}

/// A push batch ready to send: the local cursor it reaches, and its compressed body (none
/// when the upstream holds every op in it).
struct Outgoing {
    last: i64,
    body: Option<Vec<u8>>,
}

/// Reads the batch after `cursor`, keeps what an upstream holding `remote` lacks (see
/// [`aspk_app::Offer`]) and compresses it. `None` when nothing follows `cursor`.
async fn prepare(
    store: &Arc<dyn aspk_store::Store>,
    cursor: i64,
    remote: &BTreeMap<String, u64>,
    offer: &mut aspk_app::Offer,
) -> Result<Option<Outgoing>, SyncError> {
    let local = |e: String| SyncError::Unreachable {
        url: "local store".into(),
        detail: e,
    };
    let stored = store
        .read_raw_after(cursor, BATCH)
        .await
        .map_err(|e| local(e.to_string()))?;
    let Some(last) = stored.last().map(|s| s.cursor) else {
        return Ok(None);
    };
    let missing: Vec<String> = offer
        .choose(stored, remote, |op| (&op.origin, op.seq, op.elided))
        .into_iter()
        .map(|op| op.json)
        .collect();
    if missing.is_empty() {
        return Ok(Some(Outgoing { last, body: None }));
    }
    let body = tokio::task::spawn_blocking(move || crate::client::encode_push(&missing))
        .await
        .map_err(|e| local(e.to_string()))?;
    Ok(Some(Outgoing {
        last,
        body: Some(body),
    }))
}
