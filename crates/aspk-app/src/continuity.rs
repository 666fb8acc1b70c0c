//! The continuity console: every part of the installation as this node sees it (itself, its
//! upstream, the site nodes, gates and phones enrolled for its venues, its UPS), which of the
//! continuity plan's failures is happening now, and the plan's steps for it.
//!
//! What this node knows of the others comes from a small in-memory registry of when each
//! enrolled node last called it ([`Contacts`], fed by the HTTP layer on every authenticated
//! node call) and from the last reading of the UPS command ([`PowerReading`]). Both start
//! empty at start-up: a node not heard from since then is "not seen", never "silent".

use std::collections::{BTreeMap, HashMap};

use aspk_domain::{FailureKind, PrinterKind};
use aspk_oplog::PrintRecord;
use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;

use crate::{AppError, Health, Node, NodeRole, Principal, UpstreamView};

mod runbook;

pub use runbook::{seeded_steps, typed_steps, Runbook};

/// A part heard from within this many seconds is online.
pub const ONLINE_WITHIN_SECS: i64 = 120;

/// When each enrolled node (by node id) last called this node. In memory only.
#[derive(Debug, Default)]
pub struct Contacts(Mutex<HashMap<String, DateTime<Utc>>>);

impl Contacts {
    /// Records that `node_id` called at `at`.
    pub fn note(&self, node_id: &str, at: DateTime<Utc>) {
        let mut seen = self.0.lock();
        match seen.get_mut(node_id) {
            Some(last) => *last = (*last).max(at),
            None => {
                seen.insert(node_id.to_owned(), at);
            }
        }
    }

    /// When `node_id` last called, if it did since this node started.
    pub fn last(&self, node_id: &str) -> Option<DateTime<Utc>> {
        self.0.lock().get(node_id).copied()
    }
}

/// What the UPS command said last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerReading {
    /// The power is out: the command said `OB` (on battery), or failed.
    pub on_battery: bool,
    /// The command's first line of output, or how it failed.
    pub detail: String,
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Since when the power has been out (the first reading of this outage).
    pub since: Option<DateTime<Utc>>,
}

/// What a node keeps in memory about the parts around it.
#[derive(Debug, Default)]
pub struct Watch {
    contacts: Contacts,
    power: Mutex<Option<PowerReading>>,
}

/// What a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Cloud,
    SiteNode,
    Gate,
    /// A paired phone with the scanner app.
    Scanner,
    /// A paired box-office device (the offline box-office app).
    BoxOffice,
    /// The node this one replicates with.
    Upstream,
    /// This node's uninterruptible power supply.
    Ups,
    /// A network ticket printer (ESC/POS over TCP), known by its last print job.
    Printer,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::SiteNode => "site_node",
            Self::Gate => "gate",
            Self::Scanner => "scanner",
            Self::BoxOffice => "box_office",
            Self::Upstream => "upstream",
            Self::Ups => "ups",
            Self::Printer => "printer",
        }
    }

    fn of_role(role: NodeRole) -> Self {
        match role {
            NodeRole::Cloud => Self::Cloud,
            NodeRole::SiteNode => Self::SiteNode,
            NodeRole::Gate => Self::Gate,
        }
    }

    /// The kind of an enrolled node by its role (`site_node`, `gate`, `scanner`).
    fn of_enrolled(role: &str) -> Option<Self> {
        match role {
            "site_node" => Some(Self::SiteNode),
            "gate" => Some(Self::Gate),
            "scanner" => Some(Self::Scanner),
            "box_office" => Some(Self::BoxOffice),
            _ => None,
        }
    }

    /// Gates and phones: what admits visitors.
    pub fn is_validator(self) -> bool {
        matches!(self, Self::Gate | Self::Scanner)
    }
}

/// How a part is doing, as this node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    /// Working: heard from within [`ONLINE_WITHIN_SECS`] (this node: answering).
    Online,
    /// Heard from since this node started, but not lately; the upstream: unreachable.
    Offline,
    /// Not heard from since this node started (it may call another node).
    NotSeen,
    /// Its enrolment was withdrawn.
    Revoked,
    /// The UPS runs on battery.
    OnBattery,
    /// This node's store is refusing writes (they are retried).
    Failing,
}

impl PartState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::NotSeen => "not_seen",
            Self::Revoked => "revoked",
            Self::OnBattery => "on_battery",
            Self::Failing => "failing",
        }
    }
}

