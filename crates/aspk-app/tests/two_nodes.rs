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
    let (cloud, cloud_store) =
        start("cloud-node-1", 1, [1; 32], NodeRole::Cloud, CLOUD_SERIALS).await;
    cloud.seed_demo().await.unwrap();
    let admin = cloud
        .authenticate(&cloud.sign_in("admin", "demo").await.unwrap().token)
        .unwrap();
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
    (cloud, cloud_store, site, site_store)
}

#[tokio::test]
async fn a_session_from_one_node_holds_at_the_other() {
    let (cloud, _, site, _) = cloud_and_site().await;
    let at_site = site.sign_in("admin", "demo").await.unwrap().token;
    assert!(at_site.starts_with("v2."), "{at_site}");
    assert_eq!(
        cloud.authenticate(&at_site).unwrap().username.as_str(),
        "admin"
    );
    let at_cloud = cloud.sign_in("admin", "demo").await.unwrap().token;
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
    let admin = cloud
        .authenticate(&cloud.sign_in("admin", "demo").await.unwrap().token)
        .unwrap();
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
    let olena = site.sign_in("olena", "correct horse").await.unwrap().token;
    let admins = site.sign_in("admin", "demo").await.unwrap().token;
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
    let admin = a
        .authenticate(&a.sign_in("admin", "demo").await.unwrap().token)
        .unwrap();
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
