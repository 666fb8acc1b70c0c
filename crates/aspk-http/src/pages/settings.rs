//! Settings for admins: printers, products and prices, slot schedules, users and roles.

use aspk_app::{AppError, WeeklyPattern};
use aspk_domain::{Printer, PrinterKind, Role, Slug};
use axum::extract::Form;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use super::frame::{form_field, redirect};
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
                cat = page.e(&format!("category-{}", p.category.as_str())),
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
            let roles: String = ["cashier", "controller", "manager", "admin"]
                .iter()
                .map(|r| {
                    let selected = if *r == role.as_str() { " selected" } else { "" };
                    format!("<option value=\"{r}\"{selected}>{}</option>", page.e(&format!("role-{r}")))
                })
                .collect();
            format!(
                "<tr data-user=\"{n}\"><td>{n}</td><td><form method=\"post\" action=\"/settings/users/update\" class=\"inline\">{csrf}\
                 <input type=\"hidden\" name=\"username\" value=\"{n}\"><select name=\"role\" aria-label=\"{role_l}\">{roles}</select>\
                 <label class=\"check\"><input type=\"checkbox\" name=\"active\" value=\"1\"{checked}> {active_l}</label>\
                 <input name=\"password\" type=\"password\" autocomplete=\"new-password\" placeholder=\"{password_l}\" aria-label=\"{password_l}\">\
                 <button type=\"submit\">{save_l}</button></form></td></tr>",
                n = escape(name),
                csrf = csrf,
                role_l = page.e("settings-role"),
                checked = if *active { " checked" } else { "" },
                active_l = page.e("settings-active"),
                password_l = page.e("settings-new-password"),
                save_l = page.e("action-save"),
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
        "<p><a href=\"/settings/devices\" id=\"devices-link\">{devices_l}</a></p>{venues}<section><h2>{printers_l}</h2><table id=\"printers\"><tbody>{printer_rows}</tbody></table>\
         <form method=\"post\" action=\"/settings/printers\">{csrf}\
         <label for=\"printer-id\">{id_l}</label><input id=\"printer-id\" name=\"id\" required pattern=\"[a-z0-9_-]+\">\
         <label for=\"printer-name\">{name_l}</label><input id=\"printer-name\" name=\"name\" required>\
         <label for=\"printer-kind\">{kind_l}</label><select id=\"printer-kind\" name=\"kind\">\
         <option value=\"escpos\">{escpos_l}</option><option value=\"pdf-80mm\">PDF 80 mm</option><option value=\"pdf-a4\">PDF A4</option></select>\
         <label for=\"printer-address\">{address_l}</label><input id=\"printer-address\" name=\"address\" placeholder=\"192.168.1.50:9100\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"cp1125\" value=\"1\"> {cp1125_l}</label>\
         <div><button class=\"primary\" type=\"submit\">{save_l}</button></div></form></section>\
         <section><h2>{products_l}</h2><table id=\"products\"><tbody>{product_rows}</tbody></table>{new_product}</section>\
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
         <label for=\"user-venue\">{works_at_l}</label><select id=\"user-venue\" name=\"venue\">\
         <option value=\"\">{whole_org_l}</option>{venue_options}</select>\
         <div><button class=\"primary\" type=\"submit\">{add_l}</button></div></form></section>",
        works_at_l = page.e("settings-user-venue"),
        whole_org_l = page.e("settings-user-venue-org"),
        devices_l = page.e("nav-devices"),
        venues = venues_section(&page, &venues),
        printers_l = page.e("settings-printers"),
        id_l = page.e("settings-id"),
        name_l = page.e("settings-name"),
        kind_l = page.e("settings-kind"),
        escpos_l = page.e("settings-escpos"),
        address_l = page.e("settings-address"),
        cp1125_l = page.e("settings-cp1125"),
        save_l = page.e("action-save"),
        products_l = page.e("settings-products"),
        new_product = new_product_form(&page, &venue_options),
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
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
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

/// Each venue's names, time zone and early entry, editable; and a form for a new one.
fn venues_section(page: &Page, venues: &[aspk_domain::Venue]) -> String {
    let csrf = page.csrf_field();
    let form = |v: Option<&aspk_domain::Venue>| {
        let id_field = match v {
            Some(v) => format!(
                "<input type=\"hidden\" name=\"id\" value=\"{}\">",
                escape(v.id.as_str())
            ),
            None => format!(
                "<label>{} <input name=\"id\" required pattern=\"[a-z0-9_-]+\"></label>",
                page.e("settings-id")
            ),
        };
        format!(
            "<form method=\"post\" action=\"/settings/venues\" class=\"inline\">{csrf}{id_field}\
             <label>{uk_l} <input name=\"name_uk\" value=\"{uk}\" required></label>\
             <label>{en_l} <input name=\"name_en\" value=\"{en}\"></label>\
             <label>{tz_l} <input name=\"time_zone\" value=\"{tz}\" required></label>\
             <label>{early_l} <input name=\"early\" type=\"number\" min=\"0\" max=\"240\" value=\"{early}\"></label>\
             <button type=\"submit\">{save_l}</button></form>",
            uk_l = page.e("settings-name-uk"),
            uk = escape(v.map(|v| v.name.uk.as_str()).unwrap_or("")),
            en_l = page.e("settings-name-en"),
            en = escape(v.map(|v| v.name.en.as_str()).unwrap_or("")),
            tz_l = page.e("settings-time-zone"),
            tz = escape(v.map(|v| v.time_zone.as_str()).unwrap_or("Europe/Kyiv")),
            early_l = page.e("settings-early-entry"),
            early = v.map(|v| v.early_entry_minutes).unwrap_or(0),
            save_l = page.e("action-save"),
        )
    };
    let rows: String = venues.iter().map(|v| form(Some(v))).collect();
    format!(
        "<section id=\"venues\"><h2>{}</h2>{rows}<h3>{}</h3>{}</section>",
        page.e("settings-venues"),
        page.e("settings-new-venue"),
        form(None)
    )
}

#[derive(Deserialize)]
pub struct VenueForm {
    csrf: String,
    id: String,
    name_uk: String,
    #[serde(default)]
    name_en: String,
    time_zone: String,
    #[serde(default)]
    early: String,
}

pub async fn save_venue(page: Page, Form(f): Form<VenueForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    let early = if f.early.trim().is_empty() {
        Ok(0)
    } else {
        f.early
            .trim()
            .parse::<u16>()
            .map_err(|_| AppError::invalid("early", "must be minutes, 0 to 240"))
    };
    let venue = Slug::parse("id", f.id.trim())
        .map_err(AppError::from)
        .and_then(|id| {
            let existing = page.state.node.read(|s| s.venues.get(&id).cloned());
            Ok(aspk_domain::Venue {
                id,
                no: existing.as_ref().map(|v| v.no).unwrap_or(0),
                name: aspk_domain::Localized {
                    uk: f.name_uk.trim().to_owned(),
                    en: f.name_en.trim().to_owned(),
                },
                time_zone: f.time_zone.trim().to_owned(),
                currency: existing
                    .map(|v| v.currency)
                    .unwrap_or(aspk_domain::Currency::UAH),
                early_entry_minutes: early?,
            })
        });
    match venue {
        Ok(venue) => match page.state.node.save_venue(&page.who, venue).await {
            Ok(_) => redirect("/settings"),
            Err(e) => page.error(e),
        },
        Err(e) => page.error(e),
    }
}

fn new_product_form(page: &Page, venue_options: &str) -> String {
    let categories: String = ["full", "reduced", "free"]
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{c}\">{}</option>",
                page.e(&format!("category-{c}"))
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"/settings/products/new\"><h3>{title}</h3>{csrf}\
         <label for=\"np-venue\">{venue_l}</label><select id=\"np-venue\" name=\"venue\">{venue_options}</select>\
         <label for=\"np-id\">{id_l}</label><input id=\"np-id\" name=\"id\" required pattern=\"[a-z0-9_-]+\">\
         <label for=\"np-uk\">{uk_l}</label><input id=\"np-uk\" name=\"name_uk\" required>\
         <label for=\"np-en\">{en_l}</label><input id=\"np-en\" name=\"name_en\">\
         <label for=\"np-category\">{category_l}</label><select id=\"np-category\" name=\"category\">{categories}</select>\
         <label for=\"np-price\">{price_l}</label><input id=\"np-price\" name=\"price\" inputmode=\"decimal\" required>\
         <label for=\"np-doc\">{doc_l}</label><input id=\"np-doc\" name=\"document\">\
         <label for=\"np-first\">{first_l}</label><input id=\"np-first\" name=\"first\" type=\"date\">\
         <label for=\"np-last\">{last_l}</label><input id=\"np-last\" name=\"last\" type=\"date\">\
         <div><button class=\"primary\" type=\"submit\">{add_l}</button></div></form>",
        title = page.e("settings-new-product"),
        csrf = page.csrf_field(),
        venue_l = page.e("settings-venue"),
        id_l = page.e("settings-id"),
        uk_l = page.e("settings-name-uk"),
        en_l = page.e("settings-name-en"),
        category_l = page.e("report-category"),
        price_l = page.e("box-price"),
        doc_l = page.e("settings-document"),
        first_l = page.e("settings-open-first"),
        last_l = page.e("settings-open-last"),
        add_l = page.e("action-add"),
    )
}

