//! Online orders that wait for their payment.
//!
//! A visitor's order is first a hold: its seats are kept for a few minutes and its tickets
//! have numbers but no codes, so nothing admits before the money arrives. The payment
//! provider's confirmation places the order (same number and serials) with signed codes.
//! A hold that is not paid in time stops blocking seats at once (by the clock), and the
//! sweeper writes its release. A payment for a hold whose seats are gone issues nothing:
//! it is recorded, with a finding, for the refund.

use std::collections::BTreeMap;

use aspk_domain::{Channel, Currency, Email, Payment, PaymentMethod, Slug};
use aspk_oplog::{HeldSeat, Hold, HoldStatus, OpBody, OrderHeld, OrderPlaced, State};
use chrono::{DateTime, Utc};

use crate::access::Action;
use crate::catalog::venue_of;
use crate::sell::{fresh_run, fresh_serial, issue_ticket, resolve_line, NewOrder, PlacedOrder};
use crate::{AppError, Node, NodeRole, Principal};

/// A visitor's order to hold until it is paid.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    /// The order (its `channel` must be online; `payment` is ignored).
    pub order: NewOrder,
    /// The provider the visitor pays through (`liqpay`, `monobank`, `box_office`, `test`).
    pub provider: String,
    /// The visitor's language (`uk` or `en`).
    pub lang: String,
    /// A phone number the visitor gave (optional).
    pub phone: Option<String>,
}

/// A hold as visitors and staff see it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOrder {
    pub number: u64,
    pub venue: Slug,
    pub status: HoldStatus,
    /// Why it was released or refused.
    pub reason: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: Currency,
    pub provider: String,
    pub lang: String,
    pub seats: Vec<HeldSeat>,
    pub email: Option<Email>,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl HeldOrder {
    fn of(hold: &Hold) -> Self {
        Self {
            number: hold.number,
            venue: hold.venue.clone(),
            status: hold.status,
            reason: hold.reason.clone(),
            expires_at: hold.expires_at,
            total_minor: hold.total_minor,
            currency: hold.currency,
            provider: hold.provider.clone(),
            lang: hold.lang.clone(),
            seats: hold.seats.clone(),
            email: hold.email.clone(),
            name: hold.name.clone(),
            created_at: hold.created_at,
        }
    }

    /// Whether it is still waiting for its payment at `now`.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        self.status == HoldStatus::Pending && self.expires_at > now
    }
}

