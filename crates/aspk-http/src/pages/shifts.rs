//! Cash shifts: open with a float, close with the cash counted, and the Z report.

use aspk_app::ZReport;
use axum::extract::{Form, Path};
use axum::response::Response;
use serde::Deserialize;

use super::frame::redirect;
use super::{escape, Page};

#[derive(Deserialize)]
pub struct OpenForm {
    csrf: String,
    venue: String,
    float: String,
}

pub async fn open(page: Page, Form(f): Form<OpenForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/shifts") {
        return *refused;
    }
    let Some(float) = aspk_domain::parse_amount_minor(&f.float) else {
        return page.error(aspk_app::AppError::invalid(
            "float",
            "type an amount such as 500 or 500,00",
        ));
    };
    match page.state.node.open_shift(&page.who, &f.venue, float).await {
        Ok(_) => redirect(&format!("/box-office?venue={}", f.venue)),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct CloseForm {
    csrf: String,
    counted: String,
    #[serde(default)]
    note: String,
}

pub async fn close(page: Page, Form(f): Form<CloseForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/shifts") {
        return *refused;
    }
    let Some(counted) = aspk_domain::parse_amount_minor(&f.counted) else {
        return page.error(aspk_app::AppError::invalid(
            "counted",
            "type the cash counted, such as 1250,50",
        ));
    };
    match page
        .state
        .node
        .close_shift(&page.who, counted, &f.note)
        .await
    {
        Ok(report) => redirect(&format!("/shifts/{}", report.shift.id)),
        Err(e) => page.error(e),
    }
}

/// The cashier's shifts (managers: everyone's) and the form to close the open one.
pub async fn list(page: Page) -> Response {
    if let Err(refused) = page.require_section("/shifts") {
        return *refused;
    }
    let shifts = page.state.node.shifts(&page.who, 100);
    let open = page
        .state
        .node
        .read(|s| s.open_shift(&page.who.actor()).cloned());
    let close = match &open {
        Some(shift) => {
            let report = page.state.node.read(|s| aspk_app::z_report(s, shift));
            format!(
                "<section><h2>{}</h2><p>{}</p><form method=\"post\" action=\"/shifts/close\">{}\
                 <label for=\"counted\">{}</label><input id=\"counted\" name=\"counted\" inputmode=\"decimal\" required autofocus>\
                 <label for=\"note\">{}</label><input id=\"note\" name=\"note\">\
                 <div><button class=\"primary\" type=\"submit\" id=\"close-shift\">{}</button></div></form></section>",
                page.e("shift-close-title"),
                escape(&page.t_args(
                    "shift-expected",
                    &[("amount", page.money(report.expected_cash_minor, shift.currency).into())]
                )),
                page.csrf_field(),
                page.e("shift-counted"),
                page.e("shift-note"),
                page.e("shift-close"),
            )
        }
        None => format!(
            "<p><a href=\"/box-office\">{}</a></p>",
            page.e("shift-none-open")
        ),
    };
    let rows: String = shifts
        .iter()
        .map(|s| {
            let closed = s
                .closed_at
                .map(|c| page.time(c, None))
                .unwrap_or_else(|| page.t("shift-still-open"));
            format!(
                "<tr><td><a href=\"/shifts/{id}\">{opened}</a></td><td>{closed}</td><td>{cashier}</td><td class=\"num\">{float}</td></tr>",
                id = escape(&s.id),
                opened = page.time(s.opened_at, None),
                closed = escape(&closed),
                cashier = escape(s.cashier.trim_start_matches("user:")),
                float = page.money(s.float_minor, s.currency),
            )
        })
        .collect();
    let body = format!(
        "{close}<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        page.e("shift-history"),
        page.e("shift-opened"),
        page.e("shift-closed"),
        page.e("shift-cashier"),
        page.e("shift-float"),
    );
    page.html(&page.t("nav-shifts"), &body)
}

/// The Z report of a shift: printable.
pub async fn report(page: Page, Path(id): Path<String>) -> Response {
    if let Err(refused) = page.require_section("/shifts") {
        return *refused;
    }
    match page.state.node.shift_report(&page.who, &id) {
        Ok(report) => {
            let title = page.t("shift-z-title");
            page.html(&title, &z_report_html(&page, &report))
        }
        Err(e) => page.error(e),
    }
}

fn z_report_html(page: &Page, r: &ZReport) -> String {
    let cur = r.shift.currency;
    let m = |minor: i64| page.money(minor, cur);
    let lang = page.lang.code();
    let products: String = r
        .by_product
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(p.name.get(lang)),
                page.e(&format!("category-{}", p.category.as_str())),
                p.tickets,
                m(p.amount_minor)
            )
        })
        .collect();
    let methods: String = r
        .by_method
        .iter()
        .map(|(method, amount)| {
            format!(
                "<tr><td>{}</td><td class=\"num\" id=\"z-{method}\">{}</td></tr>",
                page.e(&format!("payment-{method}")),
                m(*amount)
            )
        })
        .collect();
    let status = match r.shift.closed_at {
        Some(at) => page.t_args("shift-closed-at", &[("time", page.time(at, None).into())]),
        None => page.t("shift-still-open"),
    };
    let counted = r.shift.counted_minor.map(m).unwrap_or_else(|| "—".into());
    let difference = r.difference_minor().map(m).unwrap_or_else(|| "—".into());
    format!(
        "<article class=\"z-report\"><p>{cashier_l}: {cashier} · {opened_l}: {opened} · {status}</p>\
         <h2>{by_product_l}</h2><table><thead><tr><th>{product_l}</th><th>{category_l}</th><th>{tickets_l}</th><th>{amount_l}</th></tr></thead><tbody>{products}</tbody></table>\
         <h2>{by_method_l}</h2><table><tbody>{methods}</tbody></table>\
         <dl><dt>{orders_l}</dt><dd id=\"z-orders\">{orders}</dd><dt>{sales_l}</dt><dd id=\"z-sales\">{sales}</dd>\
         <dt>{refunds_l}</dt><dd id=\"z-refunds\">{refunds}</dd><dt>{float_l}</dt><dd>{float}</dd>\
         <dt>{expected_l}</dt><dd id=\"z-expected\">{expected}</dd><dt>{counted_l}</dt><dd id=\"z-counted\">{counted}</dd>\
         <dt>{difference_l}</dt><dd id=\"z-difference\">{difference}</dd></dl>\
         <p class=\"no-print\"><button type=\"button\" data-print>{print_l}</button></p></article>",
        cashier_l = page.e("shift-cashier"),
        cashier = escape(r.shift.cashier.trim_start_matches("user:")),
        opened_l = page.e("shift-opened"),
        opened = page.time(r.shift.opened_at, None),
        status = escape(&status),
        by_product_l = page.e("report-by-product"),
        product_l = page.e("box-product"),
        category_l = page.e("report-category"),
        tickets_l = page.e("report-tickets"),
        amount_l = page.e("report-amount"),
        by_method_l = page.e("report-by-method"),
        orders_l = page.e("report-orders"),
        orders = r.orders,
        sales_l = page.e("shift-sales"),
        sales = m(r.sales_minor()),
        refunds_l = page.e("shift-refunds"),
        refunds = m(r.refunds_minor),
        float_l = page.e("shift-float"),
        float = m(r.shift.float_minor),
        expected_l = page.e("shift-expected-cash"),
        expected = m(r.expected_cash_minor),
        counted_l = page.e("shift-counted"),
        difference_l = page.e("shift-difference"),
        print_l = page.e("print-now"),
    )
}
