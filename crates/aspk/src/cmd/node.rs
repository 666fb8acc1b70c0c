//! Opening a node from a data folder and an optional database URL: shared by subcommands.

use std::path::Path;

use anyhow::Context;
use aspk_app::{DataDir, Node, NodeOptions, NodeRole, SnapshotOptions, CLOUD_SERIALS};

pub struct Opened {
    pub node: Node,
    /// Held for the lifetime of the node: it locks the data folder.
    pub data: DataDir,
    pub database: String,
}

/// The identity a node starts with: the cloud's own root key, or a site node's delegated
/// one (or a gate's own), and the trust anchors it was given.
pub struct Identity {
    pub role: NodeRole,
    pub key_id: u16,
    pub serials: (u64, u64),
    pub anchors: Vec<(u16, [u8; 32])>,
}

/// The cloud's identity, from its data folder's root keys.
pub fn cloud(data: &DataDir) -> anyhow::Result<Identity> {
    let roots = data.root_keys().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Identity {
        role: NodeRole::Cloud,
        key_id: roots.signing_key,
        serials: CLOUD_SERIALS,
        anchors: roots.anchor_bytes(),
    })
}

pub fn open_data(data: &Path) -> anyhow::Result<DataDir> {
    DataDir::open(data).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn open(data: &Path, database: Option<&str>) -> anyhow::Result<Opened> {
    let data = open_data(data)?;
    let identity = cloud(&data)?;
    start(data, database, identity).await
}

pub async fn start(
    data: DataDir,
    database: Option<&str>,
    identity: Identity,
) -> anyhow::Result<Opened> {
    let database = database
        .map(str::to_owned)
        .unwrap_or_else(|| data.sqlite_url());
    let store = aspk_store::open(&database)
        .await
        .map_err(|e| anyhow::anyhow!("database {}: {e}", redact(&database)))?;
    let options = NodeOptions {
        store,
        origin: incarnation(&data, identity.role)?,
        ticket_key: data
            .ticket_key(identity.key_id)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        token_secret: data.token_secret().map_err(|e| anyhow::anyhow!("{e}"))?,
        role: identity.role,
        serials: identity.serials,
        clock: aspk_domain::SystemClock::shared(),
        snapshot: Some(snapshot_options(&data)),
        trust_anchors: identity.anchors,
        max_clock_skew: max_clock_skew(),
    };
    let node = Node::start(options).await.context("starting the node")?;
    Ok(Opened {
        node,
        data,
        database,
    })
}

/// How far ahead of this node's clock an incoming op may be: `ASPK_MAX_CLOCK_SKEW_SECS`,
/// or five minutes.
fn max_clock_skew() -> chrono::Duration {
    std::env::var("ASPK_MAX_CLOCK_SKEW_SECS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|s| *s > 0)
        .map(chrono::Duration::seconds)
        .unwrap_or_else(|| chrono::Duration::minutes(aspk_app::DEFAULT_MAX_CLOCK_SKEW_MINUTES))
}

/// Snapshots as `SnapshotOptions::new` has them, or every `ASPK_SNAPSHOT_EVERY_OPS` ops
/// with no minimum interval (a tuning knob; the drills use it to restart from snapshots).
fn snapshot_options(data: &DataDir) -> SnapshotOptions {
    let mut options = SnapshotOptions::new(data.snapshot_path());
    let every = std::env::var("ASPK_SNAPSHOT_EVERY_OPS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&n| n > 0);
    if let Some(every) = every {
        options.every_ops = every;
        options.min_interval = std::time::Duration::ZERO;
    }
    options
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The origin this process writes ops under. A site node keeps its enrolled origin (its
/// leases belong to it). The cloud takes a new incarnation at every start, so a cloud
/// restored from an older backup can never reuse a sequence number it had already handed
/// out; the ops of earlier incarnations stay in the log under their own origins.
fn incarnation(data: &DataDir, role: NodeRole) -> anyhow::Result<String> {
    let base = data.origin().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match role {
        NodeRole::SiteNode | NodeRole::Gate => base,
        NodeRole::Cloud => {
            let start: [u8; 4] = rand::random();
            format!("{base}-{}", aspk_app::to_hex(&start))
        }
    })
}
