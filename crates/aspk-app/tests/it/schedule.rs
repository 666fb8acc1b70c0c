//! The schedule in the settings, on one cloud node: an admin changes a slot's capacity
//! (never below what is sold), closes and reopens it (a closed slot is not sold), deletes
//! one nothing was sold for, and a weekly pattern that overlaps existing slots creates
//! nothing and says which.

#![allow(clippy::unwrap_used)]

use aspk_app::{AppError, NewOrder, NewOrderItem, Node, Principal, WeeklyPattern};
use aspk_domain::{Channel, ConflictCode, PaymentMethod, Role};
use chrono::{NaiveDate, NaiveTime, Utc, Weekday};

use crate::museum::{cloud_with_demo, person};

async fn museum() -> Node {
    cloud_with_demo("cloud-schedule-1", &[]).await
}

fn admin() -> Principal {
    person("admin", Role::Admin)
}

async fn new_slot(node: &Node, capacity: u32) -> String {
    let now = Utc::now();
    let new = aspk_app::NewSlot {
        starts_at: now - chrono::Duration::minutes(10),
        ends_at: now + chrono::Duration::hours(2),
        capacity,
    };
    node.create_slot(&admin(), "demo", new)
        .await
        .unwrap()
        .slot
        .id
}

/// `quantity` adult tickets for `slot`, paid by card at the box office.
async fn sell(node: &Node, slot: &str, quantity: u32) -> Result<(), AppError> {
    let order = NewOrder {
        venue: "demo".into(),
        channel: Channel::BoxOffice,
        items: vec![NewOrderItem {
            product: "adult".into(),
            slot: Some(slot.into()),
            quantity,
        }],
        payment: PaymentMethod::Card,
        email: None,
        is_overbooking: false,
        mixed_cash_minor: None,
        cash_received_minor: None,
        name: None,
        idempotency_key: None,
    };
    node.place_order(Some(&admin()), order).await.map(|_| ())
}

async fn museum_with_sales() -> (Node, String) {
    let node = museum().await;
    node.open_shift(&admin(), "demo", 0).await.unwrap();
    let slot = new_slot(&node, 10).await;
    sell(&node, &slot, 3).await.unwrap();
    (node, slot)
}

/// Slot `id` of this week, as the week view shows it.
fn this_week(node: &Node, id: &str) -> Option<aspk_oplog::SlotState> {
    let today = node.today_at("demo");
    let week = node.week_slots(&admin(), "demo", today).unwrap();
    week.into_iter().map(|w| w.slot).find(|s| s.slot.id == id)
}

fn capacity(node: &Node, slot: &str) -> u32 {
    this_week(node, slot).unwrap().slot.capacity
}