/// One part of the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub kind: PartKind,
    /// Whether it is the node answering.
    pub is_this_node: bool,
    /// A node id, this node's origin, the upstream's URL, or `ups`.
    pub id: String,
    /// What people call it (the name given at enrolment; the upstream's URL).
    pub name: String,
    pub venue: Option<String>,
    pub state: PartState,
    /// When this node last heard from it (the upstream: the last good round).
    pub last_contact: Option<DateTime<Utc>>,
    /// The upstream's last error; what the UPS said.
    pub detail: Option<String>,
}

/// A failure of the continuity plan happening now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// The venue it concerns, when known (its plan's steps are shown).
    pub venue: Option<String>,
    /// Since when, as far as this node knows.
    pub since: Option<DateTime<Utc>>,
    /// The names of the parts concerned.
    pub parts: Vec<String>,
}

/// Local ops the upstream has not acknowledged yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PendingOps {
    pub count: u64,
    /// When the oldest of them was made (by its hybrid logical clock).
    pub oldest_at: Option<DateTime<Utc>>,
}

/// The whole picture for the status page, the API and `aspk status`.
#[derive(Debug, Clone)]
pub struct Continuity {
    pub role: NodeRole,
    pub scope: Option<String>,
    pub parts: Vec<Part>,
    pub failures: Vec<Failure>,
    /// None on a node without an upstream.
    pub pending: Option<PendingOps>,
    pub health: Health,
}

impl Node {
    /// Records that the enrolled node `node_id` called this node now.
    pub fn note_contact(&self, node_id: &str) {
        self.watch().contacts.note(node_id, self.now());
    }

    /// Records what the UPS command said now.
    pub fn note_power(&self, on_battery: bool, detail: String) {
        let at = self.now();
        let mut power = self.watch().power.lock();
        let since = match (on_battery, power.as_ref()) {
            (false, _) => None,
            (true, Some(before)) if before.on_battery => before.since.or(Some(at)),
            (true, _) => Some(at),
        };
        *power = Some(PowerReading {
            on_battery,
            detail,
            at,
            since,
        });
    }

    /// The last UPS reading (none without `--ups-command`).
    pub fn power(&self) -> Option<PowerReading> {
        self.watch().power.lock().clone()
    }

    /// The ops this node holds that the upstream of `link` is not known to hold, and when
    /// the oldest of them was made. Counted now, from what the upstream acknowledged last
    /// (also while it is unreachable); the sync worker's own figure when it has not said
    /// what the upstream holds.
    pub async fn pending_ops(&self, link: &UpstreamView) -> PendingOps {
        let Some(held) = &link.upstream_holds else {
            return PendingOps {
                count: link.pending_ops,
                oldest_at: None,
            };
        };
        let mut pending = PendingOps::default();
        for (origin, seq) in self.version_vector() {
            let has = held.get(&origin).copied().unwrap_or(0);
            if seq <= has {
                continue;
            }
            pending.count += seq - has;
            if let Ok(Some(first)) = self.store().get_op(&origin, has + 1).await {
                let at = first.op.hlc.to_datetime();
                pending.oldest_at = Some(pending.oldest_at.map_or(at, |o| o.min(at)));
            }
        }
        pending
    }

    /// Every part, the failures happening now and the ops waiting, for any member of staff.
    /// `link` is this node's link to its upstream, when it has one.
    pub async fn continuity(
        &self,
        who: &Principal,
        link: Option<&UpstreamView>,
    ) -> Result<Continuity, AppError> {
        let health = self.health(who)?;
        let now = self.now();
        let mut parts = vec![self.this_part(health.store_stalled)];
        let power = self.power();
        parts.extend(link.map(upstream_part));
        parts.extend(power.as_ref().map(power_part));
        parts.extend(self.enrolled_parts(now));
        parts.extend(self.printer_parts());
        let failures = failures(&parts, link, power.as_ref());
        let pending = match link {
            Some(link) => Some(self.pending_ops(link).await),
            None => None,
        };
        Ok(Continuity {
            role: self.role(),
            scope: self.scope(),
            parts,
            failures,
            pending,
            health,
        })
    }

    /// This node itself.
    fn this_part(&self, store_stalled: bool) -> Part {
        let origin = self.origin().to_owned();
        let record = self.read(|s| s.nodes().values().find(|n| n.origin == origin).cloned());
        let kind = PartKind::of_role(self.role());
        Part {
            kind,
            is_this_node: true,
            id: record.as_ref().map_or(origin, |r| r.node_id.clone()),
            name: record.as_ref().map_or_else(String::new, |r| r.name.clone()),
            venue: self.scope(),
            state: if store_stalled {
                PartState::Failing
            } else {
                PartState::Online
            },
            last_contact: None,
            detail: None,
        }
    }

