//! Two nodes of one organisation (a cloud and a site node enrolled with it, on in-memory
//! stores): staff sessions hold at both, and the site node trusts only the root key it was
//! given at enrolment.
//!
//! A token a node signs with its published key holds at every node of the organisation (a
//! box office page that fails over stays signed in), and ends everywhere when the person's
//! password changes or the signing node is revoked.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aspk_app::{Node, NodeOptions, NodeRole, CLOUD_SERIALS};
use aspk_store::{MemoryStore, Store};
use aspk_ticket::IssuerKey;

async fn start(
    origin: &str,
    key_id: u16,
    key: [u8; 32],
    role: NodeRole,
    serials: (u64, u64),
) -> (Node, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let node = Node::start(NodeOptions {
        store: store.clone(),
        origin: origin.into(),
        ticket_key: IssuerKey::from_bytes(key_id, &key),
        token_secret: rand::random(),
        role,
        serials,
        clock_offset_ms: 0,
        snapshot: None,
    })
    .await
    .unwrap();
    (node, store)
}

/// The demo museum's admin, signed in at `node`.
async fn demo_admin(node: &Node) -> aspk_app::Principal {
    let token = node.sign_in("admin", "demo", None).await.unwrap().token;
    node.authenticate(&token).unwrap()
}

/// Hands `to` every op `from` has (what replication does).
async fn replicate(from: &MemoryStore, to: &Node) {
    let ops = from.read_after(0, 100_000).await.unwrap();
    let report = to
        .ingest(ops.into_iter().map(|s| s.op).collect(), "peer")
        .await
        .unwrap();
    assert_eq!(report.refused, 0);
}

/// A cloud with the demo museum, and a site node enrolled with it that holds its ops.
async fn cloud_and_site() -> (Node, Arc<MemoryStore>, Node, Arc<MemoryStore>) {
    let (cloud, cloud_store, site, site_store, _) = cloud_and_enrolled_site().await;
    (cloud, cloud_store, site, site_store)
}

/// The same, and the site node's replication token.
async fn cloud_and_enrolled_site() -> (Node, Arc<MemoryStore>, Node, Arc<MemoryStore>, String) {
    let (cloud, cloud_store) =
        start("cloud-node-1", 1, [1; 32], NodeRole::Cloud, CLOUD_SERIALS).await;
    cloud.seed_demo().await.unwrap();
    let admin = demo_admin(&cloud).await;
    let code = cloud
        .create_enrolment(&admin, "site_node", "demo")
        .await
        .unwrap();
    let site_key = [2; 32];
    let public = IssuerKey::from_bytes(0, &site_key).public().to_bytes();
    let enrolled = cloud
        .redeem_enrolment(&code.code, "site", "site-node-1", Some(public))
        .await
        .unwrap();
    let (site, site_store) = start(
        "site-node-1",
        enrolled.key_id.unwrap(),
        site_key,
        NodeRole::SiteNode,
        enrolled.serials.unwrap(),
    )
    .await;
    let anchors = enrolled
        .trust_anchors
        .iter()
        .map(|(id, hex)| (*id, aspk_app::parse_hex32(hex).unwrap()))
        .collect();
    site.set_trust_anchors(anchors);
    replicate(&cloud_store, &site).await;
    (cloud, cloud_store, site, site_store, enrolled.token)
}

#[tokio::test]
async fn a_session_from_one_node_holds_at_the_other() {
    let (cloud, _, site, _) = cloud_and_site().await;
    let at_site = site.sign_in("admin", "demo", None).await.unwrap().token;
    assert!(at_site.starts_with("v2."), "{at_site}");
    assert_eq!(
        cloud.authenticate(&at_site).unwrap().username.as_str(),
        "admin"
    );
    let at_cloud = cloud.sign_in("admin", "demo", None).await.unwrap().token;
    assert_eq!(
        site.authenticate(&at_cloud).unwrap().username.as_str(),
        "admin"
    );
    // Twice: the second check comes from the cache of checked signatures.
    assert!(cloud.authenticate(&at_site).is_ok());

    // Any change to a signed token breaks it.
    let (body, sig) = at_site.rsplit_once('.').unwrap();
    let parts: Vec<&str> = body.split('.').collect();
    let later: i64 = parts[3].parse::<i64>().unwrap() + 3600;
    let longer = format!("v2.{}.{}.{later}.{}", parts[1], parts[2], parts[4]);
    for forged in [
        format!("{longer}.{sig}"),
        format!("{body}.{}", &sig[..sig.len() - 2]),
        format!("{}.{sig}", body.replace("v2.", "v1.")),
        at_site.replace("v2.YWRtaW4", "v2.b2xlbmE"),
    ] {
        assert!(cloud.authenticate(&forged).is_err(), "{forged}");
    }
}

