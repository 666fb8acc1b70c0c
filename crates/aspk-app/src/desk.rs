//! The box office's equipment and paperwork: printers, the print log, an order's history,
//! visitors' requests and the durable mail outbox.

use aspk_domain::{Email, Order, Printer, PrinterKind, RequestStatus, Slug};
use aspk_oplog::{Op, OpBody};
use chrono::{DateTime, Utc};
use rand::Rng;

use crate::access::Action;
use crate::catalog::venue_of;
use crate::shift::is_manager;
use crate::{AppError, Node, Principal};

const MAX_TEXT: usize = 5_000;
const MAX_LINE: usize = 200;

fn fresh_id() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<String, AppError> {
    let text = text.trim().to_owned();
    let bad_control = text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r');
    if text.is_empty() || text.chars().count() > max || bad_control {
        return Err(AppError::invalid(
            field,
            format!("must be 1 to {max} characters of text"),
        ));
    }
    Ok(text)
}

/// A printer's settings, checked.
fn check_printer(printer: &Printer) -> Result<(), AppError> {
    check_text("name", &printer.name, MAX_LINE)?;
    match &printer.kind {
        PrinterKind::Browser { paper } if paper == "a4" || paper == "80mm" => Ok(()),
        PrinterKind::Browser { .. } => Err(AppError::invalid("paper", "must be a4 or 80mm")),
        PrinterKind::EscPos { address, .. } => {
            let ok = !address.trim().is_empty()
                && address.len() <= MAX_LINE
                && !address.chars().any(char::is_whitespace);
            if ok {
                Ok(())
            } else {
                Err(AppError::invalid(
                    "address",
                    "must be a host or host:port, e.g. 192.168.1.50:9100",
                ))
            }
        }
    }
}

impl Node {
    /// Adds or changes a printer (admins).
    pub async fn save_printer(&self, who: &Principal, printer: Printer) -> Result<(), AppError> {
        who.require_to(Action::ConfigurePrinters)?;
        check_printer(&printer)?;
        let actor = who.actor();
        self.submit(move |batch| {
            batch.record(&actor, vec![OpBody::PrinterSaved(printer)]);
            Ok(())
        })
        .await
    }

    /// Records that an order went to a printer (`error` empty when the printer took it).
    pub async fn record_print(
        &self,
        who: &Principal,
        number: u64,
        printer: &Slug,
        error: String,
    ) -> Result<bool, AppError> {
        let actor = who.actor();
        let printer = printer.as_str().to_owned();
        self.submit(move |batch| {
            let state = batch.state();
            if !state.orders().contains_key(&number) {
                return Err(AppError::NotFound {
                    what: "order",
                    id: number.to_string(),
                });
            }
            let reprint = state
                .prints()
                .get(&number)
                .is_some_and(|log| log.iter().any(|p| p.error.is_empty()));
            batch.record(
                &actor,
                vec![OpBody::OrderPrinted {
                    number,
                    printer,
                    reprint,
                    error,
                }],
            );
            Ok(reprint)
        })
        .await
    }

    /// Everything that happened to an order or its tickets, oldest first: who did what,
    /// when (from the op log, so it shows what other nodes did too).
    pub async fn order_history(
        &self,
        who: &Principal,
        order: &Order,
    ) -> Result<Vec<HistoryEntry>, AppError> {
        who.require_to(Action::LookUpOrders)?;
        let ops = self
            .store()
            .ops_mentioning(&order.number.to_string(), 1_000)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let mut history: Vec<Op> = ops.into_iter().map(|s| s.op).collect();
        for serial in &order.tickets {
            let more = self
                .store()
                .ops_mentioning(&serial.to_string(), 1_000)
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            history.extend(more.into_iter().map(|s| s.op));
        }
        history.retain(|op| mentions(op, order));
        history.sort_by(|a, b| (a.hlc.0, &a.origin, a.seq).cmp(&(b.hlc.0, &b.origin, b.seq)));
        history.dedup_by(|a, b| a.origin == b.origin && a.seq == b.seq);
        Ok(history.iter().map(HistoryEntry::from_op).collect())
    }