    /// The site nodes, gates and phones enrolled for the venues this node serves (all of
    /// them on the cloud), this node left out.
    fn enrolled_parts(&self, now: DateTime<Utc>) -> Vec<Part> {
        let scope = self.scope();
        let origin = self.origin().to_owned();
        let records = self.read(|s| {
            s.nodes()
                .values()
                .filter(|n| n.origin != origin)
                .filter(|n| scope.as_deref().is_none_or(|v| n.venue.as_str() == v))
                .cloned()
                .collect::<Vec<_>>()
        });
        let mut parts: Vec<Part> = records
            .into_iter()
            .filter_map(|n| {
                let kind = PartKind::of_enrolled(&n.role)?;
                let last = self.watch().contacts.last(&n.node_id);
                Some(Part {
                    kind,
                    is_this_node: false,
                    state: state_of(last, n.revoked.is_some(), now),
                    id: n.node_id,
                    name: n.name,
                    venue: Some(n.venue.as_str().to_owned()),
                    last_contact: last,
                    detail: None,
                })
            })
            .collect();
        parts.sort_by_key(|p| (kind_order(p.kind), p.venue.clone(), p.name.clone()));
        parts
    }
}

impl Node {
    /// The network ticket printers, each by its last print job this node knows of: online
    /// when that job was taken, offline (with the printer's error) when it failed, not seen
    /// before the first job. Printers are never polled: a probe could print on some models.
    fn printer_parts(&self) -> Vec<Part> {
        self.read(|s| {
            let mut last: HashMap<&str, &PrintRecord> = HashMap::new();
            let mut last_ok: HashMap<&str, DateTime<Utc>> = HashMap::new();
            for job in s.prints().values().flatten() {
                let id = job.printer.as_str();
                if last.get(id).is_none_or(|l| l.at < job.at) {
                    last.insert(id, job);
                }
                if job.error.is_empty() && last_ok.get(id).is_none_or(|at| *at < job.at) {
                    last_ok.insert(id, job.at);
                }
            }
            s.printers()
                .values()
                .filter(|p| matches!(p.kind, PrinterKind::EscPos { .. }))
                .map(|p| {
                    let job = last.get(p.id.as_str());
                    let state = match job {
                        None => PartState::NotSeen,
                        Some(j) if j.error.is_empty() => PartState::Online,
                        Some(_) => PartState::Offline,
                    };
                    Part {
                        kind: PartKind::Printer,
                        is_this_node: false,
                        id: p.id.as_str().to_owned(),
                        name: p.name.clone(),
                        venue: None,
                        state,
                        last_contact: last_ok.get(p.id.as_str()).copied(),
                        detail: job.map(|j| j.error.clone()).filter(|e| !e.is_empty()),
                    }
                })
                .collect()
        })
    }
}

fn kind_order(kind: PartKind) -> u8 {
    match kind {
        PartKind::Cloud | PartKind::Upstream => 0,
        PartKind::Ups => 1,
        PartKind::SiteNode | PartKind::BoxOffice => 2,
        PartKind::Gate => 3,
        PartKind::Scanner => 4,
        PartKind::Printer => 5,
    }
}

/// Online when heard from lately, offline when heard from before, else not seen.
fn state_of(last: Option<DateTime<Utc>>, is_revoked: bool, now: DateTime<Utc>) -> PartState {
    match last {
        _ if is_revoked => PartState::Revoked,
        None => PartState::NotSeen,
        Some(at) if now - at <= Duration::seconds(ONLINE_WITHIN_SECS) => PartState::Online,
        Some(_) => PartState::Offline,
    }
}

fn upstream_part(link: &UpstreamView) -> Part {
    Part {
        kind: PartKind::Upstream,
        is_this_node: false,
        id: link.url.clone(),
        name: link.url.clone(),
        venue: None,
        state: if link.is_reachable {
            PartState::Online
        } else {
            PartState::Offline
        },
        last_contact: link.last_pull,
        detail: link.last_error.clone(),
    }
}

fn power_part(power: &PowerReading) -> Part {
    Part {
        kind: PartKind::Ups,
        is_this_node: false,
        id: "ups".into(),
        name: String::new(),
        venue: None,
        state: if power.on_battery {
            PartState::OnBattery
        } else {
            PartState::Online
        },
        last_contact: Some(power.at),
        detail: Some(power.detail.clone()),
    }
}

