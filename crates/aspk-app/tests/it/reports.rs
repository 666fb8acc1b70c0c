//! The manager's report over a busy day: 200 mixed sales by three cashiers, refunds,
//! cancellations and admissions. Every table nets to the headline, the payment methods
//! count right, and the box office reconciles with the cashiers' closed shifts.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use aspk_app::{CancelRequest, NewOrder, NewOrderItem, Node, Principal, Report, Sales};
use aspk_domain::{Channel, PaymentMethod, Role};
use aspk_ticket::HumanNumber;

use crate::museum::{cloud_with_demo, person, slot_open_now};

const CASHIERS: [&str; 3] = ["olena", "petro", "ivan"];

async fn museum() -> (Node, String) {
    let mut staff: Vec<(&str, Role)> = CASHIERS.iter().map(|c| (*c, Role::Cashier)).collect();
    staff.push(("maria", Role::Manager));
    let node = cloud_with_demo("cloud-reports-1", &staff).await;
    let slot = slot_open_now(&node, 1000).await;
    (node, slot)
}

fn number(serial: u64) -> String {
    HumanNumber::from_serial(serial).to_string()
}

fn cancel(reason: &str, refund: bool) -> CancelRequest {
    CancelRequest {
        reason: reason.into(),
        refund,
    }
}

/// How the i-th sale is paid: cash, card, or cash + card (100,00 in cash).
#[derive(Clone, Copy, PartialEq)]
enum Pay {
    Cash,
    Card,
    Mixed,
}

/// The i-th sale: 1–3 adult tickets, and a reduced one every other sale.
fn sale(i: usize, slot: &str, pay: Pay) -> NewOrder {
    let mut items = vec![NewOrderItem {
        product: "adult".into(),
        slot: Some(slot.into()),
        quantity: 1 + u32::try_from(i % 3).unwrap(),
    }];
    if i.is_multiple_of(2) {
        items.push(NewOrderItem {
            product: "reduced".into(),
            slot: Some(slot.into()),
            quantity: 1,
        });
    }
    NewOrder {
        venue: "demo".into(),
        channel: Channel::BoxOffice,
        items,
        payment: if pay == Pay::Card {
            PaymentMethod::Card
        } else {
            PaymentMethod::Cash
        },
        email: None,
        is_overbooking: false,
        mixed_cash_minor: (pay == Pay::Mixed).then_some(10_000),
        cash_received_minor: None,
        name: None,
        idempotency_key: None,
    }
}

/// What the test expects per method: orders with a ticket left, tickets, gross.
#[derive(Default, Debug, PartialEq)]
struct Expected {
    orders: u32,
    tickets: u32,
    gross: i64,
}

fn tables(report: &Report) -> Vec<(&'static str, Vec<Sales>)> {
    vec![
        ("by day", report.by_day.values().cloned().collect()),
        (
            "by ticket type",
            report.by_product.iter().map(|p| p.sales.clone()).collect(),
        ),
        ("by channel", report.by_channel.values().cloned().collect()),
        ("by method", report.by_method.values().cloned().collect()),
        ("by cashier", report.by_cashier.values().cloned().collect()),
    ]
}

