//! Settings for admins: printers, products and prices, slot schedules, users and roles.

use aspk_app::{AppError, WeeklyPattern};
use aspk_domain::{Printer, PrinterKind, Role, Slug};
use axum::extract::Form;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use super::box_office::{category_name, parse_money};
use super::frame::redirect;
use super::{escape, Page};

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

pub async fn page(page: Page) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let lang = page.lang.code();
    let (printers, products, users, venues) = page.state.node.read(|s| {
        (
            s.printers.values().cloned().collect::<Vec<_>>(),
            s.products.values().cloned().collect::<Vec<_>>(),
            s.users
                .values()
                .map(|u| (u.username.as_str().to_owned(), u.role, u.is_active))
                .collect::<Vec<_>>(),
            s.venues.values().cloned().collect::<Vec<_>>(),
        )
    });
    let csrf = page.csrf_field();
    let printer_rows: String = printers
        .iter()
        .map(|p| {
            let how = match &p.kind {
                PrinterKind::Browser { paper } => format!("PDF {paper}"),
                PrinterKind::EscPos {
                    address, cp1125, ..
                } => {
                    format!(
                        "ESC/POS {address}{}",
                        if *cp1125 { " · CP1125" } else { "" }
                    )
                }
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p.id.as_str()),
                escape(&p.name),
                escape(&how)
            )
        })
        .collect();
    let product_rows: String = products
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{name}</td><td>{cat}</td><td><form method=\"post\" action=\"/settings/products\" class=\"inline\">{csrf}\
                 <input type=\"hidden\" name=\"venue\" value=\"{venue}\"><input type=\"hidden\" name=\"product\" value=\"{id}\">\
                 <input name=\"price\" value=\"{units}.{cents:02}\" aria-label=\"{price_l}\" size=\"8\">\
                 <label class=\"check\"><input type=\"checkbox\" name=\"on_sale\" value=\"1\"{checked}> {on_sale_l}</label>\
                 <button type=\"submit\">{save_l}</button></form></td></tr>",
                name = escape(p.name.get(lang)),
                cat = page.e(&format!("category-{}", category_name(p.category))),
                venue = escape(p.venue.as_str()),
                id = escape(p.id.as_str()),
                units = p.price_minor / 100,
                cents = p.price_minor % 100,
                price_l = page.e("box-price"),
                checked = if p.is_on_sale { " checked" } else { "" },
                on_sale_l = page.e("settings-on-sale"),
                save_l = page.e("action-save"),
            )
        })
        .collect();
    let user_rows: String = users
        .iter()
        .map(|(name, role, active)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(name),
                page.e(&format!("role-{}", role.as_str())),
                if *active { "✓" } else { "—" }
            )
        })
        .collect();
    let role_options: String = ["cashier", "controller", "manager", "admin"]
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{r}\">{}</option>",
                page.e(&format!("role-{r}"))
            )
        })
        .collect();
    let venue_options: String = venues
        .iter()
        .map(|v| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(v.id.as_str()),
                escape(v.name.get(lang))
            )
        })
        .collect();
    let weekdays: String = WEEKDAYS
        .iter()
        .map(|(_, d)| format!("<label class=\"check\"><input type=\"checkbox\" name=\"day\" value=\"{d}\" checked> {}</label>", page.e(&format!("weekday-{d}"))))
        .collect();
    let body = format!(
        "<p><a href=\"/settings/devices\" id=\"devices-link\">{devices_l}</a></p><section><h2>{printers_l}</h2><table id=\"printers\"><tbody>{printer_rows}</tbody></table>\
         <form method=\"post\" action=\"/settings/printers\">{csrf}\
         <label for=\"printer-id\">{id_l}</label><input id=\"printer-id\" name=\"id\" required pattern=\"[a-z0-9_-]+\">\
         <label for=\"printer-name\">{name_l}</label><input id=\"printer-name\" name=\"name\" required>\
         <label for=\"printer-kind\">{kind_l}</label><select id=\"printer-kind\" name=\"kind\">\
         <option value=\"escpos\">{escpos_l}</option><option value=\"pdf-80mm\">PDF 80 mm</option><option value=\"pdf-a4\">PDF A4</option></select>\
         <label for=\"printer-address\">{address_l}</label><input id=\"printer-address\" name=\"address\" placeholder=\"192.168.1.50:9100\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"cp1125\" value=\"1\"> {cp1125_l}</label>\
         <div><button class=\"primary\" type=\"submit\">{save_l}</button></div></form></section>\
         <section><h2>{products_l}</h2><table id=\"products\"><tbody>{product_rows}</tbody></table></section>\
         <section><h2>{schedule_l}</h2><form method=\"post\" action=\"/settings/schedule\">{csrf}\
         <label for=\"sched-venue\">{venue_l}</label><select id=\"sched-venue\" name=\"venue\">{venue_options}</select>\
         <label for=\"sched-from\">{from_l}</label><input id=\"sched-from\" name=\"from\" type=\"date\" required>\
         <label for=\"sched-to\">{to_l}</label><input id=\"sched-to\" name=\"to\" type=\"date\" required>\
         <fieldset><legend>{days_l}</legend>{weekdays}</fieldset>\
         <label for=\"sched-times\">{times_l}</label><input id=\"sched-times\" name=\"times\" placeholder=\"10:00 12:00 14:00\" required>\
         <label for=\"sched-minutes\">{minutes_l}</label><input id=\"sched-minutes\" name=\"minutes\" type=\"number\" value=\"60\" min=\"5\">\
         <label for=\"sched-capacity\">{capacity_l}</label><input id=\"sched-capacity\" name=\"capacity\" type=\"number\" value=\"50\" min=\"1\">\
         <label for=\"sched-closed\">{closed_l}</label><input id=\"sched-closed\" name=\"closed\" placeholder=\"2026-12-31 2027-01-01\">\
         <div><button class=\"primary\" type=\"submit\">{generate_l}</button></div></form></section>\
         <section><h2>{users_l}</h2><table id=\"users\"><tbody>{user_rows}</tbody></table>\
         <form method=\"post\" action=\"/settings/users\">{csrf}\
         <label for=\"user-name\">{user_l}</label><input id=\"user-name\" name=\"username\" required>\
         <label for=\"user-password\">{password_l}</label><input id=\"user-password\" name=\"password\" type=\"password\" minlength=\"8\" required autocomplete=\"new-password\">\
         <label for=\"user-role\">{role_l}</label><select id=\"user-role\" name=\"role\">{role_options}</select>\
         <div><button class=\"primary\" type=\"submit\">{add_l}</button></div></form></section>",
        devices_l = page.e("nav-devices"),
        printers_l = page.e("settings-printers"),
        id_l = page.e("settings-id"),
        name_l = page.e("settings-name"),
        kind_l = page.e("settings-kind"),
        escpos_l = page.e("settings-escpos"),
        address_l = page.e("settings-address"),
        cp1125_l = page.e("settings-cp1125"),
        save_l = page.e("action-save"),
        products_l = page.e("settings-products"),
        schedule_l = page.e("settings-schedule"),
        venue_l = page.e("settings-venue"),
        from_l = page.e("report-from"),
        to_l = page.e("report-to"),
        days_l = page.e("settings-days"),
        times_l = page.e("settings-times"),
        minutes_l = page.e("settings-minutes"),
        capacity_l = page.e("report-capacity"),
        closed_l = page.e("settings-closed"),
        generate_l = page.e("settings-generate"),
        users_l = page.e("settings-users"),
        user_l = page.e("sign-in-username"),
        password_l = page.e("sign-in-password"),
        role_l = page.e("settings-role"),
        add_l = page.e("action-add"),
    );
    page.html(&page.t("nav-settings"), &body)
}