    /// A visitor's request with its thread: the staff who may be named in it, and the
    /// mails sent to the visitor's address.
    pub fn request_thread(&self, who: &Principal, id: &str) -> Result<RequestThread, AppError> {
        who.require_to(Action::HandleRequests)?;
        self.read(|s| {
            let request = s
                .requests()
                .get(id)
                .cloned()
                .ok_or_else(|| AppError::NotFound {
                    what: "request",
                    id: id.to_owned(),
                })?;
            let staff = s.users().keys().map(|u| u.as_str().to_owned()).collect();
            let mails = s
                .outbox()
                .values()
                .filter(|m| m.to == request.email)
                .cloned()
                .collect();
            Ok(RequestThread {
                request,
                staff,
                mails,
            })
        })
    }

    /// A visitor's question from the shop's contact form (no sign-in).
    pub async fn receive_request(
        &self,
        venue: &str,
        name: &str,
        email: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, AppError> {
        let venue = self.read(|s| venue_of(s, venue).map(|v| v.id.clone()))?;
        let name = check_text("name", name, MAX_LINE)?;
        let email = Email::parse(email)?.as_str().to_owned();
        let subject = check_text("subject", subject, MAX_LINE)?;
        let body = check_text("body", body, MAX_TEXT)?;
        let id = fresh_id();
        let op = OpBody::RequestReceived {
            id: id.clone(),
            venue,
            name,
            email,
            subject,
            body,
        };
        self.submit(move |batch| {
            batch.record("visitor", vec![op]);
            Ok(())
        })
        .await?;
        Ok(id)
    }

    /// Assigns a request to a member of staff and/or sets its status (managers and admins).
    pub async fn update_request(
        &self,
        who: &Principal,
        id: &str,
        assignee: Option<String>,
        status: Option<&str>,
    ) -> Result<(), AppError> {
        who.require_to(Action::HandleRequests)?;
        let status =
            match status {
                None => None,
                Some(raw) => Some(RequestStatus::parse(raw).ok_or_else(|| {
                    AppError::invalid("status", "must be new, answered or closed")
                })?),
            };
        let id = id.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let state = batch.state();
            if !state.requests().contains_key(&id) {
                return Err(AppError::NotFound {
                    what: "request",
                    id,
                });
            }
            if let Some(name) = assignee.as_deref().filter(|a| !a.is_empty()) {
                let known = aspk_domain::Username::parse(name)
                    .ok()
                    .is_some_and(|u| state.users().contains_key(&u));
                if !known {
                    return Err(AppError::invalid("assignee", "no such member of staff"));
                }
            }
            batch.record(
                &actor,
                vec![OpBody::RequestUpdated {
                    id,
                    assignee,
                    status,
                }],
            );
            Ok(())
        })
        .await
    }

    /// Answers a request: the answer joins the thread and is queued in the outbox.
    pub async fn reply_request(
        &self,
        who: &Principal,
        id: &str,
        body: &str,
    ) -> Result<String, AppError> {
        who.require_to(Action::HandleRequests)?;
        let body = check_text("body", body, MAX_TEXT)?;
        let id = id.to_owned();
        let actor = who.actor();
        self.submit(move |batch| {
            let request =
                batch
                    .state()
                    .requests()
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| AppError::NotFound {
                        what: "request",
                        id: id.clone(),
                    })?;
            let mail_id = fresh_id();
            batch.record(
                &actor,
                vec![
                    OpBody::RequestReplied {
                        id,
                        body: body.clone(),
                        mail_id: mail_id.clone(),
                    },
                    OpBody::MailQueued {
                        id: mail_id.clone(),
                        to: request.email,
                        // The tag lets the visitor's reply find its thread again.
                        subject: format!("Re: {} [#{}]", request.subject, request.id),
                        body,
                        venue: Some(request.venue),
                        order: None,
                        lang: None,
                    },
                ],
            );
            Ok(mail_id)
        })
        .await
    }

    /// Puts an e-mail about order `number` (e.g. its e-tickets again) in the outbox.
    pub async fn queue_mail(
        &self,
        who: &Principal,
        number: u64,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, AppError> {
        who.require_to(Action::EmailVisitors)?;
        let to = Email::parse(to)?.as_str().to_owned();
        let subject = check_text("subject", subject, MAX_LINE)?;
        let body = check_text("body", body, MAX_TEXT * 4)?;
        let actor = who.actor();
        self.submit(move |batch| {
            let Some(venue) = batch.state().orders().venue_of(&number).map(Slug::trusted) else {
                return Err(AppError::NotFound {
                    what: "order",
                    id: number.to_string(),
                });
            };
            let id = fresh_id();
            batch.record(
                &actor,
                vec![OpBody::MailQueued {
                    id: id.clone(),
                    to,
                    subject,
                    body,
                    venue: Some(venue),
                    order: None,
                    lang: None,
                }],
            );
            Ok(id)
        })
        .await
    }

    /// The outbox's mails that have not been sent yet (for the mailer).
    pub fn unsent_mail(&self) -> Vec<aspk_domain::Mail> {
        self.read(|s| {
            s.outbox()
                .values()
                .filter(|m| m.sent_at.is_none())
                .cloned()
                .collect()
        })
    }

    /// Records one delivery attempt of an outbox mail (by the mailer).
    pub async fn record_mail_attempt(
        &self,
        id: &str,
        error: Option<String>,
    ) -> Result<(), AppError> {
        let id = id.to_owned();
        self.submit(move |batch| {
            batch.record("system:mailer", vec![OpBody::MailAttempted { id, error }]);
            Ok(())
        })
        .await
    }

    /// Requests newest first, optionally of one status (managers and admins).
    pub fn requests(
        &self,
        who: &Principal,
        status: Option<RequestStatus>,
    ) -> Result<Vec<aspk_domain::VisitorRequest>, AppError> {
        if !is_manager(who) {
            return Err(AppError::Forbidden("read visitors' requests"));
        }
        Ok(self.read(|s| {
            let mut list: Vec<_> = s
                .requests()
                .values()
                .filter(|r| status.is_none_or(|st| r.status == st))
                .cloned()
                .collect();
            list.sort_by_key(|r| std::cmp::Reverse(r.received_at));
            list
        }))
    }
}

