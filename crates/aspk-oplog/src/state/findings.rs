//! Findings: conflicts that replication brings to light. Derived from the log alone, so every
//! replica finds the same ones, each once (a finding's id names what it is about).

use aspk_domain::{FindingKind, Ticket, TicketStatus};
use serde::{Deserialize, Serialize};

/// Every kind of finding there is.
pub const KINDS: &[FindingKind] = FindingKind::ALL;

/// Something a manager must look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    /// `double_entry`, `admitted_after_cancel`, `oversell`, `equivocation`, `revoked_push`,
    /// `forged_op`, `duplicate_sale`, `unauthorised_op` (an op its author may not write: not
    /// folded in), `held_op` (ops a node could not check yet), `unverified_entry` (a device
    /// reported admitting a ticket that could not be verified). A snapshot holding a kind
    /// this build does not know fails to load (the log is folded again instead).
    pub kind: FindingKind,
    pub ticket: Option<u64>,
    pub slot: Option<String>,
    pub facts: serde_json::Value,
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub note: String,
    pub by: String,
    /// When it was resolved (the resolving op's clock reading); absent in snapshots from
    /// before resolutions kept it.
    #[serde(default)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Finding {
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

pub(crate) fn entries_facts(ticket: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "order": ticket.order,
        "entries": ticket.entries.iter().map(|e| serde_json::json!({
            "at": e.at, "gate": e.gate, "by": e.by, "origin": e.origin,
        })).collect::<Vec<_>>(),
        "issued_by": ticket.issued_by,
        "status": ticket.status,
    })
}

/// `double_entry` when a ticket has more than one entry: places that could not know of each
/// other both admitted it (a place that knew would have refused).
pub(crate) fn double_entry(ticket: &Ticket) -> Option<Finding> {
    (ticket.entries.len() > 1).then(|| Finding {
        id: format!("double_entry:{}", ticket.serial),
        kind: FindingKind::DoubleEntry,
        ticket: Some(ticket.serial),
        slot: ticket.slot.clone(),
        facts: entries_facts(ticket),
        resolution: None,
    })
}

/// `admitted_after_cancel` when a void ticket has entries its canceller did not know of.
pub(crate) fn admitted_after_cancel(ticket: &Ticket, entries_seen: u32) -> Option<Finding> {
    let unknown = ticket.entries.len().saturating_sub(entries_seen as usize);
    (ticket.status == TicketStatus::Void && unknown > 0).then(|| {
        let mut facts = entries_facts(ticket);
        facts["void_reason"] = serde_json::json!(ticket.void_reason);
        facts["entries_known_at_cancel"] = serde_json::json!(entries_seen);
        Finding {
            id: format!("admitted_after_cancel:{}", ticket.serial),
            kind: FindingKind::AdmittedAfterCancel,
            ticket: Some(ticket.serial),
            slot: ticket.slot.clone(),
            facts,
            resolution: None,
        }
    })
}