/// The failures that `parts`, the link to the upstream and the UPS show:
/// - power: the UPS runs on battery;
/// - internet: the upstream cannot be reached at all;
/// - cloud: the upstream answers, but with an error;
/// - validator: a gate or phone heard from before has gone silent while another of its
///   venue is online.
fn failures(
    parts: &[Part],
    link: Option<&UpstreamView>,
    power: Option<&PowerReading>,
) -> Vec<Failure> {
    let mut found = Vec::new();
    if let Some(power) = power.filter(|p| p.on_battery) {
        found.push(Failure {
            kind: FailureKind::Power,
            venue: None,
            since: power.since,
            parts: Vec::new(),
        });
    }
    if let Some(link) = link.filter(|l| !l.is_reachable) {
        found.push(Failure {
            kind: if link.upstream_answers {
                FailureKind::Cloud
            } else {
                FailureKind::Internet
            },
            venue: None,
            since: link.last_pull,
            parts: vec![link.url.clone()],
        });
    }
    found.extend(silent_validators(parts));
    found
}

/// Per venue: the gates and phones gone silent while another one there is online.
fn silent_validators(parts: &[Part]) -> Vec<Failure> {
    let mut by_venue: BTreeMap<Option<String>, Vec<&Part>> = BTreeMap::new();
    for part in parts.iter().filter(|p| p.kind.is_validator()) {
        by_venue.entry(part.venue.clone()).or_default().push(part);
    }
    by_venue
        .into_iter()
        .filter(|(_, parts)| parts.iter().any(|p| p.state == PartState::Online))
        .filter_map(|(venue, parts)| {
            let silent: Vec<&&Part> = parts
                .iter()
                .filter(|p| p.state == PartState::Offline)
                .collect();
            (!silent.is_empty()).then(|| Failure {
                kind: FailureKind::Validator,
                venue,
                since: silent.iter().filter_map(|p| p.last_contact).min(),
                parts: silent.iter().map(|p| p.name.clone()).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_ago: i64) -> DateTime<Utc> {
        Utc::now() - Duration::minutes(minutes_ago)
    }

    fn validator(kind: PartKind, name: &str, last: Option<DateTime<Utc>>) -> Part {
        Part {
            kind,
            is_this_node: false,
            id: name.into(),
            name: name.into(),
            venue: Some("demo".into()),
            state: state_of(last, false, Utc::now()),
            last_contact: last,
            detail: None,
        }
    }

    #[test]
    fn a_part_is_online_within_two_minutes_of_its_last_call() {
        let now = Utc::now();
        assert_eq!(state_of(Some(at(1)), false, now), PartState::Online);
        assert_eq!(state_of(Some(at(3)), false, now), PartState::Offline);
        assert_eq!(state_of(None, false, now), PartState::NotSeen);
        assert_eq!(state_of(Some(at(0)), true, now), PartState::Revoked);
    }

    #[test]
    fn a_silent_validator_is_a_failure_only_while_another_works() {
        let gate = validator(PartKind::Gate, "Gate 1", Some(at(0)));
        let phone = validator(PartKind::Scanner, "Phone 2", Some(at(5)));
        let never = validator(PartKind::Scanner, "Phone 3", None);
        let found = failures(&[gate.clone(), phone.clone(), never.clone()], None, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FailureKind::Validator);
        assert_eq!(
            found[0].parts,
            ["Phone 2"],
            "a phone never seen is not silent"
        );
        assert_eq!(found[0].venue.as_deref(), Some("demo"));
        // Everything silent: no validator failure (the venue is closed, or the LAN is out).
        let asleep = validator(PartKind::Gate, "Gate 1", Some(at(10)));
        assert!(failures(&[asleep, phone, never], None, None).is_empty());
    }

    #[test]
    fn an_unreachable_upstream_is_the_internet_unless_it_answers_with_an_error() {
        let mut link = UpstreamView {
            url: "https://cloud.example".into(),
            is_reachable: false,
            ..Default::default()
        };
        let kinds = |link: &UpstreamView| {
            failures(&[], Some(link), None)
                .iter()
                .map(|f| f.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(&link), [FailureKind::Internet]);
        link.upstream_answers = true;
        assert_eq!(kinds(&link), [FailureKind::Cloud]);
        link.is_reachable = true;
        assert!(kinds(&link).is_empty());
    }

    #[test]
    fn power_is_out_while_the_ups_is_on_battery() {
        let reading = PowerReading {
            on_battery: true,
            detail: "OB DISCHRG".into(),
            at: at(0),
            since: Some(at(1)),
        };
        let found = failures(&[], None, Some(&reading));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, FailureKind::Power);
        assert_eq!(found[0].since, reading.since);
        let mains = PowerReading {
            on_battery: false,
            ..reading
        };
        assert!(failures(&[], None, Some(&mains)).is_empty());
    }
}
