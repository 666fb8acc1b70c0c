//! Admission: a scanned code or a typed number becomes one decision. Signatures are checked
//! outside the writer (in parallel); the state checks run in the writer, so of any number
//! of simultaneous scans of one ticket exactly one is admitted.

use aspk_domain::{Entry, Product, Ticket, TicketStatus, Venue};
use aspk_oplog::{OpBody, State};
use aspk_ticket::{peek, time_verdict, verify, TimeVerdict, Validity, Verified};
use chrono::{DateTime, Utc};

use crate::access::Action;
use crate::cancel::parse_number;
use crate::sell::epoch_day;
use crate::{AppError, Node, Principal};

/// What was presented at the gate.
#[derive(Debug, Clone)]
pub enum ScanInput {
    /// The QR code's text.
    Code(String),
    /// The human ticket number, as typed.
    Number(String),
}

/// The gate's verdict, defined once in the domain.
pub use aspk_domain::ScanResult;

#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub result: ScanResult,
    pub ticket: Option<Ticket>,
    pub product: Option<Product>,
    /// For `already_used`: when and where the ticket was first used.
    pub first_entry: Option<Entry>,
    /// A paper stock ticket whose sale has not been entered yet: `Some(false)`.
    pub sale_entered: Option<bool>,
}

impl ScanOutcome {
    fn bare(result: ScanResult) -> Self {
        Self {
            result,
            ticket: None,
            product: None,
            first_entry: None,
            sale_entered: None,
        }
    }
}

pub const MAX_GATE_LEN: usize = 64;

impl Node {
    /// Decides one scan at `gate`. `venue`, when given, is where the gate stands.
    pub async fn scan(
        &self,
        who: &Principal,
        input: ScanInput,
        gate: &str,
        venue: Option<&str>,
    ) -> Result<ScanOutcome, AppError> {
        who.require_to(Action::ScanTickets)?;
        self.decide_scan(who.actor(), input, gate, venue).await
    }

    /// Decides one scan at this node's own turnstile (a gate agent): the gate itself is
    /// the actor (`node:<node id>`), as its certificate allows.
    pub async fn gate_scan(
        &self,
        node_id: &str,
        input: ScanInput,
        gate: &str,
        venue: Option<&str>,
    ) -> Result<ScanOutcome, AppError> {
        self.decide_scan(format!("node:{node_id}"), input, gate, venue)
            .await
    }

    async fn decide_scan(
        &self,
        actor: String,
        input: ScanInput,
        gate: &str,
        venue: Option<&str>,
    ) -> Result<ScanOutcome, AppError> {
        let gate = gate.trim().to_owned();
        if gate.is_empty()
            || gate.chars().count() > MAX_GATE_LEN
            || gate.chars().any(char::is_control)
        {
            return Err(AppError::invalid(
                "gate",
                format!("must be 1 to {MAX_GATE_LEN} characters"),
            ));
        }
        let (serial, code) = match input {
            ScanInput::Code(code) => match self.check_code(&code) {
                Ok(verified) => (
                    verified.claims.serial,
                    Some((code.trim().to_owned(), verified)),
                ),
                Err(_) => return Ok(ScanOutcome::bare(ScanResult::Invalid)),
            },
            ScanInput::Number(number) => match parse_number("ticket", &number) {
                Ok(serial) => (serial, None),
                Err(_) => return Ok(ScanOutcome::bare(ScanResult::Invalid)),
            },
        };
        let venue = venue.map(str::to_owned);
        let at = self.now();
        self.submit(move |batch| {
            let outcome = match code {
                Some((code, verified)) => {
                    decide_code(batch.state(), &code, &verified, venue.as_deref(), at)
                }
                None => decide(batch.state(), serial, None, venue.as_deref(), at),
            };
            let op = match outcome.result {
                ScanResult::Admit => Some(OpBody::EntryRecorded { serial, gate, at }),
                ScanResult::Invalid | ScanResult::Unknown => None,
                denied => Some(OpBody::ScanDenied {
                    serial,
                    gate,
                    at,
                    reason: denied.as_str().to_owned(),
                }),
            };
            if let Some(op) = op {
                batch.record(&actor, vec![op]);
            }
            Ok(outcome)
        })
        .await
    }
}

impl Node {
    /// Withdraws the entry this gate agent (node `node_id`) recorded last for `serial` at
    /// `gate`: the turnstile opened but nobody passed. The ticket stays usable; the unused
    /// pass stays in the log.
    pub async fn withdraw_entry(
        &self,
        node_id: &str,
        serial: u64,
        gate: &str,
    ) -> Result<bool, AppError> {
        let origin = self.origin().to_owned();
        let gate = gate.to_owned();
        let actor = format!("node:{node_id}");
        self.submit(move |batch| {
            let entry_hlc = batch.state().tickets().get(&serial).and_then(|t| {
                t.entries
                    .iter()
                    .rev()
                    .find(|e| e.origin == origin && e.gate == gate)
                    .map(|e| e.hlc)
            });
            let Some(entry_hlc) = entry_hlc else {
                return Ok(false);
            };
            batch.record(
                &actor,
                vec![OpBody::PassNotUsed {
                    serial,
                    gate,
                    entry_hlc,
                }],
            );
            Ok(true)
        })
        .await
    }