pub async fn new_product(page: Page, Form(f): Form<NewProductForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    match product_from(&page, f) {
        Ok(product) => match page.state.node.save_product(&page.who, product).await {
            Ok(_) => redirect("/settings"),
            Err(e) => page.error(e),
        },
        Err(e) => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct NewProductForm {
    csrf: String,
    venue: String,
    id: String,
    name_uk: String,
    #[serde(default)]
    name_en: String,
    category: String,
    price: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
}

fn product_from(page: &Page, f: NewProductForm) -> Result<aspk_domain::Product, AppError> {
    use aspk_domain::{Category, Localized, ProductValidity};
    let exists = page.state.node.read(|s| {
        Slug::parse("venue", &f.venue)
            .ok()
            .zip(Slug::parse("id", &f.id).ok())
            .is_some_and(|key| s.products.contains_key(&key))
    });
    if exists {
        return Err(AppError::invalid(
            "id",
            "a ticket type with this id exists: change it in the list above",
        ));
    }
    let category: Category = f
        .category
        .parse()
        .map_err(|e: aspk_domain::UnknownName| AppError::invalid("category", e.to_string()))?;
    let price_minor = aspk_domain::parse_amount_minor(&f.price)
        .ok_or_else(|| AppError::invalid("price", "type a price such as 250 or 250,50"))?;
    let validity = match (f.first.trim(), f.last.trim()) {
        ("", "") => ProductValidity::Timed,
        (first, last) => ProductValidity::OpenDate {
            first: first
                .parse()
                .map_err(|_| AppError::invalid("first", "must be a date"))?,
            last: last
                .parse()
                .map_err(|_| AppError::invalid("last", "must be a date"))?,
        },
    };
    let document = Some(f.document.trim().to_owned())
        .filter(|d| !d.is_empty())
        .map(|d| Localized {
            uk: d,
            en: String::new(),
        });
    Ok(aspk_domain::Product {
        venue: Slug::parse("venue", &f.venue)?,
        id: Slug::parse("id", f.id.trim())?,
        no: 0,
        name: Localized {
            uk: f.name_uk.trim().to_owned(),
            en: f.name_en.trim().to_owned(),
        },
        category,
        price_minor,
        currency: aspk_domain::Currency::UAH,
        document,
        validity,
        is_on_sale: true,
    })
}

#[derive(Deserialize)]
pub struct UpdateUserForm {
    csrf: String,
    username: String,
    role: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    password: String,
}

pub async fn update_user(page: Page, Form(f): Form<UpdateUserForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(e) => return page.error(e.into()),
    };
    let password = Some(f.password).filter(|p| !p.is_empty());
    match page
        .state
        .node
        .update_user(
            &page.who,
            &f.username,
            Some(role),
            Some(f.active.is_some()),
            password,
        )
        .await
    {
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
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
        return *refused;
    }
    let Some(price) = aspk_domain::parse_amount_minor(&f.price) else {
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
    #[serde(default)]
    venue: String,
}

pub async fn add_user(page: Page, Form(f): Form<UserForm>) -> Response {
    if let Err(refused) = page.check_post(&f.csrf, "/settings") {
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
        .add_user(
            &page.who.actor(),
            f.username.trim(),
            &f.password,
            role,
            Some(f.venue.as_str()),
        )
        .await
    {
        Ok(()) => redirect("/settings"),
        Err(e) => page.error(e),
    }
}

pub async fn schedule(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
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