#[tokio::test]
async fn a_busy_day_reconciles_across_every_table_and_the_shifts() {
    let (node, slot) = museum().await;
    let cashiers: Vec<Principal> = CASHIERS.iter().map(|n| person(n, Role::Cashier)).collect();
    for cashier in &cashiers {
        node.open_shift(cashier, "demo", 50_000).await.unwrap();
    }
    let mut expected: BTreeMap<&str, Expected> = BTreeMap::new();
    let mut used_ticket = None;
    for i in 0..200 {
        let cashier = &cashiers[i % 3];
        let pay = [Pay::Cash, Pay::Card, Pay::Mixed][(i / 3) % 3];
        let placed = node
            .place_order(Some(cashier), sale(i, &slot, pay))
            .await
            .unwrap();
        let order = number(placed.order.number);
        let first_ticket = number(placed.tickets[0].serial);
        let mut live = u32::try_from(placed.tickets.len()).unwrap();
        match i % 10 {
            // Cancelled and paid back whole.
            3 => {
                node.cancel_order(cashier, &order, cancel("changed plans", true))
                    .await
                    .unwrap();
                live = 0;
            }
            // Cancelled, the money kept (a no-show's penalty).
            5 if i % 20 == 5 => {
                node.cancel_order(cashier, &order, cancel("no refund", false))
                    .await
                    .unwrap();
                live = 0;
            }
            // One ticket paid back.
            7 => {
                node.void_ticket(cashier, &first_ticket, cancel("one too many", true))
                    .await
                    .unwrap();
                live -= 1;
            }
            // A few admissions.
            1 if i % 30 == 1 => {
                let code = placed.codes[&placed.tickets[0].serial].clone();
                node.scan(cashier, aspk_app::ScanInput::Code(code), "main", None)
                    .await
                    .unwrap();
                used_ticket.get_or_insert((first_ticket, placed.tickets[0].price_minor));
            }
            _ => {}
        }
        let paid: Vec<(PaymentMethod, i64)> = placed
            .order
            .payments
            .iter()
            .map(|p| (p.method, p.amount_minor))
            .collect();
        for (method, amount) in &paid {
            let line = expected.entry(method.as_str()).or_default();
            line.orders += u32::from(live > 0);
            line.gross += amount;
        }
        // A mixed sale pays more by card than its 100,00 in cash: its tickets count as card.
        let main = if pay == Pay::Cash { "cash" } else { "card" };
        expected.entry(main).or_default().tickets += live;
    }

    // A manager pays back a ticket that already admitted someone, in her own shift.
    let maria = person("maria", Role::Manager);
    node.open_shift(&maria, "demo", 0).await.unwrap();
    let (used, used_price) = used_ticket.unwrap();
    node.void_ticket(&maria, &used, cancel("the hall was closed", true))
        .await
        .unwrap();
    expected.get_mut("cash").unwrap().tickets -= 1;

    let today = node.today_at("demo");
    let report = node.report(&maria, "demo", today, today).unwrap();
    let total = &report.total;
    assert!(total.refunds_minor > 0 && total.amount_minor > total.refunds_minor);
    for (name, rows) in tables(&report) {
        let mut sum = Sales::default();
        for row in &rows {
            assert_eq!(
                row.amount_minor - row.refunds_minor,
                row.net_minor(),
                "{name}"
            );
            sum.amount_minor += row.amount_minor;
            sum.refunds_minor += row.refunds_minor;
            sum.tickets += row.tickets;
        }
        assert_eq!(sum.net_minor(), total.net_minor(), "net {name}");
        assert_eq!(sum.amount_minor, total.amount_minor, "gross {name}");
        assert_eq!(sum.refunds_minor, total.refunds_minor, "refunds {name}");
        assert_eq!(sum.tickets, total.tickets, "tickets {name}");
    }
    for (method, want) in &expected {
        let got = &report.by_method[method];
        assert_eq!(got.orders, want.orders, "{method} orders");
        assert_eq!(got.tickets, want.tickets, "{method} tickets");
        assert_eq!(got.amount_minor, want.gross, "{method} gross");
    }
    assert!(expected["cash"].orders > 0 && expected["card"].orders > 0);
    assert_eq!(report.used_refunds.tickets, 1);
    assert_eq!(report.used_refunds.refunds_minor, used_price);

    // The shifts' Z reports, once closed, add up to the box office's gross and refunds.
    let mut everyone = cashiers.clone();
    everyone.push(maria.clone());
    let mut ids = Vec::new();
    for who in &everyone {
        let open = node.open_shift_of(who).unwrap();
        let x = node.shift_report(who, &open.id).unwrap();
        node.close_shift(who, x.expected_cash_minor.max(0), "day end")
            .await
            .unwrap();
        ids.push(open.id);
    }
    let (mut sales, mut refunds) = (0, 0);
    for id in &ids {
        let z = node.shift_report(&maria, id).unwrap();
        assert!(z.is_final());
        sales += z.sales_minor();
        refunds += z.refunds_minor;
    }
    let box_office = &report.by_channel["box_office"];
    assert_eq!(
        sales, box_office.amount_minor,
        "gross against the Z reports"
    );
    assert_eq!(
        refunds, box_office.refunds_minor,
        "refunds against the Z reports"
    );
}
