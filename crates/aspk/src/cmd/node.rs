//! Opening a node from a data folder and an optional database URL: shared by subcommands.

use std::path::Path;

use anyhow::Context;
use aspk_app::{DataDir, Node, NodeOptions, NodeRole, SnapshotOptions, CLOUD_SERIALS};

/// The key id new tickets are signed with.
const TICKET_KEY_ID: u16 = 1;

pub struct Opened {
    pub node: Node,
    /// Held for the lifetime of the node: it locks the data folder.
    pub _data: DataDir,
    pub database: String,
}

/// The identity a node starts with: the cloud's own key, or a site node's delegated one.
pub struct Identity {
    pub role: NodeRole,
    pub key_id: u16,
    pub serials: (u64, u64),
}

pub const CLOUD: Identity = Identity {
    role: NodeRole::Cloud,
    key_id: TICKET_KEY_ID,
    serials: CLOUD_SERIALS,
};

pub fn open_data(data: &Path) -> anyhow::Result<DataDir> {
    DataDir::open(data).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn open(data: &Path, database: Option<&str>) -> anyhow::Result<Opened> {
    start(open_data(data)?, database, CLOUD).await
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
        clock_offset_ms: 0,
        snapshot: Some(snapshot_options(&data)),
    };
    let node = Node::start(options).await.context("starting the node")?;
    Ok(Opened {
        node,
        _data: data,
        database,
    })
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
