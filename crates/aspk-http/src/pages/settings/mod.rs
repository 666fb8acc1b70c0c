//! Settings for admins: venues, printers, products and prices (with their fixed shortcut
//! keys), staff, and the schedule (in `schedule`).
//!
//! Every save comes back to its page with a status line ("Збережено: …", from `?saved=`);
//! a refused one shows the page again (422/409) with what was typed and the message next
//! to the field it is about.

use std::borrow::Borrow;

use askama::Template;
use aspk_app::AppError;
use aspk_domain::{ConflictCode, Printer, PrinterKind, Product, Role, Slug, Venue};
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Weekday;
use serde::Deserialize;

use super::frame::{form_field, redirect};
use super::Page;

mod schedule;
mod shop;

pub use schedule::{change_slot, schedule, schedule_page};
pub use shop::{save_shop, shop_page, MAX_FORM as MAX_SHOP_FORM};

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

/// Shortcut digits in the order they are given out (the keyboard's top row).
const DIGITS: [u8; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];

/// Fields never shown again after a refused post.
const SECRET_FIELDS: [&str; 2] = ["csrf", "password"];

/// What was posted to a form that was refused: shown again, with the message next to the
/// field it is about (or above the form when the form has no such field).
#[derive(Debug, Default)]
struct Echo {
    /// Which form: `printer`, `venue:ID`, `venue-new`, `product:VENUE/ID`, `product-new`,
    /// `user:NAME`, `user-new`, `pattern`, `slot:ID`.
    form: String,
    field: String,
    message: String,
    values: Vec<(String, String)>,
}

impl Echo {
    fn new(
        form: impl Into<String>,
        field: &str,
        message: String,
        fields: &[(String, String)],
    ) -> Self {
        let values = fields
            .iter()
            .filter(|(k, _)| !SECRET_FIELDS.contains(&k.as_str()))
            .cloned()
            .collect();
        Self {
            form: form.into(),
            field: field.to_owned(),
            message,
            values,
        }
    }

    /// The value typed into `name` when `form` was the one posted, else `default`.
    fn value(&self, form: &str, name: &str, default: &str) -> String {
        if self.form != form {
            return default.to_owned();
        }
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or_else(String::new, |(_, v)| v.clone())
    }

    /// Whether checkbox `name` with `value` is ticked: as posted when `form` was the one
    /// posted, else `default`.
    fn checked(&self, form: &str, name: &str, value: &str, default: impl Borrow<bool>) -> bool {
        if self.form != form {
            return *default.borrow();
        }
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// The message for `field` of `form`, when that is what was refused.
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form && self.field == field).then_some(self.message.as_str())
    }

    /// The message for `form` when it is about none of `fields` (space-separated).
    fn form_error(&self, form: &str, fields: &str) -> Option<&str> {
        let shown = fields.split(' ').any(|f| f == self.field);
        (self.form == form && !shown).then_some(self.message.as_str())
    }
}

/// The form field an error is about (empty: the form as a whole).
fn field_of(err: &AppError) -> &'static str {
    match err {
        AppError::Invalid(v) => v.field,
        AppError::UnknownReference { field, .. } => field,
        AppError::Conflict { code, .. } => match code {
            ConflictCode::UserExists => "username",
            ConflictCode::BelowSold => "capacity",
            _ => "",
        },
        _ => "",
    }
}

