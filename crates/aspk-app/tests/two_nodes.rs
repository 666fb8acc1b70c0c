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