/// Whether `op` is about `order` or one of its tickets.
fn mentions(op: &Op, order: &Order) -> bool {
    let ticket = |s: &u64| order.tickets.contains(s);
    match &op.body {
        OpBody::OrderPlaced(p) => p.number == order.number,
        OpBody::OrderCancelled { number, .. } | OpBody::OrderPrinted { number, .. } => {
            *number == order.number
        }
        OpBody::TicketVoided { serial, .. }
        | OpBody::EntryRecorded { serial, .. }
        | OpBody::ScanDenied { serial, .. }
        | OpBody::PassNotUsed { serial, .. } => ticket(serial),
        _ => false,
    }
}

/// One thing that happened to an order, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// Who did it: a staff name, or the system actor that did.
    pub actor: String,
    pub event: OrderEvent,
}

/// What happened to an order or one of its tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    Placed,
    Cancelled {
        reason: String,
        refunded: bool,
    },
    TicketVoided {
        serial: u64,
        reason: String,
    },
    Entered {
        serial: u64,
        gate: String,
    },
    Denied {
        serial: u64,
        gate: String,
        reason: String,
    },
    Printed {
        printer: String,
        reprint: bool,
        failed: bool,
    },
    PassNotUsed {
        serial: u64,
        gate: String,
    },
    /// Another op about the order: its kind.
    Other(&'static str),
}

