//! What the box office shows after a sale: the order, its live tickets with their
//! products, and how the last print went.

use aspk_domain::{Order, Printer, PrinterKind, Product, Slug, Ticket, TicketStatus, Venue};
use aspk_oplog::PrintRecord;

use crate::access::Action;
use crate::{AppError, Node, Principal};

/// A sale as the receipt screen shows it.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub order: Order,
    pub venue: Option<Venue>,
    pub tickets: Vec<ReceiptLine>,
    /// The last print of the order, if it was printed.
    pub last_print: Option<PrintRecord>,
    /// The printer of the last print, when it is still configured.
    pub last_printer: Option<Printer>,
}

/// One live ticket of a sale.
#[derive(Debug, Clone)]
pub struct ReceiptLine {
    pub serial: u64,
    pub product: Option<Product>,
    pub price_minor: i64,
}

impl Receipt {
    /// The cash the visitor paid (the cash part of a mixed payment).
    pub fn cash_minor(&self) -> i64 {
        self.order
            .payments
            .iter()
            .filter(|p| p.method == aspk_domain::PaymentMethod::Cash)
            .map(|p| p.amount_minor)
            .sum()
    }

    /// The paper of the PDF when the last print went to the browser's dialog.
    pub fn browser_paper(&self) -> Option<String> {
        let last = self.last_print.as_ref()?;
        match self.last_printer.as_ref().map(|p| &p.kind) {
            Some(PrinterKind::Browser { paper }) => Some(paper.clone()),
            Some(_) => None,
            None if last.printer == crate::browser_printer().id.as_str() => Some("80mm".into()),
            None => None,
        }
    }
}

/// An order with everything the order page shows of it.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub order: Order,
    pub venue: Option<Venue>,
    /// Every ticket of the order (void ones too), with its product.
    pub tickets: Vec<(Ticket, Option<Product>)>,
    /// Every print of the order, oldest first.
    pub prints: Vec<PrintRecord>,
}

impl Node {
    /// Order `number` (its serial) with its tickets, products and prints, for staff.
    pub fn order_record(&self, who: &Principal, number: u64) -> Result<OrderRecord, AppError> {
        who.require_to(Action::LookUpOrders)?;
        self.read(|s| {
            let order = s.orders().get(&number).ok_or_else(|| AppError::NotFound {
                what: "order",
                id: number.to_string(),
            })?;
            let tickets = order
                .tickets
                .iter()
                .filter_map(|t| s.tickets().get(t))
                .map(|t| {
                    let product = s
                        .products()
                        .get(&(t.venue.clone(), t.product.clone()))
                        .cloned();
                    (t, product)
                })
                .collect();
            Ok(OrderRecord {
                venue: s.venues().get(&order.venue).cloned(),
                prints: s.prints().get(&number).cloned().unwrap_or_default(),
                order: order.clone(),
                tickets,
            })
        })
    }

    /// The receipt of order `number` (its serial), for staff at the till: its live tickets
    /// and the last print.
    pub fn receipt(&self, who: &Principal, number: u64) -> Result<Receipt, AppError> {
        let record = self.order_record(who, number)?;
        let tickets = record
            .tickets
            .into_iter()
            .filter(|(t, _)| t.status != TicketStatus::Void)
            .map(|(t, product)| ReceiptLine {
                serial: t.serial,
                product,
                price_minor: t.price_minor,
            })
            .collect();
        let last_print = record.prints.last().cloned();
        let last_printer = last_print
            .as_ref()
            .and_then(|p| Slug::parse("printer", &p.printer).ok())
            .and_then(|id| self.read(|s| s.printers().get(&id).cloned()));
        Ok(Receipt {
            order: record.order,
            venue: record.venue,
            tickets,
            last_print,
            last_printer,
        })
    }
}