/// A payment a provider confirmed (its signature already checked).
#[derive(Debug, Clone)]
pub struct ProviderPayment {
    pub number: u64,
    pub provider: String,
    /// The provider's own id of the payment (or invoice).
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// What a confirmed payment came to.
#[derive(Debug)]
pub enum PayOutcome {
    /// The order is placed now, with its tickets.
    Placed(Box<PlacedOrder>),
    /// It was paid before (a callback delivered twice): nothing changed.
    AlreadyPaid(u64),
    /// No tickets: the seats were gone or the amount did not match. A finding says so;
    /// the money must go back (`refunded` tells whether that was recorded as done).
    Refused { reason: String, refunded: bool },
}

/// Longest a phone number may be.
const MAX_PHONE: usize = 32;

fn check_phone(phone: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let ok = phone.len() <= MAX_PHONE
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
        && phone.chars().filter(char::is_ascii_digit).count() >= 5;
    match ok {
        true => Ok(Some(phone.to_owned())),
        false => Err(AppError::invalid("phone", "must be a phone number")),
    }
}

impl Node {
    /// Holds the seats of a visitor's online order until it is paid or expires. The hold
    /// has ticket numbers but no codes. Only the cloud takes online orders.
    pub async fn hold_order(
        &self,
        who: Option<&Principal>,
        req: HoldRequest,
    ) -> Result<HeldOrder, AppError> {
        if self.role() != NodeRole::Cloud {
            return Err(AppError::Forbidden(
                "take online orders away from the cloud",
            ));
        }
        self.require_certificate()?;
        if req.order.channel != Channel::Online {
            return Err(AppError::invalid("channel", "only online orders are held"));
        }
        if req.order.is_overbooking {
            return Err(AppError::Forbidden("overbook an online order"));
        }
        let email = req.order.check_shape()?;
        let phone = check_phone(req.phone.as_deref())?;
        let lang = match req.lang.as_str() {
            "en" => "en",
            _ => "uk",
        }
        .to_owned();
        if let Some(who) = who {
            who.require_to(Action::Sell)?;
        }
        let actor = who
            .map(Principal::actor)
            .unwrap_or_else(|| "visitor".to_owned());
        let node = self.clone();
        let number = self
            .submit(move |batch| {
                let held = node.decide_hold(batch.state(), &req, &lang)?;
                let number = held.number;
                let name = req
                    .order
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned);
                let mut ops = vec![OpBody::OrderHeld(held)];
                if email.is_some() || name.is_some() || phone.is_some() {
                    ops.push(OpBody::OrderContact {
                        number,
                        email,
                        name,
                        phone,
                    });
                }
                batch.record(&actor, ops);
                Ok(number)
            })
            .await?;
        self.held_order(number).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("hold {number} vanished after its commit"))
        })
    }

    fn decide_hold(
        &self,
        state: &State,
        req: &HoldRequest,
        lang: &str,
    ) -> Result<OrderHeld, AppError> {
        let new = &req.order;
        let venue = venue_of(state, &new.venue)?;
        let now = self.now();
        let wanted: u32 = new.items.iter().map(|i| i.quantity).sum();
        let most = u32::from(venue.shop.max_tickets);
        if wanted > most {
            return Err(AppError::invalid(
                "items",
                format!("an online order may hold at most {most} tickets"),
            ));
        }
        let mut lines = Vec::new();
        let mut per_slot: BTreeMap<&str, u32> = BTreeMap::new();
        for item in &new.items {
            let line = resolve_line(state, venue, item, now)?;
            if let Some(slot) = line.slot {
                *per_slot.entry(slot.slot.id.as_str()).or_default() += item.quantity;
            }
            lines.extend(std::iter::repeat_n(line, item.quantity as usize));
        }
        for (id, requested) in &per_slot {
            let slot = &state.slots()[*id];
            let available = slot.available_at(self.origin(), now, None);
            if *requested > available {
                let starts = slot.slot.starts_at.with_timezone(&venue.tz());
                return Err(AppError::sold_out(
                    id,
                    &starts.format("%d.%m %H:%M").to_string(),
                    *requested,
                    available,
                    false,
                ));
            }
        }
        let expires_at = hold_expiry(venue, &req.provider, now, &lines);
        let mut rng = rand::thread_rng();
        let range = self.issuer().serials;
        let number = fresh_serial(&mut rng, range, |n| state.order_number_taken(n));
        let first = fresh_run(&mut rng, range, lines.len() as u64, |n| {
            state.serial_taken(n)
        });
        let seats: Vec<HeldSeat> = (first..)
            .zip(&lines)
            .map(|(serial, line)| HeldSeat {
                serial,
                product: line.product.id.clone(),
                slot: line.slot.map(|s| s.slot.id.clone()),
                price_minor: line.product.price_minor,
            })
            .collect();
        Ok(OrderHeld {
            number,
            venue: venue.id.clone(),
            total_minor: seats.iter().map(|s| s.price_minor).sum(),
            seats,
            currency: venue.currency,
            expires_at,
            provider: req.provider.clone(),
            lang: lang.to_owned(),
        })
    }

    /// A hold by its order number (any status).
    pub fn held_order(&self, number: u64) -> Option<HeldOrder> {
        self.read(|s| s.holds().get(&number).map(HeldOrder::of))
    }

    /// Holds whose time is over but whose release is not written yet.
    pub fn expired_holds(&self) -> Vec<HeldOrder> {
        let now = self.now();
        self.read(|s| {
            s.pending_holds()
                .filter(|h| h.expires_at <= now)
                .map(HeldOrder::of)
                .collect()
        })
    }

    /// Gives a pending hold's seats back (expired, cancelled, or its payment failed).
    /// Returns whether it was pending.
    pub async fn release_hold(
        &self,
        number: u64,
        reason: &str,
        actor: &str,
    ) -> Result<bool, AppError> {
        let (reason, actor) = (reason.to_owned(), actor.to_owned());
        self.submit(move |batch| {
            let pending = batch
                .state()
                .holds()
                .get(&number)
                .is_some_and(|h| h.status == HoldStatus::Pending);
            if pending {
                batch.record(&actor, vec![OpBody::HoldReleased { number, reason }]);
            }
            Ok(pending)
        })
        .await
    }

    /// Places the order a confirmed payment pays for: idempotent (a second delivery of the
    /// same payment changes nothing), and never beyond the seats left: a payment for a hold
    /// whose seats were sold meanwhile, or of the wrong amount, issues nothing and is
    /// recorded as a `late_payment` finding for the refund.
    pub async fn pay_hold(&self, paid: ProviderPayment) -> Result<PayOutcome, AppError> {
        self.require_certificate()?;
        let node = self.clone();
        let outcome = self
            .submit(move |batch| {
                let state = batch.state();
                let number = paid.number;
                if state.orders().contains_key(&number) {
                    return Ok(Decided::AlreadyPaid(number));
                }
                let hold = state.holds().get(&number).ok_or(AppError::NotFound {
                    what: "order",
                    id: number.to_string(),
                })?;
                if hold.status == HoldStatus::Refused {
                    return Ok(Decided::Refused(hold.reason.clone().unwrap_or_default()));
                }
                let refusal = node.payment_refusal(state, hold, &paid);
                if let Some(reason) = refusal {
                    batch.record(
                        "system:payments",
                        vec![OpBody::PaymentRefused {
                            number,
                            provider: paid.provider.clone(),
                            reference: paid.reference.clone(),
                            amount_minor: paid.amount_minor,
                            currency: hold.currency,
                            reason: reason.clone(),
                            refunded: false,
                        }],
                    );
                    return Ok(Decided::Refused(reason));
                }
                let placed = node.order_of_hold(state, hold, &paid)?;
                batch.record("system:payments", vec![OpBody::OrderPlaced(placed)]);
                Ok(Decided::Placed(number))
            })
            .await?;
        match outcome {
            Decided::AlreadyPaid(n) => Ok(PayOutcome::AlreadyPaid(n)),
            Decided::Refused(reason) => Ok(PayOutcome::Refused {
                reason,
                refunded: false,
            }),
            Decided::Placed(n) => {
                let mut placed = self.placed_order(n).await?;
                placed.is_replay = false;
                Ok(PayOutcome::Placed(Box::new(placed)))
            }
        }
    }

    /// Why a payment cannot place its hold's order, if it cannot.
    pub(crate) fn payment_refusal(
        &self,
        state: &State,
        hold: &Hold,
        paid: &ProviderPayment,
    ) -> Option<String> {
        if paid.amount_minor != hold.total_minor || paid.currency != hold.currency.as_str() {
            return Some(format!(
                "paid {} {} for an order of {} {}",
                paid.amount_minor,
                paid.currency,
                hold.total_minor,
                hold.currency.as_str()
            ));
        }
        let now = self.now();
        let mut per_slot: BTreeMap<&str, u32> = BTreeMap::new();
        for seat in &hold.seats {
            if let Some(slot) = &seat.slot {
                *per_slot.entry(slot.as_str()).or_default() += 1;
            }
        }
        for (id, wanted) in per_slot {
            let Some(slot) = state.slots().get(id) else {
                return Some(format!("slot {id} no longer exists"));
            };
            if slot.slot.ends_at <= now {
                return Some(format!("slot {id} has ended"));
            }
            let left = slot.available_at(self.origin(), now, Some(hold.number));
            if left < wanted {
                return Some(format!(
                    "the hold expired and slot {id} has {left} seats left of the {wanted} paid for"
                ));
            }
        }
        None
    }

    /// The order a paid hold becomes: the hold's numbers, signed now.
    pub(crate) fn order_of_hold(
        &self,
        state: &State,
        hold: &Hold,
        paid: &ProviderPayment,
    ) -> Result<OrderPlaced, AppError> {
        let venue = venue_of(state, hold.venue.as_str())?;
        let issuer = self.issuer();
        let now = self.now();
        let mut tickets = Vec::with_capacity(hold.seats.len());
        for seat in &hold.seats {
            let product = state
                .products()
                .get(&(hold.venue.clone(), seat.product.clone()))
                .ok_or_else(|| AppError::UnknownReference {
                    field: "product",
                    what: "product",
                    id: seat.product.to_string(),
                })?;
            let slot = seat.slot.as_ref().and_then(|id| state.slots().get(id));
            let line = crate::sell::Line { product, slot };
            let mut ticket = issue_ticket(state, &issuer.key, venue, &line, seat.serial)?;
            // The price the visitor was shown and paid, even if the list price changed since.
            ticket.price_minor = seat.price_minor;
            tickets.push(ticket);
        }
        Ok(OrderPlaced {
            number: hold.number,
            venue: hold.venue.clone(),
            channel: Channel::Online,
            email: None,
            tickets,
            payments: vec![Payment {
                method: PaymentMethod::Card,
                amount_minor: hold.total_minor,
                at: now,
                shift: None,
                reference: Some(format!("{}:{}", paid.provider, paid.reference)),
            }],
            total_minor: hold.total_minor,
            currency: hold.currency,
            is_overbooking: false,
            shift: None,
            name: None,
            idempotency_key: None,
            paper: None,
            drill: None,
        })
    }

    /// A secret-keyed token that opens order `number`'s page for whoever has the link.
    pub fn order_access_token(&self, number: u64) -> String {
        let key = blake3::derive_key("aspk order access token v1", self.token_secret());
        let mac = blake3::keyed_hash(&key, &number.to_be_bytes());
        hex::encode(&mac.as_bytes()[..16])
    }

    /// Whether `token` opens order `number` (constant-time).
    pub fn check_order_access(&self, number: u64, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.order_access_token(number);
        expected.as_bytes().ct_eq(token.as_bytes()).into()
    }
}