#[tokio::test]
async fn a_new_password_or_a_revoked_node_ends_sessions_everywhere() {
    let (cloud, cloud_store, site, _) = cloud_and_site().await;
    let admin = demo_admin(&cloud).await;
    cloud
        .add_user(
            &admin.actor(),
            "olena",
            "correct horse",
            aspk_domain::Role::Cashier,
        )
        .await
        .unwrap();
    replicate(&cloud_store, &site).await;
    let olena = site
        .sign_in("olena", "correct horse", None)
        .await
        .unwrap()
        .token;
    let admins = site.sign_in("admin", "demo", None).await.unwrap().token;
    assert!(cloud.authenticate(&olena).is_ok());
    cloud
        .update_user(&admin, "olena", None, None, Some("battery staple".into()))
        .await
        .unwrap();
    assert!(
        cloud.authenticate(&olena).is_err(),
        "her old session ends at the cloud"
    );
    replicate(&cloud_store, &site).await;
    assert!(site.authenticate(&olena).is_err(), "and at the site node");

    assert!(cloud.authenticate(&admins).is_ok());
    let node_id = cloud
        .nodes(None)
        .into_iter()
        .find(|n| n.origin == "site-node-1")
        .unwrap()
        .node_id;
    cloud.revoke_node(&admin, &node_id, "stolen").await.unwrap();
    assert!(
        cloud.authenticate(&admins).is_err(),
        "a revoked site node's sessions end"
    );
}

#[tokio::test]
async fn a_root_key_the_site_node_was_not_given_is_refused() {
    let (_, _, site, _) = cloud_and_site().await;
    let evil = IssuerKey::from_bytes(9, &[9; 32]);
    let mut op = aspk_oplog::Op {
        origin: "evil-origin-1".into(),
        seq: 1,
        hlc: aspk_oplog::Hlc(1),
        actor: "system".into(),
        body: aspk_oplog::OpBody::KeyPublished {
            key_id: 9,
            public_key: aspk_app::to_hex(&evil.public().to_bytes()),
            holder: None,
            serials: Some(CLOUD_SERIALS),
            valid_from: None,
            valid_until: None,
        },
        sig: None,
    };
    op.sign_with(9, |m| evil.sign_detached(m));
    let report = site.ingest(vec![op], "peer").await.unwrap();
    assert_eq!((report.applied, report.refused), (0, 1));
    assert!(site.read(|s| !s.keys.contains_key(&9)));
    assert!(site.read(|s| s.findings.contains_key("forged_op:evil-origin-1:1")));
}

/// A one-ticket cash sale of the demo museum's adult ticket for `slot`, under `key`.
fn sale(slot: &str, key: &str) -> aspk_app::NewOrder {
    aspk_app::NewOrder {
        venue: "demo".into(),
        channel: aspk_domain::Channel::BoxOffice,
        items: vec![aspk_app::NewOrderItem {
            product: "adult".into(),
            slot: Some(slot.into()),
            quantity: 1,
        }],
        payment: aspk_domain::PaymentMethod::Cash,
        email: None,
        is_overbooking: false,
        mixed_cash_minor: None,
        name: None,
        idempotency_key: Some(key.into()),
    }
}