fn conflict(result: &Result<impl std::fmt::Debug, AppError>) -> Option<ConflictCode> {
    match result {
        Err(AppError::Conflict { code, .. }) => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn an_admin_changes_the_capacity_but_never_below_what_is_sold() {
    let (node, slot) = museum_with_sales().await;
    let changed = node.change_slot(&admin(), &slot, Some(30), None).await;
    assert_eq!(changed.unwrap().slot.capacity, 30);
    let below = node.change_slot(&admin(), &slot, Some(2), None).await;
    assert_eq!(conflict(&below), Some(ConflictCode::BelowSold), "{below:?}");
    assert_eq!(capacity(&node, &slot), 30);
    node.change_slot(&admin(), &slot, Some(3), None)
        .await
        .unwrap();
    assert_eq!(capacity(&node, &slot), 3);
    let zero = node.change_slot(&admin(), &slot, Some(0), None).await;
    assert!(matches!(&zero, Err(AppError::Invalid(v)) if v.field == "capacity"));
}

#[tokio::test]
async fn a_closed_slot_is_not_sold_until_it_is_reopened() {
    let (node, slot) = museum_with_sales().await;
    node.change_slot(&admin(), &slot, None, Some(true))
        .await
        .unwrap();
    let refused = sell(&node, &slot, 1).await;
    assert_eq!(
        conflict(&refused),
        Some(ConflictCode::SlotClosed),
        "{refused:?}"
    );
    let offered = |node: &Node| {
        let catalog = node.catalog("demo", None).unwrap();
        catalog.slots.iter().any(|s| s.slot.id == slot)
    };
    assert!(
        !offered(&node),
        "the box office does not offer a closed slot"
    );
    node.change_slot(&admin(), &slot, None, Some(false))
        .await
        .unwrap();
    assert!(offered(&node));
    sell(&node, &slot, 1).await.unwrap();
    assert_eq!(this_week(&node, &slot).unwrap().sold, 4);
}

#[tokio::test]
async fn an_unsold_slot_is_deleted_and_a_sold_one_is_not() {
    let (node, sold) = museum_with_sales().await;
    let delete = node.delete_slot(&admin(), &sold).await;
    assert_eq!(
        conflict(&delete),
        Some(ConflictCode::SlotSold),
        "{delete:?}"
    );
    assert!(this_week(&node, &sold).is_some());

    let unsold = new_slot(&node, 10).await;
    let today = node.today_at("demo");
    let listed = |node: &Node| -> Vec<String> {
        let week = node.week_slots(&admin(), "demo", today).unwrap();
        week.into_iter().map(|w| w.slot.slot.id).collect()
    };
    assert!(listed(&node).contains(&unsold));
    node.delete_slot(&admin(), &unsold).await.unwrap();
    assert!(!listed(&node).contains(&unsold));
    assert!(listed(&node).contains(&sold));
    let again = node.delete_slot(&admin(), &unsold).await;
    assert!(matches!(again, Err(AppError::NotFound { .. })));
    let sale = sell(&node, &unsold, 1).await;
    assert!(sale.is_err(), "a deleted slot is not sold");
}

#[tokio::test]
async fn a_manager_may_not_change_slots() {
    let (node, slot) = museum_with_sales().await;
    let manager = person("admin", Role::Manager);
    let changed = node.change_slot(&manager, &slot, Some(50), None).await;
    assert!(
        matches!(changed, Err(AppError::Forbidden(_))),
        "{changed:?}"
    );
    let deleted = node.delete_slot(&manager, &slot).await;
    assert!(matches!(deleted, Err(AppError::Forbidden(_))));
}

fn pattern(day: NaiveDate, starts: &[&str], capacity: u32) -> WeeklyPattern {
    WeeklyPattern {
        from: day,
        to: day,
        weekdays: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed],
        starts: starts
            .iter()
            .map(|t| NaiveTime::parse_from_str(t, "%H:%M").unwrap())
            .collect(),
        minutes: 60,
        capacity,
        closed_days: vec![],
        skip_overlaps: false,
    }
}

#[tokio::test]
async fn an_overlapping_pattern_creates_nothing_and_names_the_overlaps() {
    let node = museum().await;
    // A Monday far from the demo's slots.
    let monday = NaiveDate::from_ymd_opt(2031, 3, 3).unwrap();
    let count = |node: &Node| node.week_slots(&admin(), "demo", monday).unwrap().len();
    let first = node
        .apply_schedule(&admin(), "demo", pattern(monday, &["10:00", "12:00"], 50))
        .await
        .unwrap();
    assert_eq!((first.created, first.overlaps.len()), (2, 0));

    // The same start with another capacity, and 12:30 inside 12:00–13:00.
    let clash = node
        .apply_schedule(
            &admin(),
            "demo",
            pattern(monday, &["10:00", "12:30", "15:00"], 30),
        )
        .await
        .unwrap();
    assert_eq!(clash.created, 0);
    assert_eq!(count(&node), 2, "nothing was created");
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Europe::Kyiv)
            .format("%H:%M")
            .to_string()
    };
    let clashes: Vec<(String, String)> = clash
        .overlaps
        .iter()
        .map(|o| (local(o.starts_at), local(o.existing.starts_at)))
        .collect();
    assert_eq!(
        clashes,
        [
            ("10:00".to_owned(), "10:00".to_owned()),
            ("12:30".to_owned(), "12:00".to_owned())
        ]
    );

    // Run again exactly: nothing new, nothing reported.
    let again = node
        .apply_schedule(&admin(), "demo", pattern(monday, &["10:00", "12:00"], 50))
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.existing, again.overlaps.len()),
        (0, 2, 0)
    );

    // Asked to skip the overlaps, the rest is created.
    let mut skipping = pattern(monday, &["10:00", "12:30", "15:00"], 30);
    skipping.skip_overlaps = true;
    let skipped = node
        .apply_schedule(&admin(), "demo", skipping)
        .await
        .unwrap();
    assert_eq!((skipped.created, skipped.overlaps.len()), (1, 2));
    assert_eq!(count(&node), 3);
}