enum Decided {
    Placed(u64),
    AlreadyPaid(u64),
    Refused(String),
}

/// When a hold expires: after the venue's hold time; a "pay at the box office"
/// reservation after its own, but never after the earliest of its slots starts.
fn hold_expiry(
    venue: &aspk_domain::Venue,
    provider: &str,
    now: DateTime<Utc>,
    lines: &[crate::sell::Line<'_>],
) -> DateTime<Utc> {
    if provider != "box_office" {
        return now + chrono::Duration::minutes(i64::from(venue.shop.hold_minutes));
    }
    let until = now + chrono::Duration::hours(i64::from(venue.shop.box_office_hold_hours));
    let first_start = lines
        .iter()
        .filter_map(|l| l.slot.map(|s| s.slot.starts_at))
        .min();
    match first_start {
        Some(start) if start < until => start.max(now + chrono::Duration::minutes(5)),
        _ => until,
    }
}

impl Node {
    /// Closes a `late_payment` finding once the provider gave the money back.
    pub async fn resolve_finding_as_system(&self, id: &str, note: &str) -> Result<(), AppError> {
        let (id, note) = (id.to_owned(), note.to_owned());
        self.submit(move |batch| {
            if batch.state().findings().contains_key(&id) {
                batch.record(
                    "system:payments",
                    vec![OpBody::FindingResolved { id, note }],
                );
            }
            Ok(())
        })
        .await
    }

    /// A visitor cancels their paid online order, where the venue allows it (up to its
    /// `cancel_hours` before the first slot, no ticket used). The tickets are voided and a
    /// refund by the provider the money came through is recorded; returns that payment
    /// (provider, reference, amount, currency) for the caller to refund through.
    pub async fn cancel_online_order(
        &self,
        number: u64,
    ) -> Result<Option<(String, String, i64, String)>, AppError> {
        let node = self.clone();
        self.submit(move |batch| {
            let state = batch.state();
            let not_found = || AppError::NotFound {
                what: "order",
                id: number.to_string(),
            };
            let order = state.orders().get(&number).ok_or_else(not_found)?;
            if order.channel != Channel::Online || order.status != aspk_domain::OrderStatus::Paid {
                return Err(AppError::Conflict {
                    code: aspk_domain::ConflictCode::NotCancellable,
                    detail: "this order can no longer be cancelled online".into(),
                });
            }
            let venue = venue_of(state, order.venue.as_str())?;
            let now = node.now();
            let tickets: Vec<_> = order
                .tickets
                .iter()
                .filter_map(|s| state.tickets().get(s))
                .collect();
            let first_start = tickets.iter().map(|t| t.valid_from).min();
            let allowed = venue.shop.cancel_hours.is_some_and(|hours| {
                first_start
                    .is_some_and(|start| start - now >= chrono::Duration::hours(i64::from(hours)))
            }) && tickets.iter().all(|t| t.entries.is_empty());
            if !allowed {
                return Err(AppError::Conflict {
                    code: aspk_domain::ConflictCode::NotCancellable,
                    detail: "the venue's rules do not allow cancelling this order online now"
                        .into(),
                });
            }
            let paid = order.payments.iter().find(|p| p.amount_minor > 0).cloned();
            let refund = paid.as_ref().map(|p| aspk_domain::Payment {
                method: p.method,
                amount_minor: -order.total_minor,
                at: now,
                shift: None,
                reference: p.reference.clone(),
            });
            let back = paid.and_then(|p| p.reference).and_then(|r| {
                r.split_once(':')
                    .map(|(provider, reference)| (provider.to_owned(), reference.to_owned()))
            });
            batch.record(
                "visitor",
                vec![OpBody::OrderCancelled {
                    number,
                    reason: "cancelled by the visitor".into(),
                    refund,
                    more_refunds: Vec::new(),
                    entries_seen: Vec::new(),
                }],
            );
            Ok(back.map(|(provider, reference)| {
                (
                    provider,
                    reference,
                    order.total_minor,
                    order.currency.as_str().to_owned(),
                )
            }))
        })
        .await
    }
}