impl HistoryEntry {
    fn from_op(op: &Op) -> Self {
        let event = match &op.body {
            OpBody::OrderPlaced(_) => OrderEvent::Placed,
            OpBody::OrderCancelled { reason, refund, .. } => OrderEvent::Cancelled {
                reason: reason.clone(),
                refunded: refund.is_some(),
            },
            OpBody::TicketVoided { serial, reason, .. } => OrderEvent::TicketVoided {
                serial: *serial,
                reason: reason.clone(),
            },
            OpBody::EntryRecorded { serial, gate, .. } => OrderEvent::Entered {
                serial: *serial,
                gate: gate.clone(),
            },
            OpBody::ScanDenied {
                serial,
                gate,
                reason,
                ..
            } => OrderEvent::Denied {
                serial: *serial,
                gate: gate.clone(),
                reason: reason.clone(),
            },
            OpBody::OrderPrinted {
                printer,
                reprint,
                error,
                ..
            } => OrderEvent::Printed {
                printer: printer.clone(),
                reprint: *reprint,
                failed: !error.is_empty(),
            },
            OpBody::PassNotUsed { serial, gate, .. } => OrderEvent::PassNotUsed {
                serial: *serial,
                gate: gate.clone(),
            },
            other => OrderEvent::Other(other.kind()),
        };
        HistoryEntry {
            at: op.hlc.to_datetime(),
            actor: op.actor.trim_start_matches("user:").to_owned(),
            event,
        }
    }
}

/// A visitor's request as its page shows it.
#[derive(Debug, Clone)]
pub struct RequestThread {
    pub request: aspk_domain::VisitorRequest,
    /// Every staff account's name.
    pub staff: Vec<String>,
    /// The mails sent to the visitor's address.
    pub mails: Vec<aspk_domain::Mail>,
}

impl Node {
    /// The e-ticket mails of order `number`, oldest first (for the staff's order page).
    pub fn order_mails(&self, number: u64) -> Vec<aspk_domain::Mail> {
        let mut mails: Vec<_> = self.read(|s| {
            s.outbox()
                .values()
                .filter(|m| m.order == Some(number))
                .cloned()
                .collect()
        });
        mails.sort_by_key(|m| m.queued_at);
        mails
    }
}

/// The request id a reply's subject carries (`… [#0123456789abcdef]`), if any.
pub fn thread_tag(subject: &str) -> Option<&str> {
    let start = subject.rfind("[#")? + 2;
    let len = subject[start..].find(']')?;
    let id = &subject[start..start + len];
    (id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())).then_some(id)
}

impl Node {
    /// A visitor's e-mail reply (from the mail provider's inbound hook): joins the thread
    /// its subject's tag names when it comes from that thread's address; anything else is
    /// refused (404) and changes nothing.
    pub async fn receive_visitor_reply(
        &self,
        from: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, AppError> {
        let not_found = || AppError::NotFound {
            what: "request",
            id: subject.chars().take(80).collect(),
        };
        let id = thread_tag(subject).ok_or_else(not_found)?.to_owned();
        let from = Email::parse(from)?;
        let body = check_text("body", body, MAX_TEXT)?;
        let known = self.read(|s| {
            s.requests()
                .get(&id)
                .is_some_and(|r| r.email.eq_ignore_ascii_case(from.as_str()))
        });
        if !known {
            return Err(not_found());
        }
        let thread = id.clone();
        self.submit(move |batch| {
            batch.record(
                "system:inbound",
                vec![OpBody::RequestFollowedUp { id, body }],
            );
            Ok(())
        })
        .await?;
        Ok(thread)
    }
}

impl Node {
    /// A bounce the mail provider reports (a delivery status notification): the latest
    /// mail to an address the report names is marked as returned, with the report's first
    /// line as the reason. Refused (404, nothing changes) when it names no mail we sent.
    pub async fn receive_bounce(&self, report: &str) -> Result<String, AppError> {
        let report = check_text("text", report, MAX_TEXT * 4)?;
        let lower = report.to_lowercase();
        let reason: String = report
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("returned")
            .chars()
            .take(200)
            .collect();
        let found = self.read(|s| {
            s.outbox()
                .values()
                .filter(|m| lower.contains(&m.to.to_lowercase()))
                .max_by_key(|m| m.queued_at)
                .map(|m| m.id.clone())
        });
        let id = found.ok_or_else(|| AppError::NotFound {
            what: "mail",
            id: reason.clone(),
        })?;
        let mail = id.clone();
        self.submit(move |batch| {
            batch.record(
                "system:inbound",
                vec![OpBody::MailAttempted {
                    id,
                    error: Some(format!("bounced: {reason}")),
                }],
            );
            Ok(())
        })
        .await?;
        Ok(mail)
    }
}
