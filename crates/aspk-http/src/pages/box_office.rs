//! The box office: pick the day and slot, the quantities per category, the payment; sell
//! with Enter; the tickets print at once. Keyboard first (see /static/box-office.js).

use aspk_app::{AppError, NewOrder, NewOrderItem};
use aspk_domain::{Channel, PaymentMethod, ProductValidity, Slug, TicketStatus};
use aspk_i18n::Arg;
use aspk_ticket::HumanNumber;
use axum::extract::{Form, Path, Query};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::frame::{form_field, redirect};
use super::printing::{chosen_printer, print_order, PRINTER_COOKIE};
use super::{escape, Page};

#[derive(Deserialize, Default)]
pub struct BoxOfficeQuery {
    venue: Option<String>,
    date: Option<NaiveDate>,
    slot: Option<String>,
}

/// The venue the box office sells for: asked for, or the first one.
fn venue_id(page: &Page, asked: Option<&str>) -> Option<String> {
    page.state.node.read(|s| {
        asked
            .and_then(|a| Slug::parse("venue", a).ok())
            .filter(|id| s.venues.contains_key(id))
            .or_else(|| s.venues.keys().next().cloned())
            .map(|id| id.as_str().to_owned())
    })
}

pub async fn page(page: Page, headers: HeaderMap, Query(q): Query<BoxOfficeQuery>) -> Response {
    render(&page, &headers, &q, None)
}

