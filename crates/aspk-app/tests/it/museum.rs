//! What the single-node tests share: a cloud node on an in-memory store with the demo museum,
//! its staff, a slot open now, and the people who act.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aspk_app::{Node, NodeOptions, NodeRole, Principal, CLOUD_SERIALS};
use aspk_domain::{Role, Username};
use aspk_store::MemoryStore;
use aspk_ticket::IssuerKey;

/// A cloud node named `origin` with the demo museum, and `staff` added (password
/// `correct horse`, every venue).
pub async fn cloud_with_demo(origin: &str, staff: &[(&str, Role)]) -> Node {
    let node = Node::start(NodeOptions {
        store: Arc::new(MemoryStore::new()),
        origin: origin.into(),
        ticket_key: IssuerKey::from_bytes(1, &[7; 32]),
        token_secret: rand::random(),
        role: NodeRole::Cloud,
        serials: CLOUD_SERIALS,
        clock: aspk_domain::SystemClock::shared(),
        snapshot: None,
        trust_anchors: Vec::new(),
        max_clock_skew: chrono::Duration::minutes(5),
    })
    .await
    .unwrap();
    node.seed_demo().await.unwrap();
    let admin = person("admin", Role::Admin);
    for (name, role) in staff {
        node.add_user(&admin.actor(), name, "correct horse", *role, None)
            .await
            .unwrap();
    }
    node
}

/// A slot of the demo venue that began ten minutes ago and runs two hours: its id.
pub async fn slot_open_now(node: &Node, capacity: u32) -> String {
    let now = chrono::Utc::now();
    let new = aspk_app::NewSlot {
        starts_at: now - chrono::Duration::minutes(10),
        ends_at: now + chrono::Duration::hours(2),
        capacity,
    };
    node.create_slot(&person("admin", Role::Admin), "demo", new)
        .await
        .unwrap()
        .slot
        .id
}

/// A member of staff acting as `name` with `role`.
pub fn person(name: &str, role: Role) -> Principal {
    Principal {
        username: Username::parse(name).unwrap(),
        role,
    }
}
