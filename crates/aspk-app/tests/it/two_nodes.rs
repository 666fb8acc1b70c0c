//! Two nodes of one organisation (a cloud and a site node enrolled with it, on in-memory
//! stores): staff sessions and what each node vouches for, and the site node trusts only
//! the root key it was given at enrolment.
//!
//! A session the cloud opens holds at every node; one a site node opens holds elsewhere
//! only for its own venue's staff. Sessions end everywhere when the person signs out or
//! their password changes, and a revoked site node's sessions end.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aspk_app::{Node, NodeOptions, NodeRole, CLOUD_SERIALS};
use aspk_store::MemoryStore;
use aspk_ticket::IssuerKey;

async fn start(
    origin: &str,
    key_id: u16,
    key: [u8; 32],
    role: NodeRole,
    serials: (u64, u64),
    trust_anchors: Vec<(u16, [u8; 32])>,
) -> (Node, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let node = Node::start(NodeOptions {
        store: store.clone(),
        origin: origin.into(),
        ticket_key: IssuerKey::from_bytes(key_id, &key),
        token_secret: rand::random(),
        role,
        serials,
        clock: aspk_domain::SystemClock::shared(),
        snapshot: None,
        trust_anchors,
        max_clock_skew: chrono::Duration::minutes(5),
    })
    .await
    .unwrap();
    (node, store)
}

/// The demo museum's admin, acting at `node` (signed in at the cloud; the log, not a
/// token, says what an admin may do).
async fn demo_admin(_node: &Node) -> aspk_app::Principal {
    aspk_app::Principal {
        username: aspk_domain::Username::parse("admin").unwrap(),
        role: aspk_domain::Role::Admin,
    }
}

/// Hands `to` what a pull from `from` gives it (its venue's ops in full, the rest as
/// elisions; nothing it may not hold), as replication does.
async fn replicate(from: &Node, to: &Node) {
    let scope = to.scope();
    let audience = scope.as_deref().map(|venue| aspk_oplog::Audience {
        venue,
        kind: aspk_oplog::AudienceKind::SiteNode {
            local_sign_in: true,
        },
    });
    let page = from
        .log_page(0, 100_000, Some(to.origin()), audience)
        .await
        .unwrap();
    let report = match audience {
        Some(_) => to.ingest_pulled(page.ops, "upstream").await.unwrap(),
        None => to.ingest(page.ops, "peer").await.unwrap(),
    };
    assert_eq!((report.refused, report.held), (0, 0));
}

/// A cloud with the demo museum, and a site node enrolled with it that holds its ops.
async fn cloud_and_site() -> (Node, Arc<MemoryStore>, Node, Arc<MemoryStore>) {
    let (cloud, cloud_store, site, site_store, _) = cloud_and_enrolled_site().await;
    (cloud, cloud_store, site, site_store)
}

/// The same, and the site node's replication token.
async fn cloud_and_enrolled_site() -> (Node, Arc<MemoryStore>, Node, Arc<MemoryStore>, String) {
    let (cloud, cloud_store) = start(
        "cloud-node-1",
        1,
        [1; 32],
        NodeRole::Cloud,
        CLOUD_SERIALS,
        Vec::new(),
    )
    .await;
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
    let anchors = enrolled
        .trust_anchors
        .iter()
        .map(|(id, hex)| (*id, aspk_app::parse_hex32(hex).unwrap()))
        .collect();
    let (site, site_store) = start(
        "site-node-1",
        enrolled.key_id.unwrap(),
        site_key,
        NodeRole::SiteNode,
        enrolled.serials.unwrap(),
        anchors,
    )
    .await;
    site.set_scope(Some("demo".into()));
    replicate(&cloud, &site).await;
    site.ensure_session_key().await.unwrap();
    replicate(&site, &cloud).await;
    (cloud, cloud_store, site, site_store, enrolled.token)
}

