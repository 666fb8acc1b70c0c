//! Ops that arrive before what they are about. Replication keeps each origin's ops in order
//! but not the order between origins: a cancel decided at one node (after it saw the sale
//! made at another) may reach a third node before that sale does. Such an op is parked
//! under what it waits for and folded in the moment that arrives, so every replica ends in
//! the same state whatever the delivery order.

use super::State;
use crate::{Op, OpBody};

/// What a parked op waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) enum Subject {
    Order(u64),
    Ticket(u64),
    Slot(String),
    Request(String),
    Shift(String),
    /// The account of the member of staff who acted (by name).
    User(String),
    /// The certificate (`node_enrolled`) of the origin that wrote it.
    Certificate(String),
    /// A lease of `(holder, slot)` the sale was made from.
    Lease(String, String),
    /// A paper stock batch a paper sale names.
    Stock(String),
    /// The drill a sale, batch or end names.
    Drill(String),
}

impl State {
    /// The subject `op` is about, when this replica has not seen it yet.
    pub(super) fn missing_subject(&self, op: &Op) -> Option<Subject> {
        let subject = match &op.body {
            OpBody::OrderCancelled { number, .. } => Subject::Order(*number),
            OpBody::TicketVoided { serial, .. } => Subject::Ticket(*serial),
            OpBody::LeaseGranted { slot, .. }
            | OpBody::LeaseReturned { slot, .. }
            | OpBody::SlotChanged { slot, .. }
            | OpBody::SlotDeleted { slot } => Subject::Slot(slot.clone()),
            OpBody::RequestUpdated { id, .. } | OpBody::RequestReplied { id, .. } => {
                Subject::Request(id.clone())
            }
            OpBody::ShiftClosed { shift_id, .. } => Subject::Shift(shift_id.clone()),
            OpBody::OrderContact { number, .. } => Subject::Order(*number),
            OpBody::StockMoved(movement) => Subject::Stock(movement.batch.clone()),
            OpBody::DrillEnded { id, .. } => Subject::Drill(id.clone()),
            OpBody::OrderPlaced(crate::OrderPlaced {
                drill: Some(id), ..
            })
            | OpBody::StockBatchCreated(aspk_domain::StockBatch {
                drill: Some(id), ..
            }) => Subject::Drill(id.clone()),
            _ => return None,
        };
        let known = match &subject {
            Subject::Order(n) => self.orders.contains_key(n) || self.holds.contains_key(n),
            Subject::Ticket(s) => self.tickets.contains_key(s),
            Subject::Slot(id) => self.slots.contains_key(id),
            Subject::Request(id) => self.requests.contains_key(id),
            Subject::Shift(id) => self.shifts.contains_key(id),
            Subject::Stock(id) => self.stock.batch(id).is_some(),
            Subject::Drill(id) => self.drills.get(id).is_some(),
            // Only the authority check parks under these.
            Subject::User(_) | Subject::Certificate(_) | Subject::Lease(..) => true,
        };
        (!known).then_some(subject)
    }

    pub(super) fn park(&mut self, subject: Subject, op: &Op) {
        self.parked.entry(subject).or_default().push(op.clone());
    }

    /// Folds in the ops that waited for what `op` just brought.
    pub(super) fn unpark_after(&mut self, op: &Op) {
        if self.parked.is_empty() {
            return;
        }
        let subjects: Vec<Subject> = match &op.body {
            OpBody::OrderPlaced(placed) => std::iter::once(Subject::Order(placed.number))
                .chain(placed.tickets.iter().map(|t| Subject::Ticket(t.serial)))
                .collect(),
            OpBody::SlotCreated(slot) => vec![Subject::Slot(slot.id.clone())],
            OpBody::StockBatchCreated(batch) => vec![Subject::Stock(batch.id.clone())],
            OpBody::DrillStarted { id, .. } => vec![Subject::Drill(id.clone())],
            OpBody::RequestReceived { id, .. } => vec![Subject::Request(id.clone())],
            OpBody::ShiftOpened { shift_id, .. } => vec![Subject::Shift(shift_id.clone())],
            OpBody::UserSaved(user) => vec![Subject::User(user.username.as_str().to_owned())],
            OpBody::NodeEnrolled { origin, .. } => vec![Subject::Certificate(origin.clone())],
            OpBody::KeyPublished {
                holder: Some(origin),
                ..
            } => vec![Subject::Certificate(origin.clone())],
            OpBody::LeaseGranted { holder, slot, .. } => {
                vec![Subject::Lease(holder.clone(), slot.clone())]
            }
            _ => return,
        };
        for subject in subjects {
            for waiting in self.parked.remove(&subject).unwrap_or_default() {
                self.forget_unauthorised(&waiting);
                self.apply_body(&waiting);
            }
        }
    }

    /// Ops still waiting for their subject (none once every op has arrived).
    pub fn parked_ops(&self) -> usize {
        self.parked.values().map(Vec::len).sum()
    }
}