/// The status of a page shown again after a refused post.
fn refused_status(err: &AppError) -> StatusCode {
    match err {
        AppError::Conflict { .. } | AppError::SoldOut { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Whether a refusal belongs next to a form (otherwise: the error page, e.g. forbidden).
fn is_about_input(err: &AppError) -> bool {
    matches!(
        err,
        AppError::Invalid(_)
            | AppError::UnknownReference { .. }
            | AppError::Conflict { .. }
            | AppError::NotFound { .. }
    )
}

/// A saved thing's name for the status line: an id or a user name, nothing else.
fn clean_name(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(60)
        .collect()
}

/// `/path?saved=KIND&name=NAME` (plus `extra` pairs), for the status line after a redirect.
fn saved_url(path: &str, kind: &str, name: &str, extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    query.append_pair("saved", kind);
    query.append_pair("name", name);
    format!("{path}?{}", query.finish())
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl SavedQuery {
    /// The status line for what was saved, from the catalogue (none for an unknown kind).
    fn status(&self, page: &Page, label: impl Fn(&str) -> String) -> Option<String> {
        let kind = self.saved.as_deref()?;
        let known = [
            "venue", "printer", "product", "user", "pattern", "slot", "closed", "reopened",
            "deleted",
        ];
        if !known.contains(&kind) {
            return None;
        }
        let name = clean_name(self.name.as_deref().unwrap_or(""));
        let key = format!("settings-saved-{kind}");
        Some(page.t_args(&key, &[("name", label(&name).into())]))
    }
}

/// An option of a select or a checkbox: its value and its words.
struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsView<'a> {
    page: &'a Page,
    title: String,
    /// "Збережено: …" after a save.
    saved: Option<String>,
    /// A refused post, shown again.
    echo: Echo,
    /// Each venue's form, then the form for a new one.
    venues: Vec<VenueFields>,
    new_venue: VenueFields,
    printers: Vec<PrinterRow>,
    products: Vec<ProductRow>,
    /// The key choices of a new product (per venue, all digits: taken ones say by whom).
    new_product_keys: Vec<Choice>,
    users: Vec<UserRow>,
    /// The roles staff can have, least powerful first.
    roles: Vec<Choice>,
    venue_options: Vec<Choice>,
    categories: Vec<Choice>,
}

/// The fields of a venue's form; `id` is `None` for a new venue (typed in the form).
struct VenueFields {
    /// The form's name for [`Echo`].
    form: String,
    id: Option<String>,
    name_uk: String,
    name_en: String,
    time_zone: String,
    early: String,
}

struct PrinterRow {
    id: String,
    name: String,
    /// "PDF a4", "ESC/POS 192.168.1.50:9100 · CP1125".
    how: String,
}

struct ProductRow {
    form: String,
    name: String,
    category: String,
    venue: String,
    id: String,
    /// The price as typed in the form: "250.00".
    price: String,
    on_sale: bool,
    /// Its shortcut digit, as the box office uses it ("" when it has none).
    key: String,
    /// The digits it may take: its own, free ones, and taken ones marked with their owner.
    keys: Vec<Choice>,
}

struct UserRow {
    form: String,
    name: String,
    role: &'static str,
    active: bool,
}

const ROLES: [&str; 4] = ["cashier", "controller", "manager", "admin"];

pub async fn page(page: Page, Query(q): Query<SavedQuery>) -> Response {
    if let Err(refused) = page.require_section("/settings") {
        return *refused;
    }
    let saved = q.status(&page, str::to_owned);
    render_settings(&page, saved, Echo::default(), StatusCode::OK)
}

fn render_settings(page: &Page, saved: Option<String>, echo: Echo, status: StatusCode) -> Response {
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
    let printers = printers.iter().map(printer_row).collect();
    let keyed = keyed_products(&products);
    let product_rows = keyed
        .iter()
        .map(|(p, key)| ProductRow {
            form: format!("product:{}/{}", p.venue, p.id),
            name: p.name.get(lang).to_owned(),
            category: page.t(&format!("category-{}", p.category.as_str())),
            venue: p.venue.as_str().to_owned(),
            id: p.id.as_str().to_owned(),
            price: format!("{}.{:02}", p.price_minor / 100, p.price_minor % 100),
            on_sale: p.is_on_sale,
            key: key.map(|d| d.to_string()).unwrap_or_default(),
            keys: key_choices(page, &keyed, Some(p)),
        })
        .collect();
    let users = users
        .into_iter()
        .map(|(name, role, active)| UserRow {
            form: format!("user:{name}"),
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
    let view = SettingsView {
        page,
        title: page.t("nav-settings"),
        saved,
        venues: venues
            .iter()
            .map(|v| venue_fields(Some(v), &echo))
            .collect(),
        new_venue: venue_fields(None, &echo),
        printers,
        products: product_rows,
        new_product_keys: key_choices(page, &keyed, None),
        users,
        roles: choices("role-", &ROLES),
        venue_options: venue_choices(page, &venues),
        categories: choices("category-", &["full", "reduced", "free"]),
        echo,
    };
    page.render_with(status, &view)
}

fn printer_row(p: &Printer) -> PrinterRow {
    PrinterRow {
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
    }
}

fn venue_choices(page: &Page, venues: &[Venue]) -> Vec<Choice> {
    venues
        .iter()
        .map(|v| Choice {
            value: v.id.as_str().to_owned(),
            label: v.name.get(page.lang.code()).to_owned(),
        })
        .collect()
}

/// Every product with the shortcut digit the box office gives it (per venue, as
/// [`aspk_app::shortcuts`] does), by venue and creation order.
fn keyed_products(products: &[Product]) -> Vec<(&Product, Option<u8>)> {
    let mut sorted: Vec<&Product> = products.iter().collect();
    sorted.sort_by(|a, b| (&a.venue, a.no).cmp(&(&b.venue, b.no)));
    let mut out = Vec::with_capacity(sorted.len());
    for venue in sorted.chunk_by(|a, b| a.venue == b.venue) {
        let keys = aspk_app::shortcuts(venue);
        out.extend(venue.iter().copied().zip(keys));
    }
    out
}

/// The digits a product (or a new one: `None`) may choose: every digit, those another
/// product of its venue has marked with that product's name. A new product also has
/// "the lowest free one" (empty value).
fn key_choices(
    page: &Page,
    keyed: &[(&Product, Option<u8>)],
    own: Option<&Product>,
) -> Vec<Choice> {
    let lang = page.lang.code();
    let mut out = Vec::new();
    if own.is_none() {
        out.push(Choice {
            value: String::new(),
            label: page.t("settings-key-auto"),
        });
    }
    for digit in DIGITS {
        let owner = keyed.iter().find(|(p, key)| {
            *key == Some(digit) && own.is_none_or(|o| o.venue == p.venue && o.id != p.id)
        });
        let label = match owner {
            Some((p, _)) => page.t_args(
                "settings-key-taken",
                &[
                    ("key", u32::from(digit).into()),
                    ("product", p.name.get(lang).into()),
                ],
            ),
            None => page.t_args("settings-key", &[("key", u32::from(digit).into())]),
        };
        out.push(Choice {
            value: digit.to_string(),
            label,
        });
    }
    out
}

/// A venue's names, time zone and early entry, as its form shows them (as posted when it
/// was refused); empty for a new one.
fn venue_fields(v: Option<&Venue>, echo: &Echo) -> VenueFields {
    let form = match v {
        Some(v) => format!("venue:{}", v.id),
        None => "venue-new".to_owned(),
    };
    let name_uk = v.map(|v| v.name.uk.clone()).unwrap_or_default();
    let name_en = v.map(|v| v.name.en.clone()).unwrap_or_default();
    let time_zone = v.map_or_else(|| "Europe/Kyiv".to_owned(), |v| v.time_zone.clone());
    let early = v.map(|v| v.early_entry_minutes).unwrap_or(0).to_string();
    VenueFields {
        id: v.map(|v| v.id.as_str().to_owned()),
        name_uk: echo.value(&form, "name_uk", &name_uk),
        name_en: echo.value(&form, "name_en", &name_en),
        time_zone: echo.value(&form, "time_zone", &time_zone),
        early: echo.value(&form, "early", &early),
        form,
    }
}

/// The settings page again after `form` was refused with `err`: what was typed, and the
/// message next to its field. (The error page for refusals that are not about input.)
fn refused(
    page: &Page,
    form: impl Into<String>,
    fields: &[(String, String)],
    err: AppError,
) -> Response {
    if !is_about_input(&err) {
        return page.error(err);
    }
    let echo = Echo::new(form, field_of(&err), page.error_text(&err), fields);
    render_settings(page, None, echo, refused_status(&err))
}

pub async fn save_printer(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let id = match Slug::parse("id", field("id").trim()) {
        Ok(id) => id,
        Err(e) => return refused(&page, "printer", &fields, e.into()),
    };
    let kind = match field("kind").as_str() {
        "pdf-a4" => PrinterKind::Browser { paper: "a4".into() },
        "pdf-80mm" => PrinterKind::Browser {
            paper: "80mm".into(),
        },
        _ => PrinterKind::EscPos {
            address: field("address").trim().to_owned(),
            cp1125: !field("cp1125").is_empty(),
            codepage: 17,
        },
    };
    let printer = Printer {
        id,
        name: field("name").trim().to_owned(),
        kind,
    };
    let name = printer.id.as_str().to_owned();
    match page.state.node.save_printer(&page.who, printer).await {
        Ok(()) => redirect(&saved_url("/settings", "printer", &name, &[])),
        Err(e) => refused(&page, "printer", &fields, e),
    }
}

pub async fn save_venue(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let typed_id = field("id");
    let form = match page.state.node.venue(typed_id.trim()) {
        Some(v) if field("existing") == "1" => format!("venue:{}", v.id),
        _ => "venue-new".to_owned(),
    };
    match venue_from(&page, &field).map(|v| (v.id.as_str().to_owned(), v)) {
        Ok((id, venue)) => match page.state.node.save_venue(&page.who, venue).await {
            Ok(_) => redirect(&saved_url("/settings", "venue", &id, &[])),
            Err(e) => refused(&page, form, &fields, e),
        },
        Err(e) => refused(&page, form, &fields, e),
    }
}

fn venue_from(page: &Page, field: &dyn Fn(&str) -> String) -> Result<Venue, AppError> {
    let early = field("early");
    let early = if early.trim().is_empty() {
        0
    } else {
        early
            .trim()
            .parse::<u16>()
            .map_err(|_| AppError::invalid("early", "must be minutes, 0 to 240"))?
    };
    let id = Slug::parse("id", field("id").trim())?;
    let existing = page.state.node.venue(id.as_str());
    Ok(Venue {
        id,
        no: existing.as_ref().map(|v| v.no).unwrap_or(0),
        name: aspk_domain::Localized {
            uk: field("name_uk").trim().to_owned(),
            en: field("name_en").trim().to_owned(),
        },
        time_zone: field("time_zone").trim().to_owned(),
        currency: existing
            .as_ref()
            .map(|v| v.currency)
            .unwrap_or(aspk_domain::Currency::UAH),
        early_entry_minutes: early,
        // The shop's settings have their own page: saving the venue keeps them.
        shop: existing.map(|v| v.shop).unwrap_or_default(),
    })
}

pub async fn new_product(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    match product_from(&page, &field) {
        Ok(product) => {
            let name = product.id.as_str().to_owned();
            match page.state.node.save_product(&page.who, product).await {
                Ok(_) => redirect(&saved_url("/settings", "product", &name, &[])),
                Err(e) => refused(&page, "product-new", &fields, e),
            }
        }
        Err(e) => refused(&page, "product-new", &fields, e),
    }
}

/// The shortcut digit chosen in a form: none when left empty.
fn shortcut_from(raw: &str) -> Result<Option<u8>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        digit => digit
            .parse::<u8>()
            .ok()
            .filter(|d| *d <= 9)
            .map(Some)
            .ok_or_else(|| AppError::invalid("shortcut", "a digit 0 to 9")),
    }
}

fn product_from(page: &Page, field: &dyn Fn(&str) -> String) -> Result<Product, AppError> {
    use aspk_domain::{Category, Localized, ProductValidity};
    let (venue, id) = (field("venue"), field("id"));
    let exists = page.state.node.product(&venue, id.trim()).is_some();
    if exists {
        return Err(AppError::invalid(
            "id",
            "a ticket type with this id exists: change it in the list above",
        ));
    }
    let category: Category = field("category")
        .parse()
        .map_err(|e: aspk_domain::UnknownName| AppError::invalid("category", e.to_string()))?;
    let price_minor = aspk_domain::parse_amount_minor(&field("price"))
        .ok_or_else(|| AppError::invalid("price", "type a price such as 250 or 250,50"))?;
    let validity = match (field("first").trim(), field("last").trim()) {
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
    let document = Some(field("document").trim().to_owned())
        .filter(|d| !d.is_empty())
        .map(|d| Localized {
            uk: d,
            en: String::new(),
        });
    Ok(Product {
        venue: Slug::parse("venue", &venue)?,
        id: Slug::parse("id", id.trim())?,
        no: 0,
        name: Localized {
            uk: field("name_uk").trim().to_owned(),
            en: field("name_en").trim().to_owned(),
        },
        category,
        price_minor,
        currency: aspk_domain::Currency::UAH,
        document,
        validity,
        is_on_sale: true,
        shortcut: shortcut_from(&field("shortcut"))?,
    })
}

pub async fn update_user(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let username = field("username");
    let form = format!("user:{username}");
    let role = match Role::parse(&field("role")) {
        Ok(r) => r,
        Err(e) => return refused(&page, form, &fields, e.into()),
    };
    let password = Some(field("password")).filter(|p| !p.is_empty());
    let active = !field("active").is_empty();
    let done = page
        .state
        .node
        .update_user(&page.who, &username, Some(role), Some(active), password)
        .await;
    match done {
        Ok(()) => redirect(&saved_url("/settings", "user", &username, &[])),
        Err(e) => refused(&page, form, &fields, e),
    }
}

pub async fn save_product(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    let (venue, id) = (field("venue"), field("product"));
    let form = format!("product:{venue}/{id}");
    let changed = page
        .state
        .node
        .product(&venue, &id)
        .ok_or_else(|| AppError::NotFound {
            what: "product",
            id: id.clone(),
        })
        .and_then(|mut product| {
            product.price_minor = aspk_domain::parse_amount_minor(&field("price"))
                .ok_or_else(|| AppError::invalid("price", "type a price such as 250 or 250,50"))?;
            product.is_on_sale = !field("on_sale").is_empty();
            product.shortcut = shortcut_from(&field("shortcut"))?;
            Ok(product)
        });
    let product = match changed {
        Ok(product) => product,
        Err(e) => return refused(&page, form, &fields, e),
    };
    match page.state.node.save_product(&page.who, product).await {
        Ok(_) => redirect(&saved_url("/settings", "product", &id, &[])),
        Err(e) => refused(&page, form, &fields, e),
    }
}

pub async fn add_user(page: Page, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| form_field(&fields, name);
    if let Err(refused) = page.check_post(&field("csrf"), "/settings") {
        return *refused;
    }
    if page.who.role != Role::Admin {
        return page.error(AppError::Forbidden("add staff"));
    }
    let role = match Role::parse(&field("role")) {
        Ok(r) => r,
        Err(e) => return refused(&page, "user-new", &fields, e.into()),
    };
    let username = field("username").trim().to_owned();
    let venue = field("venue");
    let done = page
        .state
        .node
        .add_user(
            &page.who.actor(),
            &username,
            &field("password"),
            role,
            Some(venue.as_str()),
        )
        .await;
    match done {
        Ok(()) => redirect(&saved_url("/settings", "user", &username, &[])),
        Err(e) => refused(&page, "user-new", &fields, e),
    }
}