/// A sale attempt sent again (a lost answer, a page that failed over) finds the order the
/// first attempt made, at the same node or another that has it; two nodes that could not
/// see each other both sell, and every replica then reports one `duplicate_sale`.
#[tokio::test]
async fn a_repeated_sale_attempt_finds_its_order_or_is_reported() {
    let (a, a_store) = start("cloud-a-0001", 1, [1; 32], NodeRole::Cloud, CLOUD_SERIALS).await;
    let (b, b_store) = start("cloud-b-0002", 1, [1; 32], NodeRole::Cloud, CLOUD_SERIALS).await;
    a.seed_demo().await.unwrap();
    let admin = demo_admin(&a).await;
    let now = chrono::Utc::now();
    let new = aspk_app::NewSlot {
        starts_at: now - chrono::Duration::minutes(5),
        ends_at: now + chrono::Duration::hours(2),
        capacity: 20,
    };
    let slot = a.create_slot(&admin, "demo", new).await.unwrap().slot.id;

    // Again at the same node: the same order, nothing sold.
    let first = a
        .place_order(Some(&admin), sale(&slot, "k1"))
        .await
        .unwrap();
    assert!(!first.is_replay);
    let ops = a.read(|s| s.op_count);
    let again = a
        .place_order(Some(&admin), sale(&slot, "k1"))
        .await
        .unwrap();
    assert!(again.is_replay);
    assert_eq!(again.order.number, first.order.number);
    assert_eq!(again.codes, first.codes);
    assert_eq!(a.read(|s| s.op_count), ops);

    // At another node that has it: the same order.
    replicate(&a_store, &b).await;
    let elsewhere = b
        .place_order(Some(&admin), sale(&slot, "k1"))
        .await
        .unwrap();
    assert!(elsewhere.is_replay);
    assert_eq!(elsewhere.order.number, first.order.number);

    // At two nodes that cannot see each other: two orders, one finding everywhere.
    let at_a = a
        .place_order(Some(&admin), sale(&slot, "k2"))
        .await
        .unwrap();
    let at_b = b
        .place_order(Some(&admin), sale(&slot, "k2"))
        .await
        .unwrap();
    assert!(!at_b.is_replay);
    assert_ne!(at_a.order.number, at_b.order.number);
    replicate(&a_store, &b).await;
    replicate(&b_store, &a).await;
    let (low, high) = {
        let (x, y) = (at_a.order.number, at_b.order.number);
        (x.min(y), x.max(y))
    };
    for node in [&a, &b] {
        let finding = node.read(|s| s.findings["duplicate_sale:k2"].clone());
        assert_eq!(finding.kind, "duplicate_sale");
        let orders = finding.facts["orders"].as_array().unwrap().clone();
        let mut expected = vec![low.to_string(), high.to_string()];
        expected.sort();
        assert_eq!(orders, expected);
        let earliest = node.read(|s| s.orders.get(&low).unwrap().tickets[0]);
        assert_eq!(finding.ticket, Some(earliest));
        assert_eq!(node.read(|s| s.findings.len()), 1);
        // A later attempt finds the lower-numbered order, on both.
        let later = node
            .place_order(Some(&admin), sale(&slot, "k2"))
            .await
            .unwrap();
        assert_eq!(later.order.number, low);
    }
    assert_eq!(a.read(|s| s.digest()), b.read(|s| s.digest()));

    let bad = a.place_order(Some(&admin), sale(&slot, "not a key")).await;
    assert!(
        matches!(bad, Err(aspk_app::AppError::Invalid(_))),
        "{bad:?}"
    );
}

/// Puts the demo museum's open-date product `id` on sale, valid from today for `days` days.
async fn open_date_product(node: &Node, id: &str, days: i64) {
    let admin = demo_admin(node).await;
    let mut product = node.read(|s| {
        s.products
            .values()
            .find(|p| p.id.as_str() == "adult")
            .cloned()
            .unwrap()
    });
    let today = chrono::Utc::now().date_naive();
    product.id = aspk_domain::Slug::parse("product", id).unwrap();
    product.no = 0;
    product.validity = aspk_domain::ProductValidity::OpenDate {
        first: today,
        last: today + chrono::Duration::days(days),
    };
    node.save_product(&admin, product).await.unwrap();
}

/// A cash sale of one `product` (open date) at `node`: its ticket code, or the refusal.
async fn sell_open_date(node: &Node, product: &str) -> Result<String, aspk_app::AppError> {
    let admin = demo_admin(node).await;
    let mut new = sale("", &format!("k-{}", rand::random::<u32>()));
    new.items[0].product = product.into();
    new.items[0].slot = None;
    let placed = node.place_order(Some(&admin), new).await?;
    Ok(placed.codes.values().next().unwrap().clone())
}

async fn scan(node: &Node, code: &str) -> aspk_app::ScanResult {
    let admin = demo_admin(node).await;
    let input = aspk_app::ScanInput::Code(code.into());
    node.scan(&admin, input, "main", None).await.unwrap().result
}

/// A code signed with `key` for serial `serial` of the demo museum, usable on the days
/// `first..=last` (days since 1970-01-01).
fn code_for_days(node: &Node, key: &IssuerKey, serial: u64, first: i64, last: i64) -> String {
    let venue = node.read(|s| s.venues.values().next().unwrap().no);
    let claims = aspk_ticket::TicketClaims {
        serial,
        venue,
        product: 1,
        validity: aspk_ticket::Validity::Days {
            first_day: first as i32,
            last_day: last as i32,
        },
        needs_document_check: false,
    };
    aspk_ticket::issue(&claims, key).unwrap()
}

