//! `/paper`: paper tickets. Cashiers enter the paper sales they made during an outage;
//! managers also keep the paper stock (batches, their PDFs, the ledger of numbers issued
//! to cashiers, spoilt or voided, a CSV of it) and import the admissions recorded by hand
//! (a pasted list, a CSV, photos of e-tickets).

mod imports;
mod sales;
mod stock;

use askama::Template;
use aspk_app::{Action, AppError};
use aspk_domain::{format_ranges, Venue};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use super::Page;

pub use imports::{entries, photos, MAX_UPLOAD};
pub use sales::enter;
pub use stock::{create_batch, move_numbers, pdf, stock_csv};

/// What `/paper` is asked for: the venue and day (for the slots), and what the last action
/// did (after a redirect).
#[derive(Deserialize, Default)]
pub struct PaperQuery {
    venue: Option<String>,
    date: Option<NaiveDate>,
    /// The sale entered last (see `sales::SaleForm::after`).
    series: Option<String>,
    product: Option<String>,
    slot: Option<String>,
    payment: Option<String>,
    /// Cash entered in this sitting so far, in minor units.
    cash: Option<i64>,
    order: Option<u64>,
    count: Option<u32>,
    total: Option<i64>,
    numbers: Option<String>,
    capacity: Option<u32>,
    sold: Option<u32>,
    /// The cash counted, as typed.
    counted: Option<String>,
    /// A batch was created, or numbers moved (how many).
    created: Option<String>,
    moved: Option<u32>,
}

/// A choice of a select: value, words, chosen.
pub struct Choice {
    value: String,
    label: String,
    chosen: bool,
}

/// One batch of the stock table.
pub struct BatchRow {
    id: String,
    label: String,
    product: String,
    total: u32,
    in_stock: u32,
    with_cashiers: u32,
    sold: u32,
    spoilt: u32,
    voided: u32,
    /// Per cashier: name, numbers in hand, how many.
    cashiers: Vec<(String, String, u32)>,
    /// A running drill's stock.
    drill: bool,
}

/// What the page shows around its forms.
#[derive(Default)]
pub struct Notes {
    /// The sale entered, or the refusal of the one typed.
    entered: Option<sales::Entered>,
    sale_error: Option<String>,
    /// A stock action's message (done or refused) and whether it was refused.
    stock_note: Option<(String, bool)>,
    imported: Option<imports::Imported>,
}

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperView<'a> {
    page: &'a Page,
    title: String,
    venue: String,
    venues: Vec<Choice>,
    date: String,
    products: Vec<Choice>,
    slots: Vec<Choice>,
    sale: sales::SaleForm,
    notes: Notes,
    manage: bool,
    import: bool,
    batches: Vec<BatchRow>,
    moves: Vec<Choice>,
}

impl PaperView<'_> {
    /// "Imported 2, already used 0, unknown 0, unreadable 1".
    fn import_summary(&self, r: &imports::Imported) -> String {
        let args = [
            ("imported", r.imported.into()),
            ("used", r.already_used.into()),
            ("unknown", r.unknown.into()),
            ("unreadable", (r.unreadable.len() as u32).into()),
        ];
        self.page.t_args("paper-import-summary", &args)
    }

    /// A message for the page's script, its arguments left as `{name}` to fill in.
    fn js_text(&self, key: &str, names: &[&str]) -> String {
        let args: Vec<(&str, aspk_i18n::Arg)> = names
            .iter()
            .map(|n| (*n, format!("{{{n}}}").into()))
            .collect();
        self.page.t_args(key, &args)
    }

    fn import_findings(&self, r: &imports::Imported) -> String {
        let args = [("count", r.findings.into())];
        self.page.t_args("paper-import-findings", &args)
    }
}

pub async fn page(page: Page, Query(q): Query<PaperQuery>) -> Response {
    if let Err(refused) = page.require_section("/paper") {
        return *refused;
    }
    let Some(venue) = chosen_venue(&page, q.venue.as_deref()) else {
        return page.error(AppError::NotFound {
            what: "venue",
            id: q.venue.unwrap_or_default(),
        });
    };
    let mut notes = Notes::default();
    let sale = sales::SaleForm::after(&q);
    notes.entered = sales::Entered::from_query(&page, &q, venue.currency);
    if q.created.is_some() {
        notes.stock_note = Some((page.t("paper-batch-created"), false));
    }
    if let Some(n) = q.moved {
        let text = page.t_args("paper-moved", &[("count", n.into())]);
        notes.stock_note = Some((text, false));
    }
    render(&page, &venue, q.date, sale, notes, StatusCode::OK)
}

