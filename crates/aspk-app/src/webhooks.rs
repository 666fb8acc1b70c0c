//! Webhooks for integrations: which ops become which events, and the log of deliveries.
//!
//! Events are read from the op log (so nothing is lost on a restart: the sender resumes
//! from the last position it finished) and sent at least once; each carries a stable `id`
//! (the op's origin and sequence number) for the receiver to drop repeats.

use std::collections::VecDeque;

use aspk_oplog::{Op, OpBody, State};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Node;

/// The kinds of event an integration may receive.
pub const EVENTS: &[&str] = &["order.paid", "order.cancelled", "ticket.entered"];

/// One event, as its JSON body is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// `origin:seq` of the op behind it: the same event always has the same id.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// The event `op` stands for, if any (read against the state it was folded into).
/// A drill's sales and entries are rehearsal: integrations never hear of them.
pub fn event_of(op: &Op, state: &State) -> Option<WebhookEvent> {
    let (kind, data) = match &op.body {
        OpBody::OrderPlaced(placed) if placed.drill.is_some() => return None,
        OpBody::EntryRecorded { serial, .. } if state.drills().of_serial(*serial).is_some() => {
            return None
        }
        OpBody::OrderPlaced(placed) => (
            "order.paid",
            serde_json::json!({
                "order": placed.number,
                "venue": placed.venue,
                "channel": placed.channel,
                "total_minor": placed.total_minor,
                "currency": placed.currency,
                "tickets": placed.tickets.iter().map(|t| serde_json::json!({
                    "serial": t.serial, "product": t.product, "slot": t.slot,
                    "price_minor": t.price_minor,
                })).collect::<Vec<_>>(),
            }),
        ),
        OpBody::OrderCancelled {
            number,
            reason,
            refund,
            more_refunds,
            ..
        } => {
            let refunded: i64 = refund
                .iter()
                .chain(more_refunds)
                .map(|p| -p.amount_minor)
                .sum();
            (
                "order.cancelled",
                serde_json::json!({
                    "order": number,
                    "venue": state.orders().venue_of(number),
                    "reason": reason,
                    "refunded_minor": refunded,
                }),
            )
        }
        OpBody::EntryRecorded { serial, gate, at } => (
            "ticket.entered",
            serde_json::json!({
                "ticket": serial,
                "order": state.tickets().order_of(serial),
                "venue": state.tickets().venue_of(serial),
                "gate": gate,
                "at": at,
            }),
        ),
        _ => return None,
    };
    Some(WebhookEvent {
        id: format!("{}:{}", op.origin, op.seq),
        kind,
        at: op.hlc.to_datetime(),
        data,
    })
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub event: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub at: DateTime<Utc>,
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong; none when the receiver took it (2xx).
    pub error: Option<String>,
}

/// The latest deliveries (in memory: the log of what was sent since the node started).
#[derive(Debug, Default)]
pub struct DeliveryLog {
    recent: parking_lot::Mutex<VecDeque<Delivery>>,
}

/// How many deliveries the log keeps.
const KEPT: usize = 1_000;

impl DeliveryLog {
    pub fn record(&self, delivery: Delivery) {
        let mut recent = self.recent.lock();
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(delivery);
    }

    /// Newest first.
    pub fn latest(&self, limit: usize) -> Vec<Delivery> {
        self.recent
            .lock()
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }
}

impl Node {
    /// The webhook deliveries this node made (admins).
    pub fn webhook_deliveries(
        &self,
        who: &crate::Principal,
        limit: usize,
    ) -> Result<Vec<Delivery>, crate::AppError> {
        who.require_to(crate::Action::ChangeVenues)?;
        Ok(self.webhook_log().latest(limit))
    }

    /// Where the webhook sender records its deliveries.
    pub fn webhook_log(&self) -> &DeliveryLog {
        self.delivery_log()
    }

    /// The events of the ops after store position `cursor` (up to `limit` ops), each with
    /// its op's position, and the position of the last op read.
    pub async fn webhook_events_after(
        &self,
        cursor: i64,
        limit: u32,
    ) -> Result<(Vec<(i64, WebhookEvent)>, i64), crate::AppError> {
        let ops = self
            .store()
            .read_after(cursor, limit)
            .await
            .map_err(crate::AppError::from)?;
        let last = ops.last().map_or(cursor, |o| o.cursor);
        let events = self.read(|s| {
            ops.iter()
                .filter_map(|o| event_of(&o.op, s).map(|e| (o.cursor, e)))
                .collect()
        });
        Ok((events, last))
    }
}