fn render(page: &Page, headers: &HeaderMap, q: &BoxOfficeQuery, error: Option<String>) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let title = page.t("nav-box-office");
    let Some(venue) = venue_id(page, q.venue.as_deref()) else {
        return page.html(&title, &format!("<p>{}</p>", page.e("box-no-venue")));
    };
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(&e)))
        .unwrap_or_default();
    let shift = page
        .state
        .node
        .read(|s| s.open_shift(&page.who.actor()).cloned());
    let Some(shift) = shift else {
        return page.html(&title, &format!("{error}{}", open_shift_form(page, &venue)));
    };
    let catalog = match page.state.node.catalog(&venue, q.date) {
        Ok(c) => c,
        Err(e) => return page.error(e),
    };
    let printer = chosen_printer(page, headers);
    let lang = page.lang.code();
    let currency = catalog.venue.currency;
    let shift_bar = format!(
        "<p class=\"shift-bar\">{} · <a href=\"/shifts\">{}</a></p>",
        escape(&page.t_args(
            "box-shift-open",
            &[
                (
                    "time",
                    page.time(shift.opened_at, Some(&catalog.venue)).into()
                ),
                (
                    "float",
                    page.money(shift.float_minor, shift.currency).into()
                ),
            ]
        )),
        page.e("box-close-shift"),
    );
    let tz = catalog.venue.tz();
    let slot_options: String = catalog
        .slots
        .iter()
        .filter(|s| s.slot.ends_at > page.state.node.now())
        .map(|s| {
            let left = page.state.node.seats_for_sale(s);
            let start = s.slot.starts_at.with_timezone(&tz).format("%H:%M");
            let end = s.slot.ends_at.with_timezone(&tz).format("%H:%M");
            let seats = page.t_args("seats-left", &[("count", Arg::from(left))]);
            let selected = if q.slot.as_deref() == Some(s.slot.id.as_str()) {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{id}\" data-left=\"{left}\"{selected}>{start}–{end} · {seats}</option>",
                id = escape(&s.slot.id),
                seats = escape(&seats)
            )
        })
        .collect();
    let no_slots = if slot_options.is_empty() {
        format!("<option value=\"\">{}</option>", page.e("box-no-slots"))
    } else {
        String::new()
    };
    let rows: String = catalog
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let key = i + 1;
            let doc = p
                .document
                .as_ref()
                .map(|d| format!("<span class=\"doc\">{}</span>", escape(&page.t_args("box-check-document", &[("document", d.get(lang).into())]))))
                .unwrap_or_default();
            let timed = matches!(p.validity, ProductValidity::Timed);
            format!(
                "<tr><td><kbd>Alt+{key}</kbd></td><td><label for=\"qty-{id}\">{name}</label> <span class=\"cat cat-{cat}\">{catname}</span> {doc}</td>\
                 <td class=\"num\">{price}</td><td><input class=\"qty\" id=\"qty-{id}\" name=\"qty-{id}\" type=\"number\" min=\"0\" max=\"50\" value=\"0\" inputmode=\"numeric\" data-key=\"{key}\" data-price=\"{minor}\" data-timed=\"{timed}\"></td></tr>",
                id = escape(p.id.as_str()),
                name = escape(p.name.get(lang)),
                cat = p.category.as_str(),
                catname = page.e(&format!("category-{}", p.category.as_str())),
                price = page.money(p.price_minor, currency),
                minor = p.price_minor,
            )
        })
        .collect();
    let printers = printer_select(page, &printer.id);
    let body = format!(
        "{error}{shift_bar}\
         <form method=\"get\" action=\"/box-office\" class=\"inline\"><input type=\"hidden\" name=\"venue\" value=\"{venue}\">\
         <label for=\"date\">{date_l}</label><input id=\"date\" name=\"date\" type=\"date\" value=\"{date}\" data-autosubmit></form>\
         <form id=\"sale\" method=\"post\" action=\"/box-office/sell\" data-venue=\"{venue}\" data-date=\"{date}\" data-lang=\"{lang}\" data-retrying=\"{retrying}\" data-handed=\"{handed}\">{csrf}\
         <input type=\"hidden\" name=\"venue\" value=\"{venue}\"><input type=\"hidden\" name=\"date\" value=\"{date}\">\
         <input type=\"hidden\" name=\"sale_key\" value=\"{sale_key}\">\
         <label for=\"slot\">{slot_l}</label><select id=\"slot\" name=\"slot\">{slot_options}{no_slots}</select>\
         <table class=\"products\"><thead><tr><th>{key_l}</th><th>{product_l}</th><th>{price_l}</th><th>{qty_l}</th></tr></thead><tbody>{rows}</tbody></table>\
         <fieldset class=\"payment\"><legend>{pay_l}</legend>\
         <label><input type=\"radio\" name=\"payment\" value=\"cash\" checked accesskey=\"g\"> {cash_l}</label>\
         <label><input type=\"radio\" name=\"payment\" value=\"card\" accesskey=\"k\"> {card_l}</label>\
         <label><input type=\"radio\" name=\"payment\" value=\"mixed\"> {mixed_l}</label>\
         <label for=\"tendered\">{tendered_l}</label><input id=\"tendered\" name=\"tendered\" inputmode=\"decimal\" autocomplete=\"off\">\
         <label for=\"mixed_cash\">{mixed_cash_l}</label><input id=\"mixed_cash\" name=\"mixed_cash\" inputmode=\"decimal\" autocomplete=\"off\">\
         </fieldset>\
         <p class=\"total\">{total_l}: <output id=\"total\" data-currency=\"{cur}\">{zero}</output> · {change_l}: <output id=\"change\">—</output></p>\
         <button class=\"primary big\" id=\"sell\" type=\"submit\">{sell_l}</button></form>\
         <form method=\"post\" action=\"/box-office/printer\" class=\"inline printer\">{csrf}<label for=\"printer\">{printer_l}</label>\
         <select id=\"printer\" name=\"printer\" data-autosubmit>{printers}</select></form>\
         <p class=\"hint\">{hint}</p><script type=\"module\" src=\"/static/box-office.js\"></script>",
        venue = escape(&venue),
        date = catalog.date,
        lang = lang,
        csrf = page.csrf_field(),
        // Names this sale attempt: sent again (after a failover) it finds the order it made.
        sale_key = aspk_app::to_hex(&rand::random::<[u8; 16]>()),
        date_l = page.e("box-date"),
        slot_l = page.e("box-slot"),
        key_l = page.e("box-key"),
        product_l = page.e("box-product"),
        price_l = page.e("box-price"),
        qty_l = page.e("box-quantity"),
        pay_l = page.e("box-payment"),
        cash_l = page.e("payment-cash"),
        card_l = page.e("payment-card"),
        mixed_l = page.e("payment-mixed"),
        tendered_l = page.e("box-tendered"),
        mixed_cash_l = page.e("box-mixed-cash"),
        total_l = page.e("box-total"),
        change_l = page.e("box-change"),
        cur = currency.as_str(),
        zero = page.money(0, currency),
        sell_l = page.e("box-sell"),
        retrying = page.e("box-retrying"),
        handed = page.e("box-handed-sale"),
        printer_l = page.e("box-printer"),
        hint = page.e("box-hint"),
    );
    page.html(&title, &body)
}

fn printer_select(page: &Page, chosen: &Slug) -> String {
    let mut printers: Vec<aspk_domain::Printer> = page
        .state
        .node
        .read(|s| s.printers.values().cloned().collect());
    if printers.is_empty() {
        printers.push(super::printing::browser_printer());
    }
    printers
        .iter()
        .map(|p| {
            let selected = if &p.id == chosen { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(p.id.as_str()),
                escape(&p.name)
            )
        })
        .collect()
}

fn open_shift_form(page: &Page, venue: &str) -> String {
    format!(
        "<p>{}</p><form method=\"post\" action=\"/shifts/open\">{}\
         <input type=\"hidden\" name=\"venue\" value=\"{}\">\
         <label for=\"float\">{}</label><input id=\"float\" name=\"float\" inputmode=\"decimal\" value=\"0\" autofocus required>\
         <div><button class=\"primary\" type=\"submit\">{}</button></div></form>",
        page.e("box-no-shift"),
        page.csrf_field(),
        escape(venue),
        page.e("shift-float"),
        page.e("shift-open"),
    )
}