/// The venue asked for, or the first.
fn chosen_venue(page: &Page, asked: Option<&str>) -> Option<Venue> {
    let node = &page.state.node;
    let id = node.venue_or_first(asked.filter(|v| !v.is_empty()))?;
    node.venue(&id)
}

/// The page with its forms (the sale form filled with `sale`) and `notes`.
fn render(
    page: &Page,
    venue: &Venue,
    date: Option<NaiveDate>,
    sale: sales::SaleForm,
    notes: Notes,
    status: StatusCode,
) -> Response {
    let node = &page.state.node;
    let lang = page.lang.code();
    let id = venue.id.as_str();
    let catalog = match node.catalog(id, date) {
        Ok(c) => c,
        Err(e) => return page.error(e),
    };
    let tz = venue.tz();
    let products = catalog
        .products
        .iter()
        .map(|p| Choice {
            value: p.id.as_str().to_owned(),
            label: format!(
                "{} · {}",
                p.name.get(lang),
                page.money(p.price_minor, p.currency)
            ),
            chosen: sale.product == p.id.as_str(),
        })
        .collect();
    let slots = catalog
        .slots
        .iter()
        .map(|s| Choice {
            value: s.slot.id.clone(),
            label: format!(
                "{}–{} ({}/{})",
                s.slot.starts_at.with_timezone(&tz).format("%H:%M"),
                s.slot.ends_at.with_timezone(&tz).format("%H:%M"),
                s.sold,
                s.slot.capacity
            ),
            chosen: sale.slot == s.slot.id,
        })
        .collect();
    let venues = node
        .venues()
        .into_iter()
        .map(|v| Choice {
            chosen: v.id == venue.id,
            value: v.id.as_str().to_owned(),
            label: v.name.get(lang).to_owned(),
        })
        .collect();
    let manage = page.who.may(Action::ManageStock);
    let batches = if manage {
        batch_rows(page, venue)
    } else {
        Vec::new()
    };
    let moves = aspk_domain::StockMoveKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: page.t(&format!("paper-move-{}", k.as_str())),
            chosen: false,
        })
        .collect();
    let view = PaperView {
        page,
        title: page.t("paper-title"),
        venue: id.to_owned(),
        venues,
        date: catalog.date.to_string(),
        products,
        slots,
        sale,
        notes,
        manage,
        import: page.who.may(Action::ImportEntries),
        batches,
        moves,
    };
    page.render_with(status, &view)
}

/// The venue's batches with their figures, for the stock table.
fn batch_rows(page: &Page, venue: &Venue) -> Vec<BatchRow> {
    let node = &page.state.node;
    let summaries = node
        .stock_batches(&page.who, Some(venue.id.as_str()))
        .unwrap_or_default();
    let lang = page.lang.code();
    summaries
        .into_iter()
        .map(|s| {
            let b = &s.batch;
            let product = b
                .product
                .as_ref()
                .and_then(|p| {
                    node.catalog(venue.id.as_str(), None)
                        .ok()?
                        .products
                        .into_iter()
                        .find(|x| &x.id == p)
                        .map(|x| x.name.get(lang).to_owned())
                })
                .unwrap_or_else(|| page.t("paper-any-category"));
            BatchRow {
                id: b.id.clone(),
                label: format!("{}–{}", b.label(b.first), b.label(b.last)),
                product,
                total: s.counts.total,
                in_stock: s.counts.in_stock,
                with_cashiers: s.counts.with_cashiers,
                sold: s.counts.sold,
                spoilt: s.counts.spoilt,
                voided: s.counts.voided,
                cashiers: s
                    .cashiers
                    .iter()
                    .map(|c| {
                        let ranges = format_ranges(&c.in_hand, b.width);
                        (c.cashier.clone(), ranges, c.in_hand_count)
                    })
                    .collect(),
                drill: b.drill.is_some(),
            }
        })
        .collect()
}
