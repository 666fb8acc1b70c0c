//! The node's health as staff see it on the status page.

use chrono::{DateTime, Utc};

use crate::access::Action;
use crate::{AppError, Node, Principal};

/// What the status page shows of the node itself (the link to its upstream is the sync
/// worker's; see `UpstreamStatus`).
#[derive(Debug, Clone)]
pub struct Health {
    /// Ops in this replica's log.
    pub op_count: u64,
    /// Findings nobody has resolved yet.
    pub open_findings: usize,
    /// Whether the store has stopped taking writes.
    pub store_stalled: bool,
    /// The seats this node holds for selling offline, per coming slot (start, seats left).
    pub leases: Vec<(DateTime<Utc>, u32)>,
    /// Until when this node's ticket key is valid (a delegated key).
    pub key_valid_until: Option<DateTime<Utc>>,
}

impl Node {
    /// This node's health, for any member of staff.
    pub fn health(&self, who: &Principal) -> Result<Health, AppError> {
        who.require_to(Action::ReadStatus)?;
        let (_, store_stalled) = self.writer_stats();
        let origin = self.origin().to_owned();
        let now = self.now();
        let (op_count, open_findings, mut leases) = self.read(|s| {
            let open = s
                .findings()
                .values()
                .filter(|f| f.resolution.is_none())
                .count();
            let leases: Vec<(DateTime<Utc>, u32)> = s
                .slots()
                .values()
                .filter(|slot| slot.slot.ends_at > now)
                .filter_map(|slot| {
                    slot.lease_left(&origin)
                        .map(|left| (slot.slot.starts_at, left))
                })
                .collect();
            (s.op_count(), open, leases)
        });
        leases.sort();
        Ok(Health {
            op_count,
            open_findings,
            store_stalled,
            leases,
            key_valid_until: self.own_key().and_then(|k| k.valid_until),
        })
    }
}

/// This replica's log as its status reports it to staff and to other nodes.
#[derive(Debug, Clone)]
pub struct LogSummary {
    pub op_count: u64,
    /// The seats this node holds per slot (every slot it holds a lease of).
    pub leases: Vec<HeldLease>,
    /// The digest of the state, of one venue's part of it when asked.
    pub digest: String,
}

/// Seats of a slot this node holds for selling offline.
#[derive(Debug, Clone)]
pub struct HeldLease {
    pub slot: String,
    pub left: u32,
    pub starts_at: DateTime<Utc>,
}

impl Node {
    /// How many findings nobody has resolved yet.
    pub fn open_finding_count(&self) -> usize {
        self.read(|s| s.open_findings())
    }

    /// The findings, all or only the open (or resolved) ones, for managers: real ones
    /// (a drill's are in its review).
    pub fn findings(
        &self,
        who: &Principal,
        open: Option<bool>,
    ) -> Result<Vec<aspk_oplog::Finding>, AppError> {
        who.require_to(Action::ReadFindings)?;
        Ok(self.read(|s| {
            s.findings()
                .values()
                .filter(|f| open.is_none_or(|open| f.is_open() == open))
                .filter(|f| s.drills().of_finding(&f.id).is_none())
                .cloned()
                .collect()
        }))
    }

    /// The log's size, the leases this node holds, and the state's digest (of `venue`'s
    /// part, or all of it).
    pub fn log_summary(&self, venue: Option<&str>) -> LogSummary {
        let origin = self.origin().to_owned();
        self.read(|s| LogSummary {
            op_count: s.op_count(),
            leases: s
                .slots()
                .values()
                .filter_map(|slot| {
                    slot.lease_left(&origin).map(|left| HeldLease {
                        slot: slot.slot.id.clone(),
                        left,
                        starts_at: slot.slot.starts_at,
                    })
                })
                .collect(),
            digest: s.digest_for(venue),
        })
    }
}