    /// Parses and authenticates a code. A code equal, digit for digit, to the one stored for
    /// its ticket was authenticated when the ticket was issued or received, so the
    /// signature is checked only for codes this node has not seen (the costly part of a scan).
    pub(crate) fn check_code(&self, code: &str) -> Result<Verified, aspk_ticket::CodeError> {
        let (claims, key_id) = peek(code)?;
        let is_known = self.read(|s| s.tickets().code_matches(&claims.serial, code));
        if is_known {
            return Ok(Verified { claims, key_id });
        }
        self.with_keyring(|ring| verify(code, ring))
    }
}

/// A genuinely signed code: checked against the state if the ticket is known here; a ticket
/// sold offline elsewhere under a delegated key (not synced here yet) is judged by what its
/// code says, and its entry waits in the log for the sale to arrive.
fn decide_code(
    state: &State,
    code: &str,
    verified: &Verified,
    gate_venue: Option<&str>,
    now: DateTime<Utc>,
) -> ScanOutcome {
    let claims = &verified.claims;
    let meta = state.key_meta().get(&verified.key_id);
    // A key signs only its serials, and only tickets that end before the key does.
    if meta
        .and_then(|m| m.serials)
        .is_some_and(|(lo, hi)| !(lo..hi).contains(&claims.serial))
        || !crate::key_allows(meta, &claims.validity)
    {
        return ScanOutcome::bare(ScanResult::Invalid);
    }
    // Lost or stolen paper stock is refused from the moment it is voided.
    if state.stock().voided_at(claims.serial).is_some() {
        return ScanOutcome::bare(ScanResult::Void);
    }
    let delegated = meta.is_some_and(|m| m.holder.is_some());
    if state.tickets().contains_key(&claims.serial) || !delegated {
        return decide(state, claims.serial, Some(code), gate_venue, now);
    }
    let is_stock = state.stock().of_serial(claims.serial).is_some();
    // Not known here: the code alone speaks for it, unless its key was withdrawn.
    if state.revoked_keys().contains_key(&verified.key_id) {
        return ScanOutcome::bare(ScanResult::Invalid);
    }
    let Some(venue) = state.venue_by_no(claims.venue) else {
        return ScanOutcome::bare(ScanResult::WrongVenue);
    };
    let local_day = epoch_day(now.with_timezone(&venue.tz()).date_naive());
    let early = i64::from(venue.early_entry_minutes) * 60;
    if let Some(first) = state.pending_entries(claims.serial).next() {
        let first_entry = Some(first.clone());
        return ScanOutcome {
            result: ScanResult::AlreadyUsed,
            ticket: None,
            product: None,
            first_entry,
            sale_entered: is_stock.then_some(false),
        };
    }
    let result = match time_verdict(&claims.validity, now.timestamp(), local_day, early) {
        TimeVerdict::NotYetValid => ScanResult::NotValidYet,
        TimeVerdict::Expired => ScanResult::Expired,
        TimeVerdict::Valid if gate_venue.is_some_and(|g| g != venue.id.as_str()) => {
            ScanResult::WrongVenue
        }
        TimeVerdict::Valid => ScanResult::Admit,
    };
    let product = state
        .products_of(&venue.id)
        .find(|p| p.no == claims.product)
        .cloned();
    ScanOutcome {
        result,
        ticket: None,
        product,
        first_entry: None,
        sale_entered: is_stock.then_some(false),
    }
}

/// The state checks, in the order the contract gives: void, already used, time, venue.
fn decide(
    state: &State,
    serial: u64,
    code: Option<&str>,
    gate_venue: Option<&str>,
    now: DateTime<Utc>,
) -> ScanOutcome {
    let Some(ticket) = state.tickets().get(&serial) else {
        return ScanOutcome::bare(ScanResult::Unknown);
    };
    let has_code = state.tickets().has_code(&serial);
    if code.is_some_and(|c| has_code && !state.tickets().code_matches(&serial, c)) {
        // Genuinely signed, but not the code this ticket was issued with.
        return ScanOutcome::bare(ScanResult::Invalid);
    }
    let product = state
        .products()
        .get(&(ticket.venue.clone(), ticket.product.clone()))
        .cloned();
    let venue = state.venues().get(&ticket.venue);
    let voided_stock = state.stock().voided_at(serial).is_some();
    let result = match ticket.status {
        TicketStatus::Void => ScanResult::Void,
        _ if voided_stock => ScanResult::Void,
        TicketStatus::Used => ScanResult::AlreadyUsed,
        TicketStatus::Valid => match venue.map(|v| time_check(&ticket, v, now)) {
            Some(TimeVerdict::NotYetValid) => ScanResult::NotValidYet,
            Some(TimeVerdict::Expired) => ScanResult::Expired,
            _ if gate_venue.is_some_and(|g| g != ticket.venue.as_str()) => ScanResult::WrongVenue,
            _ => ScanResult::Admit,
        },
    };
    let first_entry = (result == ScanResult::AlreadyUsed)
        .then(|| ticket.entries.first().cloned())
        .flatten();
    ScanOutcome {
        result,
        ticket: Some(ticket.clone()),
        product,
        first_entry,
        sale_entered: None,
    }
}

fn time_check(ticket: &Ticket, venue: &Venue, now: DateTime<Utc>) -> TimeVerdict {
    let validity = match ticket.valid_days {
        Some((first, last)) => Validity::Days {
            first_day: epoch_day(first),
            last_day: epoch_day(last),
        },
        None => Validity::Window {
            from_unix: ticket.valid_from.timestamp(),
            until_unix: ticket.valid_until.timestamp(),
        },
    };
    let local_day = epoch_day(now.with_timezone(&venue.tz()).date_naive());
    time_verdict(
        &validity,
        now.timestamp(),
        local_day,
        i64::from(venue.early_entry_minutes) * 60,
    )
}
