//! The money rules of the box office, on one cloud node: cash handed over covers the cash
//! due, refunds go into the refunder's open shift (so a closed shift's report never changes),
//! and a used ticket is refunded only by a manager, with a reason.

#![allow(clippy::unwrap_used)]

use aspk_app::{AppError, CancelRequest, NewOrder, NewOrderItem, Node};
use aspk_domain::{Channel, ConflictCode, PaymentMethod, Role};
use aspk_ticket::HumanNumber;

use crate::museum::{cloud_with_demo, person, slot_open_now};

async fn museum() -> (Node, String) {
    let staff = [
        ("olena", Role::Cashier),
        ("petro", Role::Cashier),
        ("maria", Role::Manager),
    ];
    let node = cloud_with_demo("cloud-money-1", &staff).await;
    let slot = slot_open_now(&node, 100).await;
    (node, slot)
}

/// Two adult tickets (2 × 250,00) at the box office.
fn sale(slot: &str, payment: PaymentMethod, received: Option<i64>) -> NewOrder {
    NewOrder {
        venue: "demo".into(),
        channel: Channel::BoxOffice,
        items: vec![NewOrderItem {
            product: "adult".into(),
            slot: Some(slot.into()),
            quantity: 2,
        }],
        payment,
        email: None,
        is_overbooking: false,
        mixed_cash_minor: None,
        cash_received_minor: received,
        name: None,
        idempotency_key: None,
    }
}

fn number(serial: u64) -> String {
    HumanNumber::from_serial(serial).to_string()
}

fn refund(reason: &str) -> CancelRequest {
    CancelRequest {
        reason: reason.into(),
        refund: true,
    }
}

#[tokio::test]
async fn cash_handed_over_must_cover_the_cash_due() {
    let (node, slot) = museum().await;
    let olena = person("olena", Role::Cashier);
    node.open_shift(&olena, "demo", 0).await.unwrap();
    let short = node
        .place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, Some(49_999)))
        .await;
    assert!(
        matches!(&short, Err(AppError::Invalid(v)) if v.field == "tendered"),
        "{short:?}"
    );
    let mut mixed = sale(&slot, PaymentMethod::Cash, Some(19_999));
    mixed.mixed_cash_minor = Some(20_000);
    let short = node.place_order(Some(&olena), mixed.clone()).await;
    assert!(
        matches!(&short, Err(AppError::Invalid(v)) if v.field == "tendered"),
        "the cash part of a mixed payment: {short:?}"
    );
    let orders_before = node.shifts(&olena, 1)[0].clone();
    let report = node.shift_report(&olena, &orders_before.id).unwrap();
    assert_eq!(report.orders, 0, "a refused sale sells nothing");
    mixed.cash_received_minor = Some(20_000);
    node.place_order(Some(&olena), mixed).await.unwrap();
    node.place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, Some(50_000)))
        .await
        .unwrap();
    // Card takes the exact amount: cash handed over means nothing to it.
    node.place_order(Some(&olena), sale(&slot, PaymentMethod::Card, Some(0)))
        .await
        .unwrap();
    let report = node.shift_report(&olena, &orders_before.id).unwrap();
    assert_eq!(report.orders, 3);
    assert_eq!(report.expected_cash_minor, 20_000 + 50_000);
}

#[tokio::test]
async fn a_refund_goes_into_the_shift_that_makes_it_and_a_closed_report_never_changes() {
    let (node, slot) = museum().await;
    let olena = person("olena", Role::Cashier);
    let first = node.open_shift(&olena, "demo", 10_000).await.unwrap();
    let sold = node
        .place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, None))
        .await
        .unwrap();
    node.place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, None))
        .await
        .unwrap();
    let closed = node.close_shift(&olena, 110_000, "till ok").await.unwrap();
    assert_eq!(closed.difference_minor(), Some(0));
    assert_eq!(closed.shift.note, "till ok");

    // The cashier's own sale, its shift closed: hers to cancel no more.
    let maria = person("maria", Role::Manager);
    let refused = node
        .cancel_order(&maria, &number(sold.order.number), refund("wrong date"))
        .await;
    assert!(
        matches!(
            refused,
            Err(AppError::Conflict {
                code: ConflictCode::NoOpenShift,
                ..
            })
        ),
        "no shift open, no refund: {refused:?}"
    );
    let manager_shift = node.open_shift(&maria, "demo", 0).await.unwrap();
    node.cancel_order(&maria, &number(sold.order.number), refund("wrong date"))
        .await
        .unwrap();
    let after = node.shift_report(&olena, &first.id).unwrap();
    assert_eq!(after, closed, "the closed shift's report is final");
    let current = node.shift_report(&maria, &manager_shift.id).unwrap();
    assert_eq!(current.refunds_minor, 50_000);
    assert_eq!(current.cash_refunds_minor, 50_000);
    assert_eq!(current.expected_cash_minor, -50_000);
    assert_eq!(current.refunds.len(), 1);
    assert!(current.refunds[0].is_from_elsewhere);
    assert_eq!(current.net_minor(), -50_000);
}

#[tokio::test]
async fn only_a_manager_refunds_a_used_ticket_and_says_why() {
    let (node, slot) = museum().await;
    let olena = person("olena", Role::Cashier);
    node.open_shift(&olena, "demo", 0).await.unwrap();
    let sold = node
        .place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, None))
        .await
        .unwrap();
    let ticket = sold.tickets[0].serial;
    let code = sold.codes[&ticket].clone();
    let admitted = node
        .scan(&olena, aspk_app::ScanInput::Code(code), "main", None)
        .await
        .unwrap();
    assert_eq!(admitted.result, aspk_app::ScanResult::Admit);

    let refused = node
        .void_ticket(&olena, &number(ticket), refund("changed mind"))
        .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = node
        .cancel_order(&olena, &number(sold.order.number), refund("changed mind"))
        .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "the whole order holds a used ticket: {refused:?}"
    );
    // Cancelling the unused one with a refund stays the cashier's to do.
    node.void_ticket(
        &olena,
        &number(sold.tickets[1].serial),
        refund("one too many"),
    )
    .await
    .unwrap();

    let maria = person("maria", Role::Manager);
    let shift = node.open_shift(&maria, "demo", 0).await.unwrap();
    let refused = node.void_ticket(&maria, &number(ticket), refund(" ")).await;
    assert!(
        matches!(&refused, Err(AppError::Invalid(v)) if v.field == "reason"),
        "{refused:?}"
    );
    node.void_ticket(&maria, &number(ticket), refund("exhibition hall closed"))
        .await
        .unwrap();
    let report = node.shift_report(&maria, &shift.id).unwrap();
    assert_eq!(report.refunds_minor, 25_000);
}

#[tokio::test]
async fn the_page_offers_only_what_the_person_may_do() {
    let (node, slot) = museum().await;
    let olena = person("olena", Role::Cashier);
    let petro = person("petro", Role::Cashier);
    node.open_shift(&olena, "demo", 0).await.unwrap();
    let sold = node
        .place_order(Some(&olena), sale(&slot, PaymentMethod::Cash, None))
        .await
        .unwrap();
    let hers = node.cancel_rights(&olena, &sold.order);
    assert!(hers.cancel && hers.refund && !hers.refund_used);
    let his = node.cancel_rights(&petro, &sold.order);
    assert!(!his.cancel && !his.refund, "another cashier's sale");
    let maria = person("maria", Role::Manager);
    let hers = node.cancel_rights(&maria, &sold.order);
    assert!(
        hers.cancel && !hers.refund && hers.refund_used,
        "no shift open"
    );
}
