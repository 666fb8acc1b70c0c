//! The box-office device phase: a device paired at the server hands in 1,000 sales it made
//! while cut off, in one sync call, timed end to end (the target: under 5 s). The sales are
//! signed here beforehand, as the device signs them in the browser (the ticket codes and
//! the ops with its own delegated key), so only the upload is on the clock.

use std::time::Instant;

use anyhow::Context;
use aspk_domain::{Channel, Currency, Payment, PaymentMethod, Slug};
use aspk_oplog::{Hlc, Op, OpBody, OrderPlaced, TicketIssued};
use aspk_ticket::{IssuerKey, TicketClaims, Validity};
use chrono::{DateTime, Utc};
use hyper::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};

use crate::http::{path, Client, Target};

/// Sales queued on the device.
pub const SALES: usize = 1_000;

/// What the device phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceFigures {
    /// The one sync call that uploaded every queued op, in milliseconds.
    pub upload_ms: f64,
    /// Ops the server took in (the sales and the shift they belong to).
    pub applied: u64,
}

/// Pairs a box-office device at the demo venue (as `staff`, a manager or admin named
/// `username`), lets it sell [`SALES`] single tickets for `slot` while offline, and uploads
/// them. The device holds only its lease (20 seats) of the bench's big slot, so the sales
/// are `username`'s overbooking beyond it: the same ops, signatures and fold as sales within
/// a lease, plus one oversell finding.
pub async fn upload(
    staff: &Target,
    base: &Target,
    username: &str,
    slot: &str,
) -> anyhow::Result<DeviceFigures> {
    let mut client = Client::new(staff.clone());
    let (status, body) = client
        .post_json(
            &path("/api/v1/enrolments"),
            &json!({"role": "box_office", "venue": "demo"}),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "a pairing code: {status}");
    let code: Value = serde_json::from_slice(&body)?;
    let secret: [u8; 32] = rand::random();
    let key = IssuerKey::from_bytes(0, &secret);
    let origin = format!("box-bench-{:08x}", rand::random::<u32>());
    let mut anonymous = Client::new(base.clone());
    let (status, body) = anonymous
        .post_json(
            &path("/api/v1/enrolments/redeem"),
            &json!({"code": code["code"], "name": "bench", "origin": origin,
                    "public_key": hex(&key.public().to_bytes())}),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "pairing: {status}");
    let paired: Value = serde_json::from_slice(&body)?;
    let key_id = u16::try_from(paired["key_id"].as_u64().context("a key id")?)?;
    let first = paired["serials"][0].as_u64().context("a serial block")?;
    let token = paired["token"].as_str().context("a token")?;
    let mut device = Client::new(base.with_token(token)?);
    let sync = path("/api/v1/device/box-office/sync");
    let (status, body) = device.post_json(&sync, &json!({"ops": []})).await?;
    anyhow::ensure!(status == StatusCode::OK, "the first sync: {status}");
    let known: Value = serde_json::from_slice(&body)?;
    let sales = Sales {
        actor: format!("user:{username}"),
        origin,
        key: IssuerKey::from_bytes(key_id, &secret),
        known,
        slot: slot.to_owned(),
        first,
    };
    let ops = sales.ops()?;
    let started = Instant::now();
    let (status, body) = device.post_json(&sync, &json!({ "ops": ops })).await?;
    let upload_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status == StatusCode::OK, "the upload: {status}");
    let answer: Value = serde_json::from_slice(&body)?;
    Ok(DeviceFigures {
        upload_ms,
        applied: answer["applied"].as_u64().unwrap_or(0),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The device's queued sales, signed as the browser signs them.
struct Sales {
    actor: String,
    origin: String,
    key: IssuerKey,
    known: Value,
    slot: String,
    first: u64,
}

impl Sales {
    fn ops(&self) -> anyhow::Result<Vec<Op>> {
        let venue = Slug::parse("venue", "demo")?;
        let shift = "sh-bench";
        let mut bodies = vec![(
            self.actor.as_str(),
            OpBody::ShiftOpened {
                shift_id: shift.into(),
                venue: venue.clone(),
                float_minor: 0,
                currency: Currency::UAH,
            },
        )];
        for i in 0..SALES as u64 {
            let sale = self.sale(self.first + 2 * i, self.first + 2 * i + 1, shift)?;
            bodies.push((self.actor.as_str(), OpBody::OrderPlaced(sale)));
        }
        let now = u64::try_from(Utc::now().timestamp_millis())?;
        let ops = bodies
            .into_iter()
            .zip(1u64..)
            .map(|((actor, body), seq)| {
                let mut op = Op {
                    origin: self.origin.clone(),
                    seq,
                    hlc: Hlc::from_parts(now, u16::try_from(seq).unwrap_or(u16::MAX)),
                    actor: actor.into(),
                    body,
                    sig: None,
                };
                op.sign_with(self.key.key_id, |m| self.key.sign_detached(m));
                op
            })
            .collect();
        Ok(ops)
    }

    fn sale(&self, number: u64, serial: u64, shift: &str) -> anyhow::Result<OrderPlaced> {
        let slot = self.known["slots"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == self.slot.as_str()))
            .context("the bench's slot in the device's slots")?;
        let product = self.known["products"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["id"] == "adult"))
            .context("the adult ticket type")?;
        let time = |v: &Value| -> anyhow::Result<DateTime<Utc>> {
            Ok(v.as_str().context("a time")?.parse()?)
        };
        let (from, until) = (time(&slot["starts_at"])?, time(&slot["ends_at"])?);
        let price = product["price_minor"].as_i64().context("a price")?;
        let claims = TicketClaims {
            serial,
            venue: u16::try_from(self.known["venue"]["no"].as_u64().context("venue no")?)?,
            product: u16::try_from(product["no"].as_u64().context("product no")?)?,
            validity: Validity::Window {
                from_unix: from.timestamp(),
                until_unix: until.timestamp(),
            },
            needs_document_check: false,
        };
        Ok(OrderPlaced {
            number,
            venue: Slug::parse("venue", "demo")?,
            channel: Channel::BoxOffice,
            email: None,
            tickets: vec![TicketIssued {
                serial,
                product: Slug::parse("product", "adult")?,
                slot: Some(self.slot.clone()),
                valid_from: from,
                valid_until: until,
                valid_days: None,
                price_minor: price,
                code: aspk_ticket::issue(&claims, &self.key)?,
            }],
            payments: vec![Payment {
                method: PaymentMethod::Cash,
                amount_minor: price,
                at: Utc::now(),
                shift: None,
                reference: None,
            }],
            total_minor: price,
            currency: Currency::UAH,
            is_overbooking: true,
            shift: Some(shift.to_owned()),
            name: None,
            idempotency_key: None,
            paper: None,
            drill: None,
        })
    }
}