/// Adds `name` with `role` at the cloud (of venue `venue`, or the whole organisation).
async fn add_staff(cloud: &Node, name: &str, role: aspk_domain::Role, venue: Option<&str>) {
    let admin = demo_admin(cloud).await;
    cloud
        .add_user(&admin.actor(), name, "correct horse", role, venue)
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_hold_where_their_node_may_vouch_for_the_person() {
    let (cloud, _, site, _) = cloud_and_site().await;
    add_staff(&cloud, "olena", aspk_domain::Role::Cashier, Some("demo")).await;
    replicate(&cloud, &site).await;
    // The cloud vouches for everyone: its sessions hold at the site node.
    let at_cloud = cloud.sign_in("admin", "demo", None).await.unwrap().token;
    assert!(at_cloud.starts_with("v3."), "{at_cloud}");
    assert_eq!(
        site.authenticate(&at_cloud).unwrap().username.as_str(),
        "admin"
    );
    // The organisation's admin has no password at the site node: no sign-in there.
    assert!(matches!(
        site.sign_in("admin", "demo", None).await,
        Err(aspk_app::AppError::BadCredentials)
    ));
    // The venue's cashier signs in at the site node; that session holds at the cloud.
    let olena = site
        .sign_in("olena", "correct horse", None)
        .await
        .unwrap()
        .token;
    assert_eq!(
        cloud.authenticate(&olena).unwrap().username.as_str(),
        "olena"
    );
    // Twice: the second check comes from the cache of checked signatures.
    assert!(cloud.authenticate(&olena).is_ok());
    // A session the site node opened for the admin (handed over from the cloud) holds
    // there, never at the cloud: a site node cannot vouch for the organisation's admin.
    let code = cloud
        .handoff_code(&at_cloud, &site.session_key_id(), &[])
        .unwrap();
    let handed = site.redeem_handoff(&code).unwrap().issued.token;
    assert_eq!(
        site.authenticate(&handed).unwrap().username.as_str(),
        "admin"
    );
    assert!(cloud.authenticate(&handed).is_err());
    // A handoff code works once, and only at the node it was made for.
    assert!(site.redeem_handoff(&code).is_err());
    let for_cloud = site
        .handoff_code(&olena, &cloud.session_key_id(), &[])
        .unwrap();
    assert!(site.redeem_handoff(&for_cloud).is_err());
    assert!(cloud.redeem_handoff(&for_cloud).is_ok());

    // Any change to a signed token breaks it.
    let (body, sig) = olena.rsplit_once('.').unwrap();
    let parts: Vec<&str> = body.split('.').collect();
    let later: i64 = parts[4].parse::<i64>().unwrap() + 3600;
    let longer = format!(
        "v3.{}.{}.{}.{later}.{}.{}",
        parts[1], parts[2], parts[3], parts[5], parts[6]
    );
    for forged in [
        format!("{longer}.{sig}"),
        format!("{body}.{}", &sig[..sig.len() - 2]),
        olena.replace(parts[2], "YWRtaW4"),
    ] {
        assert!(cloud.authenticate(&forged).is_err(), "{forged}");
    }
}

#[tokio::test]
async fn sign_out_a_new_password_or_a_revoked_node_end_sessions_everywhere() {
    let (cloud, _, site, _) = cloud_and_site().await;
    let admin = demo_admin(&cloud).await;
    add_staff(&cloud, "olena", aspk_domain::Role::Cashier, Some("demo")).await;
    add_staff(&cloud, "petro", aspk_domain::Role::Cashier, Some("demo")).await;
    replicate(&cloud, &site).await;
    let olena = site
        .sign_in("olena", "correct horse", None)
        .await
        .unwrap()
        .token;
    assert!(cloud.authenticate(&olena).is_ok());
    cloud
        .update_user(&admin, "olena", None, None, Some("battery staple".into()))
        .await
        .unwrap();
    assert!(
        cloud.authenticate(&olena).is_err(),
        "her old session ends at the cloud"
    );
    replicate(&cloud, &site).await;
    assert!(site.authenticate(&olena).is_err(), "and at the site node");

    // Signing out at the site node ends the session at the cloud too, renewed or not.
    let petro = site
        .sign_in("petro", "correct horse", None)
        .await
        .unwrap()
        .token;
    let renewed = site.renew_session(&petro).unwrap().token;
    assert!(cloud.authenticate(&renewed).is_ok());
    site.end_session(&renewed).await.unwrap();
    assert!(site.authenticate(&petro).is_err());
    replicate(&site, &cloud).await;
    assert!(
        cloud.authenticate(&renewed).is_err(),
        "signed out everywhere"
    );
    assert!(cloud.authenticate(&petro).is_err());

    let again = site
        .sign_in("petro", "correct horse", None)
        .await
        .unwrap()
        .token;
    assert!(cloud.authenticate(&again).is_ok());
    let node_id = cloud
        .nodes(None)
        .into_iter()
        .find(|n| n.origin == "site-node-1")
        .unwrap()
        .node_id;
    cloud.revoke_node(&admin, &node_id, "stolen").await.unwrap();
    assert!(
        cloud.authenticate(&again).is_err(),
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
    // No key the site node trusts vouches for it: held back, never taken.
    assert_eq!((report.applied, report.held), (0, 1));
    assert!(site.inspect(|s| !s.keys().contains_key(&9)));
    assert!(site.inspect(|s| s.findings().contains_key("held_op:evil-origin-1:1")));
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
        cash_received_minor: None,
        name: None,
        idempotency_key: Some(key.into()),
    }
}

/// A sale attempt sent again (a lost answer, a page that failed over) finds the order the
/// first attempt made, at the same node or another that has it; two nodes that could not
/// see each other both sell, and every replica then reports one `duplicate_sale`.
#[tokio::test]
async fn a_repeated_sale_attempt_finds_its_order_or_is_reported() {
    let (a, _) = start(
        "cloud-a-0001",
        1,
        [1; 32],
        NodeRole::Cloud,
        CLOUD_SERIALS,
        vec![],
    )
    .await;
    let (b, _) = start(
        "cloud-b-0002",
        1,
        [1; 32],
        NodeRole::Cloud,
        CLOUD_SERIALS,
        vec![],
    )
    .await;
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
    let ops = a.inspect(|s| s.op_count());
    let again = a
        .place_order(Some(&admin), sale(&slot, "k1"))
        .await
        .unwrap();
    assert!(again.is_replay);
    assert_eq!(again.order.number, first.order.number);
    assert_eq!(again.codes, first.codes);
    assert_eq!(a.inspect(|s| s.op_count()), ops);

    // At another node that has it: the same order.
    replicate(&a, &b).await;
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
    replicate(&a, &b).await;
    replicate(&b, &a).await;
    let (low, high) = {
        let (x, y) = (at_a.order.number, at_b.order.number);
        (x.min(y), x.max(y))
    };
    for node in [&a, &b] {
        let finding = node.inspect(|s| s.findings()["duplicate_sale:k2"].clone());
        assert_eq!(finding.kind, "duplicate_sale");
        let orders = finding.facts["orders"].as_array().unwrap().clone();
        let mut expected = vec![low.to_string(), high.to_string()];
        expected.sort();
        assert_eq!(orders, expected);
        let earliest = node.inspect(|s| s.orders().get(&low).unwrap().tickets[0]);
        assert_eq!(finding.ticket, Some(earliest));
        assert_eq!(node.inspect(|s| s.findings().len()), 1);
        // A later attempt finds the lower-numbered order, on both.
        let later = node
            .place_order(Some(&admin), sale(&slot, "k2"))
            .await
            .unwrap();
        assert_eq!(later.order.number, low);
    }
    assert_eq!(a.inspect(|s| s.digest()), b.inspect(|s| s.digest()));

    let bad = a.place_order(Some(&admin), sale(&slot, "not a key")).await;
    assert!(
        matches!(bad, Err(aspk_app::AppError::Invalid(_))),
        "{bad:?}"
    );
}

/// Puts the demo museum's open-date product `id` on sale, valid from today for `days` days.
async fn open_date_product(node: &Node, id: &str, days: i64) {
    let admin = demo_admin(node).await;
    let mut product = node.inspect(|s| {
        s.products()
            .values()
            .find(|p| p.id.as_str() == "adult")
            .cloned()
            .unwrap()
    });
    let today = chrono::Utc::now().date_naive();
    product.id = aspk_domain::Slug::parse("product", id).unwrap();
    product.no = 0;
    product.shortcut = None;
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
    let venue = node.inspect(|s| s.venues().values().next().unwrap().no);
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
    let meta = cloud.inspect(|s| s.key_meta()[&key.key_id].clone());
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
    let (cloud, _, site, _, token) = cloud_and_enrolled_site().await;
    open_date_product(&cloud, "month", 30).await;
    replicate(&cloud, &site).await;
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
    replicate(&cloud, &site).await;
    site.switch_issuer(issuer()).unwrap();
    assert_eq!(site.own_key().unwrap(), renewed);

    let after = sell_open_date(&site, "month").await.unwrap();
    assert_eq!(aspk_ticket::peek(&after).unwrap().1, renewed.key_id);
    assert_eq!(aspk_ticket::peek(&before).unwrap().1, old.key_id);
    // Every site op, signed with either key, is taken by the cloud (`replicate` checks).
    replicate(&site, &cloud).await;
    assert_eq!(scan(&cloud, &before).await, aspk_app::ScanResult::Admit);
    assert_eq!(scan(&cloud, &after).await, aspk_app::ScanResult::Admit);
    // Only the holder's own key is renewed: another node's public key is refused.
    let taken = IssuerKey::from_bytes(0, &[1; 32]).public().to_bytes();
    assert!(cloud.renew_key(&node, taken).await.is_err());
}
