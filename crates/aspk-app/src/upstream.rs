//! What a site node knows about its link to the upstream, shared by the sync worker (which
//! updates it) and the status endpoint and pages (which show it).

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

#[derive(Debug, Clone, Default)]
pub struct UpstreamView {
    /// The endpoint in use now.
    pub url: String,
    /// Every configured endpoint, in order of preference.
    pub urls: Vec<String>,
    pub is_reachable: bool,
    pub last_push: Option<DateTime<Utc>>,
    pub last_pull: Option<DateTime<Utc>>,
    /// Ops this node holds that the upstream does not have yet, as the last good round
    /// counted them (see [`crate::Node::pending_ops`] for the figure at every moment).
    pub pending_ops: u64,
    /// What the upstream is known to hold, per origin: what it acknowledged after the last
    /// push, and every op pulled from it since. Known from the saved cursors at start-up;
    /// none before a sync worker said.
    pub upstream_holds: Option<std::collections::BTreeMap<String, u64>>,
    pub last_error: Option<String>,
    /// Whether the upstream answered the last failed call (with an error): then the
    /// network works and the upstream itself fails.
    pub upstream_answers: bool,
    /// Per endpoint: the id of its session key (what a staff page's handoff code for it is
    /// bound to), as its replication status said.
    pub audiences: std::collections::BTreeMap<String, String>,
}

/// Shared, cheap to read.
#[derive(Debug, Default)]
pub struct UpstreamStatus(Mutex<UpstreamView>);

impl UpstreamStatus {
    pub fn get(&self) -> UpstreamView {
        self.0.lock().clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut UpstreamView)) {
        f(&mut self.0.lock());
    }
}
