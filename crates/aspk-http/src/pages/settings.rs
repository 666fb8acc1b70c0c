//! Settings for admins: printers, products and prices, slot schedules, users and roles.

use askama::Template;
use aspk_app::{AppError, WeeklyPattern};
use aspk_domain::{Printer, PrinterKind, Role, Slug};
use axum::extract::Form;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use super::frame::{form_field, redirect};
use super::Page;

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsView<'a> {
    page: &'a Page,
    title: String,
    /// Each venue's form, then the form for a new one.
    venues: Vec<VenueFields>,
    new_venue: VenueFields,
    printers: Vec<PrinterRow>,
    products: Vec<ProductRow>,
    users: Vec<UserRow>,
    /// The roles staff can have, least powerful first.
    roles: Vec<Choice>,
    venue_options: Vec<Choice>,
    categories: Vec<Choice>,
    weekdays: Vec<Choice>,
}

/// An option of a select or a checkbox: its value and its words.
struct Choice {
    value: String,
    label: String,
}

/// The fields of a venue's form; `id` is `None` for a new venue (typed in the form).
struct VenueFields {
    id: Option<String>,
    name_uk: String,
    name_en: String,
    time_zone: String,
    early: u16,
}

struct PrinterRow {
    id: String,
    name: String,
    /// "PDF a4", "ESC/POS 192.168.1.50:9100 · CP1125".
    how: String,
}

struct ProductRow {
    name: String,
    category: String,
    venue: String,
    id: String,
    /// The price as typed in the form: "250.00".
    price: String,
    on_sale: bool,
}

struct UserRow {
    name: String,
    role: &'static str,
    active: bool,
}

const ROLES: [&str; 4] = ["cashier", "controller", "manager", "admin"];

pub async fn page(page: Page) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let lang = page.lang.code();
    let aspk_app::Settings {
        printers,
        products,
        users,
        venues,
    } = match page.state.node.settings(&page.who) {
        Ok(settings) => settings,
        Err(e) => return page.error(e),
    };
    let printers = printers
        .iter()
        .map(|p| PrinterRow {
            id: p.id.as_str().to_owned(),
            name: p.name.clone(),
            how: match &p.kind {
                PrinterKind::Browser { paper } => format!("PDF {paper}"),
                PrinterKind::EscPos {
                    address, cp1125, ..
                } => format!(
                    "ESC/POS {address}{}",
                    if *cp1125 { " · CP1125" } else { "" }
                ),
            },
        })
        .collect();
    let products = products
        .iter()
        .map(|p| ProductRow {
            name: p.name.get(lang).to_owned(),
            category: page.t(&format!("category-{}", p.category.as_str())),
            venue: p.venue.as_str().to_owned(),
            id: p.id.as_str().to_owned(),
            price: format!("{}.{:02}", p.price_minor / 100, p.price_minor % 100),
            on_sale: p.is_on_sale,
        })
        .collect();
    let users = users
        .into_iter()
        .map(|(name, role, active)| UserRow {
            name,
            role: role.as_str(),
            active,
        })
        .collect();
    let choices = |prefix: &str, values: &[&str]| -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: (*v).to_owned(),
                label: page.t(&format!("{prefix}{v}")),
            })
            .collect()
    };
    let weekdays: Vec<&str> = WEEKDAYS.iter().map(|(_, d)| *d).collect();
    let view = SettingsView {
        page: &page,
        title: page.t("nav-settings"),
        venues: venues.iter().map(|v| venue_fields(Some(v))).collect(),
        new_venue: venue_fields(None),
        printers,
        products,
        users,
        roles: choices("role-", &ROLES),
        venue_options: venues
            .iter()
            .map(|v| Choice {
                value: v.id.as_str().to_owned(),
                label: v.name.get(lang).to_owned(),
            })
            .collect(),
        categories: choices("category-", &["full", "reduced", "free"]),
        weekdays: choices("weekday-", &weekdays),
    };
    page.render(&view)
}

/// A venue's names, time zone and early entry, as its form shows them; empty for a new one.
fn venue_fields(v: Option<&aspk_domain::Venue>) -> VenueFields {
    VenueFields {
        id: v.map(|v| v.id.as_str().to_owned()),
        name_uk: v.map(|v| v.name.uk.clone()).unwrap_or_default(),
        name_en: v.map(|v| v.name.en.clone()).unwrap_or_default(),
        time_zone: v
            .map(|v| v.time_zone.clone())
            .unwrap_or_else(|| "Europe/Kyiv".into()),
        early: v.map(|v| v.early_entry_minutes).unwrap_or(0),
    }
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
            let existing = page.state.node.venue(id.as_str());
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
    let exists = page.state.node.product(&f.venue, &f.id).is_some();
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
        shortcut: None,
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
    let Some(mut product) = page.state.node.product(&f.venue, &f.product) else {
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