#[derive(Deserialize)]
pub struct PrinterForm {
    csrf: String,
    id: String,
    name: String,
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    cp1125: Option<String>,
}

pub async fn save_printer(page: Page, Form(f): Form<PrinterForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    let id = match Slug::parse("id", f.id.trim()) {
        Ok(id) => id,
        Err(e) => return page.error(e.into()),
    };
    let kind = match f.kind.as_str() {
        "pdf-a4" => PrinterKind::Browser { paper: "a4".into() },
        "pdf-80mm" => PrinterKind::Browser {
            paper: "80mm".into(),
        },
        _ => PrinterKind::EscPos {
            address: f.address.trim().to_owned(),
            cp1125: f.cp1125.is_some(),
            codepage: 17,
        },
    };
    let printer = Printer {
        id,
        name: f.name.trim().to_owned(),
        kind,
    };
    match page.state.node.save_printer(&page.who, printer).await {
        Ok(()) => redirect("/settings"),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct ProductForm {
    csrf: String,
    venue: String,
    product: String,
    price: String,
    #[serde(default)]
    on_sale: Option<String>,
}

pub async fn save_product(page: Page, Form(f): Form<ProductForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    let Some(price) = parse_money(&f.price) else {
        return page.error(AppError::invalid(
            "price",
            "type a price such as 250 or 250,50",
        ));
    };
    let product = page.state.node.read(|s| {
        let key = (
            Slug::parse("venue", &f.venue).ok()?,
            Slug::parse("product", &f.product).ok()?,
        );
        s.products.get(&key).cloned()
    });
    let Some(mut product) = product else {
        return page.error(AppError::NotFound {
            what: "product",
            id: f.product,
        });
    };
    product.price_minor = price;
    product.is_on_sale = f.on_sale.is_some();
    match page.state.node.save_product(&page.who, product).await {
        Ok(_) => redirect("/settings"),
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    username: String,
    password: String,
    role: String,
}

pub async fn add_user(page: Page, Form(f): Form<UserForm>) -> Response {
    if let Err(refused) = page.check_csrf(&f.csrf) {
        return *refused;
    }
    if page.who.role != Role::Admin {
        return page.error(AppError::Forbidden("add staff"));
    }
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(e) => return page.error(e.into()),
    };
    match page
        .state
        .node
        .add_user(&page.who.actor(), f.username.trim(), &f.password, role)
        .await
    {
        Ok(()) => redirect("/settings"),
        Err(e) => page.error(e),
    }
}

pub async fn schedule(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    if let Err(refused) = page.check_csrf(&field("csrf")) {
        return *refused;
    }
    match pattern_from(&fields, &field) {
        Ok(pattern) => match page
            .state
            .node
            .apply_schedule(&page.who, &field("venue"), pattern)
            .await
        {
            Ok(_) => redirect("/settings"),
            Err(e) => page.error(e),
        },
        Err(e) => page.error(e),
    }
}

fn pattern_from(
    fields: &[(String, String)],
    field: &dyn Fn(&str) -> String,
) -> Result<WeeklyPattern, AppError> {
    let date = |name: &'static str| {
        field(name)
            .parse::<NaiveDate>()
            .map_err(|_| AppError::invalid(name, "must be a date YYYY-MM-DD"))
    };
    let weekdays = fields
        .iter()
        .filter(|(k, _)| k == "day")
        .filter_map(|(_, v)| WEEKDAYS.iter().find(|(_, d)| d == v).map(|(w, _)| *w))
        .collect();
    let starts = field("times")
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| AppError::invalid("times", "times look like 10:00 12:30"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let closed_days = field("closed")
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("closed", "closed days look like 2026-12-31"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let number = |name: &'static str| {
        field(name)
            .parse::<u32>()
            .map_err(|_| AppError::invalid(name, "must be a whole number"))
    };
    Ok(WeeklyPattern {
        from: date("from")?,
        to: date("to")?,
        weekdays,
        starts,
        minutes: number("minutes")?,
        capacity: number("capacity")?,
        closed_days,
    })
}
