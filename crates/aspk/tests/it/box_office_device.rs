//! The box-office device through the real server, on every backend: a manager pairs it
//! with a key of its own (delegated with a serial block), it gets a lease of every coming
//! slot, and the ops it signs alone (its shift, its sales) are taken in exactly once. The
//! attacks a stolen, buggy or revoked device would try are refused, or kept as findings,
//! and change nothing else.

use aspk_domain::{Currency, Slug};
use aspk_oplog::{OpBody, OrderPlaced};
use aspk_ticket::IssuerKey;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::device_kit;
use crate::kit::TestApp;

/// What a paired device knows and holds, written in Rust as the browser app writes it.
struct Device {
    origin: String,
    token: String,
    key: IssuerKey,
    serials: (u64, u64),
    next_serial: u64,
    seq: u64,
    /// The last sync's answer.
    known: Value,
}

fn at(text: &Value) -> DateTime<Utc> {
    text.as_str().unwrap().parse().unwrap()
}

impl Device {
    /// Pairs a device at the demo venue with a code a manager made.
    async fn pair(app: &TestApp, manager: &str, secret: u8) -> Device {
        let (status, code) = app
            .post(
                "/api/v1/enrolments",
                Some(manager),
                json!({"role": "box_office", "venue": "demo"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{code}");
        assert!(code["url"]
            .as_str()
            .unwrap()
            .contains("/box-office/device/#pair="));
        let key = IssuerKey::from_bytes(0, &[secret; 32]);
        let origin = format!("box-{secret:02x}-{}", &code["code"].as_str().unwrap()[..8]);
        let (status, r) = app
            .post(
                "/api/v1/enrolments/redeem",
                None,
                json!({"code": code["code"], "name": "Каса 2", "origin": origin,
                       "public_key": aspk_app::to_hex(&key.public().to_bytes())}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!(r["role"], "box_office");
        let key_id = u16::try_from(r["key_id"].as_u64().unwrap()).unwrap();
        let serials = (
            r["serials"][0].as_u64().unwrap(),
            r["serials"][1].as_u64().unwrap(),
        );
        Device {
            origin,
            token: r["token"].as_str().unwrap().to_owned(),
            key: IssuerKey::from_bytes(key_id, &[secret; 32]),
            serials,
            next_serial: serials.0 + 1_000,
            seq: 0,
            known: Value::Null,
        }
    }

    /// Uploads `ops` (JSON as the device sends them) and keeps the answer.
    async fn sync(&mut self, app: &TestApp, ops: &[Value]) -> (StatusCode, Value) {
        let (status, body) = app
            .post(
                "/api/v1/device/box-office/sync",
                Some(&self.token),
                json!({ "ops": ops }),
            )
            .await;
        if status == StatusCode::OK {
            self.known = body.clone();
        }
        (status, body)
    }

    fn slot(&self, id: &str) -> Value {
        self.known["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("slot {id} in {}", self.known))
            .clone()
    }

    /// The next op of this device, signed with its key (`seq` as given, or the next one).
    fn op_at(&mut self, seq: Option<u64>, actor: &str, body: OpBody) -> Value {
        let seq = seq.unwrap_or_else(|| {
            self.seq += 1;
            self.seq
        });
        device_kit::signed(&self.origin, seq, actor, body, &self.key)
    }

    fn op(&mut self, actor: &str, body: OpBody) -> Value {
        self.op_at(None, actor, body)
    }

    /// A cash sale of `count` adult tickets for `slot`, signed on the device.
    fn sale(&mut self, slot: &str, count: usize, shift: &str, overbooking: bool) -> OrderPlaced {
        let s = self.slot(slot);
        let product = self.known["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "adult")
            .unwrap()
            .clone();
        assert_eq!(
            (self.known["venue"]["no"].as_u64(), product["no"].as_u64()),
            (Some(1), Some(1))
        );
        let (from, until) = (at(&s["starts_at"]), at(&s["ends_at"]));
        let price = product["price_minor"].as_i64().unwrap();
        let number = self.next_serial;
        let tickets = (1..=count as u64)
            .map(|k| device_kit::ticket(&self.key, number + k, Some(slot), from, until, price))
            .collect();
        self.next_serial += 1 + count as u64;
        device_kit::sale(number, tickets, Some(shift), overbooking)
    }
}

async fn order(app: &TestApp, admin: &str, number: u64) -> (StatusCode, Value) {
    let number = aspk_ticket::HumanNumber::from_serial(number).digits();
    app.get(&format!("/api/v1/orders/{number}"), Some(admin))
        .await
}

async fn open_findings(app: &TestApp, admin: &str) -> Vec<Value> {
    let (status, list) = app.get("/api/v1/findings?status=open", Some(admin)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_box_office_device_sells_alone_within_its_lease_and_is_taken_in_once() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let manager = app.staff(&admin, "olena", "manager").await;
        let cashier = app.staff(&admin, "kasa", "cashier").await;
        let now = Utc::now();
        let slot_a = app.open_slot(&admin, 10).await;
        let slot_b = app
            .slot(
                &admin,
                now + Duration::hours(3),
                now + Duration::hours(4),
                10,
            )
            .await;

        // A cashier cannot pair a box office; a manager can.
        let (status, _) = app
            .post(
                "/api/v1/enrolments",
                Some(&cashier),
                json!({"role": "box_office", "venue": "demo"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut device = Device::pair(&app, &manager, 7).await;

        // The first sync leases every coming slot, up to its free seats.
        let (status, state) = device.sync(&app, &[]).await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(device.slot(&slot_a)["lease_left"], 10);
        assert_eq!(device.slot(&slot_b)["lease_left"], 10);
        assert_eq!(state["key"]["key_id"], device.key.key_id);
        assert_eq!(state["durable_seq"], 0);
        assert_eq!(
            state["key"]["serials"],
            json!([device.serials.0, device.serials.1])
        );
        assert!(state["grants_leases"].as_bool().unwrap());
        assert_eq!(
            app.available(&slot_a).await,
            0,
            "the lease is not for sale elsewhere"
        );
        // The continuity console lists it as a part, online since its call.
        let (_, status) = app.get("/api/v1/status", Some(&admin)).await;
        let part = status["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "box_office")
            .cloned()
            .unwrap_or_else(|| panic!("the device among the parts: {status}"));
        assert_eq!(
            (part["name"].as_str(), part["state"].as_str()),
            (Some("Каса 2"), Some("online"))
        );

        // Offline: a shift and two sales, all of slot A's lease.
        let shift = "sh-device-1";
        let opened = OpBody::ShiftOpened {
            shift_id: shift.into(),
            venue: Slug::parse("venue", "demo").unwrap(),
            float_minor: 50_000,
            currency: Currency::UAH,
        };
        let mut ops = vec![device.op("user:kasa", opened)];
        let first = device.sale(&slot_a, 3, shift, false);
        let second = device.sale(&slot_a, 7, shift, false);
        let first_code = first.tickets[0].code.clone();
        let unused_code = first.tickets[1].code.clone();
        ops.push(device.op("user:kasa", OpBody::OrderPlaced(first.clone())));
        ops.push(device.op("user:kasa", OpBody::OrderPlaced(second.clone())));
        let (status, answer) = device.sync(&app, &ops).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            (answer["applied"].as_u64(), answer["durable_seq"].as_u64()),
            (Some(3), Some(3))
        );
        assert_eq!(device.slot(&slot_a)["lease_left"], 0);
        // The same upload again (the answer was lost): taken once.
        let (_, again) = device.sync(&app, &ops).await;
        assert_eq!(
            (again["applied"].as_u64(), again["known"].as_u64()),
            (Some(0), Some(3))
        );
        let (status, placed) = order(&app, &admin, first.number).await;
        assert_eq!(status, StatusCode::OK, "{placed}");
        assert_eq!(placed["tickets"].as_array().unwrap().len(), 3);
        // Gates admit its tickets; the key is known to every verifier.
        let scan = app.scan_code(&admin, &first_code, "G1").await;
        assert_eq!(scan["result"], "admit", "{scan}");

        // Attacks. An op signed with another key: refused as forged, nothing applied.
        let mut thief = IssuerKey::from_bytes(device.key.key_id, &[9; 32]);
        std::mem::swap(&mut device.key, &mut thief);
        let forged_sale = device.sale(&slot_b, 1, shift, false);
        let forged = device.op("user:kasa", OpBody::OrderPlaced(forged_sale.clone()));
        std::mem::swap(&mut device.key, &mut thief);
        device.seq -= 1;
        let (status, answer) = device.sync(&app, &[forged]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["refused"], 1, "{answer}");
        assert_eq!(answer["durable_seq"], 3);
        assert_eq!(
            order(&app, &admin, forged_sale.number).await.0,
            StatusCode::NOT_FOUND
        );
        // Another node's op in the upload: the whole upload is refused.
        let mut own = device.sale(&slot_b, 1, shift, false);
        own.email = Some(aspk_domain::Email::parse("visitor@example.org").unwrap());
        let own_op = device.op("user:kasa", OpBody::OrderPlaced(own.clone()));
        let mut foreign = own_op.clone();
        foreign["origin"] = json!("site-node-elsewhere");
        let (status, problem) = device.sync(&app, &[own_op.clone(), foreign]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(
            order(&app, &admin, own.number).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) = device.sync(&app, std::slice::from_ref(&own_op)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(order(&app, &admin, own.number).await.0, StatusCode::OK);
        // The visitor who left an e-mail gets the e-tickets, once (a repeated upload).
        let (status, _) = device.sync(&app, &[own_op]).await;
        assert_eq!(status, StatusCode::OK);
        let mails = app.node.inspect(|s| {
            s.outbox()
                .values()
                .filter(|m| m.order == Some(own.number))
                .map(|m| m.to.clone())
                .collect::<Vec<_>>()
        });
        assert_eq!(mails, ["visitor@example.org"]);
        // A sequence number used again for another sale: an equivocation, not a sale.
        let twice = device.sale(&slot_b, 1, shift, false);
        let reused = device.op_at(Some(2), "user:kasa", OpBody::OrderPlaced(twice.clone()));
        let (status, _) = device.sync(&app, &[reused]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            order(&app, &admin, twice.number).await.0,
            StatusCode::NOT_FOUND
        );
        let findings = open_findings(&app, &admin).await;
        assert!(
            findings.iter().any(|f| f["kind"] == "equivocation"),
            "{findings:?}"
        );
        // Beyond the lease of slot A: a cashier's sale waits (a finding), sells nothing.
        let beyond = device.sale(&slot_a, 1, shift, false);
        let beyond_op = device.op("user:kasa", OpBody::OrderPlaced(beyond.clone()));
        // A manager's override sells beyond it, and is an oversell finding.
        let over = device.sale(&slot_a, 1, shift, true);
        let over_op = device.op("user:olena", OpBody::OrderPlaced(over.clone()));
        let (status, answer) = device.sync(&app, &[beyond_op, over_op]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            order(&app, &admin, beyond.number).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(order(&app, &admin, over.number).await.0, StatusCode::OK);
        let findings = open_findings(&app, &admin).await;
        let kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
        assert!(kinds.contains(&"oversell"), "{kinds:?}");
        assert!(kinds.contains(&"unauthorised_op"), "{kinds:?}");

        // The shift closes on the device; its Z report adds up at the server.
        let cash: i64 = [&first, &second, &own, &over]
            .iter()
            .map(|o| o.total_minor)
            .sum();
        let closed = OpBody::ShiftClosed {
            shift_id: shift.into(),
            counted_minor: 50_000 + cash,
            note: String::new(),
        };
        let close_op = device.op("user:kasa", closed);
        let (status, _) = device.sync(&app, &[close_op]).await;
        assert_eq!(status, StatusCode::OK);
        let z = app
            .node
            .shift_report(&principal("admin", aspk_domain::Role::Admin), shift)
            .unwrap();
        assert!(z.is_final());
        assert_eq!(z.orders, 4);
        assert_eq!(z.expected_cash_minor, 50_000 + cash);
        assert_eq!(z.difference_minor(), Some(0));

        // Revocation: a manager may not; an admin does, and the key goes with the device.
        let node_id = node_of(&app, &admin, &device.origin).await;
        let revoke = format!("/api/v1/nodes/{node_id}/revoke");
        let (status, _) = app
            .post(&revoke, Some(&manager), json!({"reason": "lost"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app
            .post(&revoke, Some(&admin), json!({"reason": "stolen"}))
            .await;
        assert!(status.is_success(), "{body}");
        let (status, _) = device.sync(&app, &[]).await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
            "{status}"
        );
        // What it sold before stays valid; what it signs now is refused at the gates.
        let scan = app.scan_code(&admin, &unused_code, "G1").await;
        assert_eq!(scan["result"], "admit", "{scan}");
        let late = device.sale(&slot_b, 1, shift, false);
        let scan = app.scan_code(&admin, &late.tickets[0].code, "G1").await;
        assert_eq!(scan["result"], "invalid", "{scan}");
    }
}

fn principal(name: &str, role: aspk_domain::Role) -> aspk_app::Principal {
    aspk_app::Principal {
        username: aspk_domain::Username::parse(name).unwrap(),
        role,
    }
}

async fn node_of(app: &TestApp, admin: &str, origin: &str) -> String {
    let (status, nodes) = app.get("/api/v1/nodes", Some(admin)).await;
    assert_eq!(status, StatusCode::OK, "{nodes}");
    nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["origin"] == origin)
        .and_then(|n| n["node_id"].as_str())
        .unwrap()
        .to_owned()
}

/// The device hands its sales to whichever node answers: with the cloud away, the site node
/// takes them in (it knows the device's certificate by replication, and grants no leases),
/// and passes them on to the cloud when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_box_office_device_hands_its_sales_to_a_site_node_while_the_cloud_is_away() {
    use crate::drills::{cloud, enrolled_site, within, Api};
    let dir = tempfile::tempdir().unwrap();
    let port = crate::kit::free_port();
    let first = cloud(&dir.path().join("cloud"), port).await;
    let cloud_base = first.base.clone();
    let c = Api::sign_in(&cloud_base).await;
    let (_site, s) = enrolled_site(&c, &dir.path().join("site"), &cloud_base, 5).await;
    let slot = c.open_slot(10).await;
    let http = reqwest::Client::new();
    let admin = crate::kit::admin_token(&http, &cloud_base).await;
    let device = device_kit::paired(&http, &admin, &cloud_base, 31).await;
    let (token, key, block) = (device.token.clone(), &device.key, device.block);
    let sync = |base: String, ops: Vec<Value>| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let r = http
                .post(format!("{base}/api/v1/device/box-office/sync"))
                .bearer_auth(&token)
                .json(&json!({ "ops": ops }))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, at_cloud) = sync(cloud_base.clone(), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{at_cloud}");
    let lease = at_cloud["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == slot.as_str())
        .unwrap()["lease_left"]
        .as_u64();
    assert_eq!(lease, Some(10), "{at_cloud}");
    // The site node learns the device (and its lease) by replication.
    within(
        std::time::Duration::from_secs(20),
        "the site node knows the device",
        || {
            let sync = sync(s.base().to_owned(), vec![]);
            async move { sync.await.0 == StatusCode::OK }
        },
    )
    .await;
    drop(first);

    let now = Utc::now();
    let ticket = device_kit::ticket(
        key,
        block + 2,
        Some(&slot),
        now,
        now + Duration::hours(1),
        25_000,
    );
    let sale = device_kit::sale(block + 1, vec![ticket], None, false);
    let op = device_kit::signed(
        &device.origin,
        1,
        "user:admin",
        OpBody::OrderPlaced(sale),
        key,
    );
    let (status, at_site) = sync(s.base().to_owned(), vec![op]).await;
    assert_eq!(status, StatusCode::OK, "{at_site}");
    assert_eq!(
        (at_site["applied"].as_u64(), at_site["durable_seq"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(at_site["grants_leases"], false);
    let number = aspk_ticket::HumanNumber::from_serial(block + 1).digits();
    assert!(s.has_order(&number).await);

    // The cloud comes back and gets the sale from the site node.
    let _back = cloud(&dir.path().join("cloud"), port).await;
    within(
        std::time::Duration::from_secs(30),
        "the sale reaches the cloud",
        || c.has_order(&number),
    )
    .await;
}