pub async fn sell(
    page: Page,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/box-office") {
        return *refused;
    }
    let back = BoxOfficeQuery {
        venue: Some(field("venue")),
        date: field("date").parse().ok(),
        slot: Some(field("slot")).filter(|s| !s.is_empty()),
    };
    match sale_from_form(&page, &fields, &field) {
        Ok((order, tendered)) => match page.state.node.place_order(Some(&page.who), order).await {
            Ok(placed) => {
                let number = placed.order.number;
                // A repeated attempt prints only when the first one did not get to print.
                let printed =
                    placed.is_replay && page.state.node.read(|s| s.prints.contains_key(&number));
                if !printed {
                    let printer = chosen_printer(&page, &headers);
                    print_order(&page, number, &printer).await;
                }
                let tendered = tendered
                    .map(|t| format!("?tendered={t}"))
                    .unwrap_or_default();
                redirect(&format!("/box-office/sale/{number}{tendered}"))
            }
            Err(e) => render(&page, &headers, &back, Some(page.error_text(&e))),
        },
        Err(e) => render(&page, &headers, &back, Some(page.error_text(&e))),
    }
}

/// The order the form describes, and the cash the visitor handed over (for the change).
fn sale_from_form(
    page: &Page,
    fields: &[(String, String)],
    field: &dyn Fn(&str) -> String,
) -> Result<(NewOrder, Option<i64>), AppError> {
    let venue = field("venue");
    let slot = field("slot");
    let timed: Vec<(String, bool)> = page.state.node.read(|s| {
        Slug::parse("venue", &venue)
            .map(|v| {
                s.products_of(&v)
                    .map(|p| {
                        (
                            p.id.as_str().to_owned(),
                            matches!(p.validity, ProductValidity::Timed),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let mut items = Vec::new();
    for (name, value) in fields {
        let Some(product) = name.strip_prefix("qty-") else {
            continue;
        };
        let value = value.trim();
        let quantity: u32 = if value.is_empty() {
            0
        } else {
            value
                .parse()
                .map_err(|_| AppError::invalid("quantity", "must be a whole number"))?
        };
        if quantity == 0 {
            continue;
        }
        let is_timed = timed.iter().any(|(id, t)| id == product && *t);
        items.push(NewOrderItem {
            product: product.to_owned(),
            slot: (is_timed && !slot.is_empty()).then(|| slot.clone()),
            quantity,
        });
    }
    if items.is_empty() {
        return Err(AppError::invalid("quantity", "choose at least one ticket"));
    }
    let money = |name: &str| -> Result<Option<i64>, AppError> {
        let raw = field(name);
        if raw.is_empty() {
            return Ok(None);
        }
        aspk_domain::parse_amount_minor(&raw)
            .map(Some)
            .ok_or_else(|| AppError::invalid("amount", "type an amount such as 250 or 250,50"))
    };
    let (payment, mixed_cash_minor) = match field("payment").as_str() {
        "cash" => (PaymentMethod::Cash, None),
        "card" => (PaymentMethod::Card, None),
        "mixed" => {
            let cash = money("mixed_cash")?
                .ok_or_else(|| AppError::invalid("mixed_cash", "type the cash part"))?;
            (PaymentMethod::Cash, Some(cash))
        }
        other => {
            return Err(AppError::invalid(
                "payment",
                format!("'{other}' is not a way to pay: use cash, card or mixed"),
            ))
        }
    };
    let tendered = money("tendered")?;
    Ok((
        NewOrder {
            venue,
            channel: Channel::BoxOffice,
            items,
            payment,
            email: None,
            is_overbooking: false,
            mixed_cash_minor,
            name: None,
            idempotency_key: Some(field("sale_key")).filter(|k| !k.is_empty()),
        },
        tendered,
    ))
}

#[derive(Deserialize)]
pub struct SaleQuery {
    tendered: Option<i64>,
}

/// The sale just made: number, tickets, change to give, and how printing went.
pub async fn sale(page: Page, Path(number): Path<u64>, Query(q): Query<SaleQuery>) -> Response {
    if let Err(refused) = page.require_section("/box-office") {
        return *refused;
    }
    let found = page.state.node.read(|s| {
        let order = s.orders.get(&number)?.clone();
        let venue = s.venues.get(&order.venue).cloned();
        let tickets: Vec<_> = order
            .tickets
            .iter()
            .filter_map(|t| s.tickets.get(t))
            .filter(|t| t.status != TicketStatus::Void)
            .map(|t| {
                let name = s
                    .products
                    .get(&(t.venue.clone(), t.product.clone()))
                    .map(|p| p.name.get(page.lang.code()).to_owned())
                    .unwrap_or_default();
                (t.serial, name, t.price_minor)
            })
            .collect();
        let last_print = s.prints.get(&number).and_then(|p| p.last().cloned());
        Some((order, venue, tickets, last_print))
    });
    let Some((order, venue, tickets, last_print)) = found else {
        return page.error(AppError::NotFound {
            what: "order",
            id: number.to_string(),
        });
    };
    let cash: i64 = order
        .payments
        .iter()
        .filter(|p| p.method == PaymentMethod::Cash)
        .map(|p| p.amount_minor)
        .sum();
    let change = q
        .tendered
        .map(|t| {
            format!(
                "<p class=\"change\">{}: <strong id=\"change-due\">{}</strong></p>",
                page.e("box-change"),
                page.money(t - cash, order.currency)
            )
        })
        .unwrap_or_default();
    let list: String = tickets
        .iter()
        .map(|(serial, name, price)| {
            format!(
                "<li><span class=\"number\">{}</span> {} · {}</li>",
                HumanNumber::from_serial(*serial),
                escape(name),
                page.money(*price, order.currency)
            )
        })
        .collect();
    let print = match last_print {
        Some(p) if !p.error.is_empty() => format!(
            "<p class=\"error\" role=\"alert\" id=\"print-status\">{}</p>",
            escape(&page.t_args("print-failed", &[("error", p.error.as_str().into())]))
        ),
        Some(p)
            if p.printer == "browser-80mm"
                || page.state.node.read(|s| is_browser(s, &p.printer)) =>
        {
            format!(
                "<p id=\"print-status\">{}</p><iframe id=\"pdf\" title=\"PDF\" src=\"/orders/{number}/pdf?paper={}\" class=\"pdf\"></iframe>\
                 <p><button type=\"button\" id=\"print-pdf\">{}</button></p>",
                page.e("print-browser"),
                browser_paper(&page, &p.printer),
                page.e("print-now"),
            )
        }
        Some(p) => format!(
            "<p class=\"ok\" id=\"print-status\">{}</p>",
            escape(&page.t_args("print-sent", &[("printer", p.printer.as_str().into())]))
        ),
        None => String::new(),
    };
    let body = format!(
        "<p class=\"sold\">{sold} <span class=\"number\" id=\"order-number\">{num}</span> · {total}</p>{change}<ul class=\"tickets\">{list}</ul>{print}\
         <form method=\"post\" action=\"/orders/{number}/print\" class=\"inline\">{csrf}<button type=\"submit\" id=\"reprint\">{reprint}</button></form>\
         <p><a class=\"button primary big\" id=\"new-sale\" href=\"/box-office?venue={venue}\" autofocus>{new_sale}</a> <a href=\"/orders/{number}\">{details}</a></p>\
         <script type=\"module\" src=\"/static/box-office.js\"></script>",
        sold = page.e("box-sold"),
        num = HumanNumber::from_serial(number),
        total = page.money(order.total_minor, order.currency),
        csrf = page.csrf_field(),
        reprint = page.e("print-again"),
        venue = escape(venue.as_ref().map(|v| v.id.as_str()).unwrap_or("")),
        new_sale = page.e("box-new-sale"),
        details = page.e("order-details"),
    );
    page.html(&page.t("box-sale-title"), &body)
}

fn is_browser(s: &aspk_oplog::State, printer: &str) -> bool {
    Slug::parse("printer", printer)
        .ok()
        .and_then(|id| s.printers.get(&id))
        .is_some_and(|p| matches!(p.kind, aspk_domain::PrinterKind::Browser { .. }))
}

fn browser_paper(page: &Page, printer: &str) -> String {
    page.state.node.read(|s| {
        Slug::parse("printer", printer)
            .ok()
            .and_then(|id| s.printers.get(&id))
            .and_then(|p| match &p.kind {
                aspk_domain::PrinterKind::Browser { paper } => Some(paper.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "80mm".into())
    })
}

#[derive(Deserialize)]
pub struct PrinterForm {
    csrf: String,
    printer: String,
}

/// Remembers the printer of this workstation.
pub async fn choose_printer(
    page: Page,
    headers: HeaderMap,
    Form(f): Form<PrinterForm>,
) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/box-office") {
        return *refused;
    }
    let id = Slug::parse("printer", &f.printer)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let mut response = redirect(
        headers
            .get(axum::http::header::REFERER)
            .and_then(|v| v.to_str().ok())
            .filter(|r| r.contains("/box-office"))
            .unwrap_or("/box-office"),
    );
    if let Ok(value) =
        format!("{PRINTER_COOKIE}={id}; Path=/; Max-Age=31536000; SameSite=Strict").parse()
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response.into_response()
}
