//! What a box-office device writes, made in Rust for the tests as the browser app makes it:
//! ticket codes signed with the device's key, sales, and ops signed under its origin.

use aspk_domain::{Channel, Currency, Payment, PaymentMethod, Slug};
use aspk_oplog::{Hlc, Op, OpBody, OrderPlaced, TicketIssued};
use aspk_ticket::{IssuerKey, TicketClaims, Validity};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Op `seq` of the device `origin`, by `actor`, signed with `key`, as JSON to upload.
pub fn signed(origin: &str, seq: u64, actor: &str, body: OpBody, key: &IssuerKey) -> Value {
    let mut op = Op {
        origin: origin.to_owned(),
        seq,
        hlc: Hlc::from_parts(
            u64::try_from(Utc::now().timestamp_millis()).unwrap(),
            u16::try_from(seq % 1_000).unwrap(),
        ),
        actor: actor.into(),
        body,
        sig: None,
    };
    op.sign_with(key.key_id, |message| key.sign_detached(message));
    serde_json::to_value(&op).unwrap()
}

/// A ticket of the demo museum (venue 1) for the adult ticket type (product 1), valid
/// `from`–`until`, signed with `key`.
pub fn ticket(
    key: &IssuerKey,
    serial: u64,
    slot: Option<&str>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    price: i64,
) -> TicketIssued {
    let claims = TicketClaims {
        serial,
        venue: 1,
        product: 1,
        validity: Validity::Window {
            from_unix: from.timestamp(),
            until_unix: until.timestamp(),
        },
        needs_document_check: false,
    };
    TicketIssued {
        serial,
        product: Slug::parse("product", "adult").unwrap(),
        slot: slot.map(str::to_owned),
        valid_from: from,
        valid_until: until,
        valid_days: None,
        price_minor: price,
        code: aspk_ticket::issue(&claims, key).unwrap(),
    }
}

/// A cash sale of `tickets` at the demo museum's box office, in `shift`.
pub fn sale(
    number: u64,
    tickets: Vec<TicketIssued>,
    shift: Option<&str>,
    overbooking: bool,
) -> OrderPlaced {
    let total: i64 = tickets.iter().map(|t| t.price_minor).sum();
    OrderPlaced {
        number,
        venue: Slug::parse("venue", "demo").unwrap(),
        channel: Channel::BoxOffice,
        email: None,
        tickets,
        payments: vec![Payment {
            method: PaymentMethod::Cash,
            amount_minor: total,
            at: Utc::now(),
            shift: None,
            reference: None,
        }],
        total_minor: total,
        currency: Currency::UAH,
        is_overbooking: overbooking,
        shift: shift.map(str::to_owned),
        name: None,
        idempotency_key: None,
        paper: None,
        drill: None,
    }
}

/// A box-office device as paired at a server: what the browser app keeps.
pub struct PairedDevice {
    pub node_id: String,
    pub token: String,
    pub origin: String,
    pub key: IssuerKey,
    /// The first serial of its block.
    pub block: u64,
}

/// A box-office device paired at `base` with the code of `token`'s holder (a manager or
/// admin); its key is made from `secret`, its origin is `box-office-<secret>`.
pub async fn paired(http: &reqwest::Client, token: &str, base: &str, secret: u8) -> PairedDevice {
    let code: Value = http
        .post(format!("{base}/api/v1/enrolments"))
        .bearer_auth(token)
        .json(&json!({"role": "box_office", "venue": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = IssuerKey::from_bytes(0, &[secret; 32]);
    let origin = format!("box-office-{secret}");
    let redeemed: Value = http
        .post(format!("{base}/api/v1/enrolments/redeem"))
        .json(
            &json!({"code": code["code"], "name": "Каса", "origin": origin,
                      "public_key": aspk_app::to_hex(&key.public().to_bytes())}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key_id = u16::try_from(redeemed["key_id"].as_u64().unwrap()).unwrap();
    PairedDevice {
        node_id: redeemed["node_id"].as_str().unwrap().to_owned(),
        token: redeemed["token"].as_str().unwrap().to_owned(),
        origin,
        key: IssuerKey::from_bytes(key_id, &[secret; 32]),
        block: redeemed["serials"][0].as_u64().unwrap(),
    }
}