/// A delegated key is valid for a year: a code it signs that stays usable after the key's
/// end is refused at the gate (a stolen key mints nothing usable for long), and the site
/// node will not sell such a ticket.
#[tokio::test]
async fn a_delegated_key_signs_only_tickets_that_end_by_its_own_end() {
    let (cloud, _, site, _) = cloud_and_site().await;
    let key = site.ticket_key();
    let meta = cloud.read(|s| s.key_meta[&key.key_id].clone());
    let until = meta.valid_until.expect("a delegated key has an end");
    let now = chrono::Utc::now();
    assert!(meta.valid_from.unwrap() <= now);
    assert!(until > now + chrono::Duration::days(364), "{until}");
    let (today, key_day) = (now.timestamp() / 86_400, until.timestamp() / 86_400);
    let serial = meta.serials.unwrap().0 + 7;
    let inside = code_for_days(&cloud, &key, serial, today, key_day);
    let beyond = code_for_days(&cloud, &key, serial + 1, today, key_day + 1);
    assert_eq!(scan(&cloud, &beyond).await, aspk_app::ScanResult::Invalid);
    assert_eq!(scan(&cloud, &inside).await, aspk_app::ScanResult::Admit);
    // The organisation's root key has no end: its code is judged by what the log holds
    // (this one was never sold, so it is unknown, not refused for its key).
    let root = IssuerKey::from_bytes(1, &[1; 32]);
    let far = code_for_days(&cloud, &root, CLOUD_SERIALS.0 + 5, today, key_day + 400);
    assert_eq!(scan(&cloud, &far).await, aspk_app::ScanResult::Unknown);

    // The site node sells what its key covers, and refuses the rest plainly.
    open_date_product(&cloud, "month", 30).await;
    open_date_product(&cloud, "two-years", 730).await;
    let ops = cloud.store().read_after(0, 100_000).await.unwrap();
    site.ingest(ops.into_iter().map(|s| s.op).collect(), "peer")
        .await
        .unwrap();
    assert!(sell_open_date(&site, "month").await.is_ok());
    match sell_open_date(&site, "two-years").await {
        Err(aspk_app::AppError::Conflict { code, .. }) => assert_eq!(code, "beyond_key"),
        other => panic!("expected beyond_key, got {other:?}"),
    }
    assert!(sell_open_date(&cloud, "two-years").await.is_ok());
}

/// Renewal: the cloud delegates a new key in the same serial block (asking twice gives the
/// same key); the site node may switch only once the key's publication has reached it; its
/// ops and tickets signed before and after verify everywhere.
#[tokio::test]
async fn a_renewed_key_takes_over_and_the_older_one_stays_valid() {
    let (cloud, cloud_store, site, site_store, token) = cloud_and_enrolled_site().await;
    open_date_product(&cloud, "month", 30).await;
    replicate(&cloud_store, &site).await;
    let old = site.own_key().unwrap();
    let before = sell_open_date(&site, "month").await.unwrap();
    assert!(!site.key_due_for_renewal(chrono::Utc::now()));
    assert!(site.key_due_for_renewal(old.valid_until.unwrap() - chrono::Duration::days(100)));

    let node = cloud.authenticate_node(&token).unwrap();
    let seed = [3; 32];
    let public = IssuerKey::from_bytes(0, &seed).public().to_bytes();
    let renewed = cloud.renew_key(&node, public).await.unwrap();
    assert_ne!(renewed.key_id, old.key_id);
    assert_eq!(renewed.serials, old.serials);
    assert!(renewed.valid_until >= old.valid_until);
    assert_eq!(cloud.renew_key(&node, public).await.unwrap(), renewed);
    let issuer = || aspk_app::Issuer {
        key: IssuerKey::from_bytes(renewed.key_id, &seed),
        serials: renewed.serials,
    };
    assert!(
        site.switch_issuer(issuer()).is_err(),
        "not published here yet"
    );
    replicate(&cloud_store, &site).await;
    site.switch_issuer(issuer()).unwrap();
    assert_eq!(site.own_key().unwrap(), renewed);

    let after = sell_open_date(&site, "month").await.unwrap();
    assert_eq!(aspk_ticket::peek(&after).unwrap().1, renewed.key_id);
    assert_eq!(aspk_ticket::peek(&before).unwrap().1, old.key_id);
    // Every site op, signed with either key, is taken by the cloud (`replicate` checks).
    replicate(&site_store, &cloud).await;
    assert_eq!(scan(&cloud, &before).await, aspk_app::ScanResult::Admit);
    assert_eq!(scan(&cloud, &after).await, aspk_app::ScanResult::Admit);
    // Only the holder's own key is renewed: another node's public key is refused.
    let taken = IssuerKey::from_bytes(0, &[1; 32]).public().to_bytes();
    assert!(cloud.renew_key(&node, taken).await.is_err());
}
