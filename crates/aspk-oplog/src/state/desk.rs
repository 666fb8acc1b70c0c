//! The box office's side of the state: shifts, printers, print log, visitors' requests and
//! the mail outbox. Each op here touches only its own record, so any delivery order of
//! ops from different origins gives the same result (first writer wins where two race).

use aspk_domain::{Mail, RequestMessage, RequestStatus, Shift, VisitorRequest};
use chrono::{DateTime, Utc};

use super::State;
use crate::{Op, OpBody};

/// One time an order went to a printer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrintRecord {
    pub at: DateTime<Utc>,
    pub by: String,
    pub printer: String,
    pub reprint: bool,
    pub error: String,
}

impl State {
    /// Folds a box-office op; returns false when `op` is not one.
    pub(super) fn apply_desk(&mut self, op: &Op, at: DateTime<Utc>) -> bool {
        match &op.body {
            OpBody::ShiftOpened {
                shift_id,
                venue,
                float_minor,
                currency,
            } => {
                let shift = Shift {
                    id: shift_id.clone(),
                    venue: venue.clone(),
                    cashier: op.actor.clone(),
                    float_minor: *float_minor,
                    currency: *currency,
                    opened_at: at,
                    closed_at: None,
                    counted_minor: None,
                    note: String::new(),
                };
                self.shifts.entry(shift_id.clone()).or_insert(shift);
                self.refresh_open_shift(&op.actor);
            }
            OpBody::ShiftClosed {
                shift_id,
                counted_minor,
                note,
            } => {
                if let Some(shift) = self.shifts.get_mut(shift_id) {
                    if shift.closed_at.is_none() {
                        shift.closed_at = Some(at);
                        shift.counted_minor = Some(*counted_minor);
                        shift.note = note.clone();
                    }
                    let cashier = shift.cashier.clone();
                    self.refresh_open_shift(&cashier);
                }
            }
            OpBody::OrderPrinted {
                number,
                printer,
                reprint,
                error,
            } => {
                let record = PrintRecord {
                    at,
                    by: op.actor.clone(),
                    printer: printer.clone(),
                    reprint: *reprint,
                    error: error.clone(),
                };
                let log = self.prints.entry(*number).or_default();
                let pos = log.partition_point(|p| p.at <= at);
                log.insert(pos, record);
            }
            OpBody::PrinterSaved(printer) => {
                self.printers.insert(printer.id.clone(), printer.clone());
            }
            OpBody::RequestReceived {
                id,
                venue,
                name,
                email,
                subject,
                body,
            } => {
                let request = VisitorRequest {
                    id: id.clone(),
                    venue: venue.clone(),
                    name: name.clone(),
                    email: email.clone(),
                    subject: subject.clone(),
                    status: RequestStatus::New,
                    assignee: None,
                    messages: vec![RequestMessage {
                        at,
                        from: "visitor".into(),
                        body: body.clone(),
                    }],
                    received_at: at,
                };
                self.requests.entry(id.clone()).or_insert(request);
            }
            OpBody::RequestUpdated {
                id,
                assignee,
                status,
            } => {
                if let Some(request) = self.requests.get_mut(id) {
                    if assignee.is_some() {
                        request.assignee = assignee.clone().filter(|a| !a.is_empty());
                    }
                    if let Some(status) = status {
                        request.status = *status;
                    }
                }
            }
            OpBody::RequestFollowedUp { id, body } => {
                if let Some(request) = self.requests.get_mut(id) {
                    let message = RequestMessage {
                        at,
                        from: "visitor".into(),
                        body: body.clone(),
                    };
                    let pos = request.messages.partition_point(|m| m.at <= at);
                    request.messages.insert(pos, message);
                    // The visitor wrote again: it needs an answer.
                    request.status = RequestStatus::New;
                }
            }
            OpBody::RequestReplied { id, body, .. } => {
                if let Some(request) = self.requests.get_mut(id) {
                    let message = RequestMessage {
                        at,
                        from: op.actor.clone(),
                        body: body.clone(),
                    };
                    let pos = request.messages.partition_point(|m| m.at <= at);
                    request.messages.insert(pos, message);
                    if request.status == RequestStatus::New {
                        request.status = RequestStatus::Answered;
                    }
                }
            }
            OpBody::MailQueued {
                id,
                to,
                subject,
                body,
                venue,
                order,
                lang,
            } => {
                let mail = Mail {
                    id: id.clone(),
                    to: to.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                    queued_at: at,
                    sent_at: None,
                    attempts: 0,
                    last_error: None,
                    venue: venue.clone(),
                    order: *order,
                    lang: lang.clone(),
                    bounced: None,
                };
                self.outbox.entry(id.clone()).or_insert(mail);
            }
            OpBody::MailAttempted { id, error } if op.actor == "system:inbound" => {
                // A bounce the mail provider reported: the mail did not reach its reader.
                if let Some(mail) = self.outbox.get_mut(id) {
                    mail.bounced = Some(error.clone().unwrap_or_default());
                }
            }
            OpBody::MailAttempted { id, error } => {
                if let Some(mail) = self.outbox.get_mut(id) {
                    mail.attempts += 1;
                    match error {
                        None => {
                            mail.sent_at.get_or_insert(at);
                        }
                        Some(e) => mail.last_error = Some(e.clone()),
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// The open shift of a cashier (actor), if any. Looked up on every box-office sale, so
    /// it is indexed rather than searched.
    pub fn open_shift(&self, cashier: &str) -> Option<&Shift> {
        self.open_shifts
            .get(cashier)
            .and_then(|id| self.shifts.get(id))
    }

    /// Recomputes which shift of `cashier` is open (the latest, if two were opened at
    /// places that could not see each other). Runs only when a shift opens or closes.
    fn refresh_open_shift(&mut self, cashier: &str) {
        let open = self
            .shifts
            .values()
            .filter(|s| s.cashier == cashier && s.closed_at.is_none())
            .max_by_key(|s| (s.opened_at, s.id.clone()))
            .map(|s| s.id.clone());
        match open {
            Some(id) => self.open_shifts.insert(cashier.to_owned(), id),
            None => self.open_shifts.remove(cashier),
        };
    }
}
