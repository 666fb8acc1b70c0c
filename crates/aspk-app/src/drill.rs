//! Drills: staff rehearse an outage for real (sell on paper, admit by writing numbers down,
//! enter it all afterwards), and nothing of it counts. While a drill runs at a venue, the
//! box office's sales, paper sales, stock batches and imports there are the drill's; the
//! reports leave them out, and ending the drill takes them all back at once (the review of
//! what was done stays).

use std::collections::BTreeMap;

use aspk_domain::{ConflictCode, Order};
use aspk_oplog::{Drill, Finding, OpBody, State};
use chrono::{DateTime, Utc};

use crate::access::Action;
use crate::catalog::venue_of;
use crate::{AppError, Node, Principal};

/// What was done in a drill, for the review after it.
#[derive(Debug, Clone)]
pub struct DrillReview {
    pub drill: Drill,
    pub orders: u32,
    pub tickets: u32,
    /// Tickets with at least one entry.
    pub admitted: u32,
    /// Of the orders, those sold on paper (entered afterwards).
    pub paper_orders: u32,
    /// Takings by payment method's name (minor units), as a Z report of the drill would
    /// show them.
    pub takings: BTreeMap<String, i64>,
    pub currency: Option<aspk_domain::Currency>,
    /// Stock batches made for the drill: (id, label of the range).
    pub batches: Vec<(String, String)>,
    pub findings: Vec<Finding>,
    /// When the drill's first and last sale were made (for how long the recovery took).
    pub first_sale: Option<DateTime<Utc>>,
    pub last_sale: Option<DateTime<Utc>>,
}

const MAX_NAME: usize = 120;

impl Node {
    /// Starts a drill at `venue` (managers). Refused while another runs there.
    pub async fn start_drill(
        &self,
        who: &Principal,
        venue: &str,
        name: &str,
    ) -> Result<Drill, AppError> {
        who.require_to(Action::RunDrills)?;
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(AppError::invalid(
                "drill_name",
                format!("name the drill, in at most {MAX_NAME} characters"),
            ));
        }
        let (venue, actor) = (venue.to_owned(), who.actor());
        let id = uuid::Uuid::now_v7().simple().to_string();
        let started = id.clone();
        self.submit(move |batch| {
            let venue = venue_of(batch.state(), &venue)?.id.clone();
            if let Some(running) = batch.state().drills().running(venue.as_str()) {
                return Err(AppError::Conflict {
                    code: ConflictCode::DrillRunning,
                    detail: format!("the drill \"{}\" runs at {venue} already", running.name),
                });
            }
            batch.record(&actor, vec![OpBody::DrillStarted { id, venue, name }]);
            Ok(())
        })
        .await?;
        self.drill(who, &started)
    }

    /// Ends drill `id`, taking back everything done in it: its orders are cancelled (their
    /// tickets refused everywhere), its stock voided, its seats on sale again. Nothing of a
    /// drill outlives it but its review, so no drill can carry sales off the books.
    pub async fn end_drill(&self, who: &Principal, id: &str) -> Result<Drill, AppError> {
        who.require_to(Action::RunDrills)?;
        let (drill, actor) = (id.to_owned(), who.actor());
        self.submit(move |batch| {
            let found = batch.state().drills().get(&drill).cloned();
            let Some(found) = found else {
                return Err(AppError::NotFound {
                    what: "drill",
                    id: drill,
                });
            };
            if found.is_undone() {
                return Err(AppError::Conflict {
                    code: ConflictCode::DrillOver,
                    detail: format!("the drill \"{}\" has ended already", found.name),
                });
            }
            batch.record(
                &actor,
                vec![OpBody::DrillEnded {
                    id: drill,
                    undo: true,
                }],
            );
            Ok(())
        })
        .await?;
        self.drill(who, id)
    }

    pub fn drill(&self, who: &Principal, id: &str) -> Result<Drill, AppError> {
        who.require_to(Action::RunDrills)?;
        self.read(|s| s.drills().get(id).cloned())
            .ok_or_else(|| AppError::NotFound {
                what: "drill",
                id: id.to_owned(),
            })
    }

    /// Every drill (of `venue`, or all), newest first.
    pub fn drills(&self, who: &Principal, venue: Option<&str>) -> Result<Vec<Drill>, AppError> {
        who.require_to(Action::RunDrills)?;
        Ok(self.read(|s| {
            let mut all: Vec<Drill> = s
                .drills()
                .all()
                .filter(|d| venue.is_none_or(|v| d.venue.as_str() == v))
                .cloned()
                .collect();
            all.reverse();
            all
        }))
    }

    /// The drills running now (at any venue): every page tells staff that one runs, so
    /// nobody takes a drill's sale for a real one, or the other way round.
    pub fn running_drills(&self) -> Vec<Drill> {
        self.read(|s| {
            s.drills()
                .all()
                .filter(|d| d.is_running())
                .cloned()
                .collect()
        })
    }

    /// What was done in drill `id`.
    pub fn drill_review(&self, who: &Principal, id: &str) -> Result<DrillReview, AppError> {
        let drill = self.drill(who, id)?;
        Ok(self.read(|s| review(s, drill)))
    }
}

fn review(state: &State, drill: Drill) -> DrillReview {
    let orders: Vec<Order> = state
        .drills()
        .orders_of(&drill.id)
        .iter()
        .filter_map(|n| state.orders().get(n))
        .collect();
    let mut takings: BTreeMap<String, i64> = BTreeMap::new();
    for payment in orders.iter().flat_map(|o| &o.payments) {
        *takings.entry(payment.method.to_string()).or_default() += payment.amount_minor;
    }
    let serials = orders.iter().flat_map(|o| o.tickets.iter().copied());
    let admitted = serials
        .clone()
        .filter(|s| state.tickets().entry_count(*s) > 0)
        .count();
    let batches = state
        .drills()
        .batches_of(&drill.id)
        .iter()
        .filter_map(|id| state.stock().batch(id))
        .map(|b| {
            (
                b.id.clone(),
                format!("{}–{}", b.label(b.first), b.label(b.last)),
            )
        })
        .collect();
    let mut findings: Vec<Finding> = state
        .findings()
        .values()
        .filter(|f| state.drills().of_finding(&f.id) == Some(drill.id.as_str()))
        .cloned()
        .collect();
    findings.sort_by(|a, b| a.id.cmp(&b.id));
    DrillReview {
        orders: orders.len() as u32,
        tickets: serials.count() as u32,
        admitted: admitted as u32,
        paper_orders: orders
            .iter()
            .filter(|o| state.paper_sale_of(o.number).is_some())
            .count() as u32,
        takings,
        currency: orders.first().map(|o| o.currency),
        batches,
        findings,
        first_sale: orders.iter().map(|o| o.created_at).min(),
        last_sale: orders.iter().map(|o| o.created_at).max(),
        drill,
    }
}

/// Whether `order` is a real one (made in no drill): the only ones reports count.
pub(crate) fn is_real(order: &Order) -> bool {
    order.drill.is_none()
}
