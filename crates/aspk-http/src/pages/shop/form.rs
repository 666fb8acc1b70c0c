//! The order form of a slot: what the visitor typed, read from the post, checked, and
//! shown again (as typed, with the messages next to their fields) when refused.

use aspk_domain::{Email, Product, Venue};

use super::super::frame::form_field;
use super::Visitor;

/// The hidden field bots fill in and people never see.
pub const HONEYPOT: &str = "website";

/// The longest name or phone number accepted.
const MAX_NAME: usize = 200;
const MAX_PHONE: usize = 20;

/// The order form as typed.
#[derive(Default, Clone)]
pub struct OrderForm {
    pub date: String,
    pub slot: String,
    /// (product id, quantity as typed).
    pub quantities: Vec<(String, String)>,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub terms: bool,
    /// The hidden field was filled in: a bot.
    pub is_bot: bool,
}

/// Messages next to the fields of a refused form.
#[derive(Default)]
pub struct FormErrors {
    pub quantity: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub terms: Option<String>,
    /// About the order as a whole (sold out, the slot is gone, …), above the form.
    pub general: Option<String>,
}

impl FormErrors {
    pub fn any(&self) -> bool {
        self.quantity.is_some()
            || self.email.is_some()
            || self.name.is_some()
            || self.phone.is_some()
            || self.terms.is_some()
            || self.general.is_some()
    }
}

/// A checked form: what to hold.
pub struct Checked {
    pub items: Vec<(String, u32)>,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl OrderForm {
    /// The form from a post's fields; `products` are the ones offered (others are ignored).
    pub fn read(fields: &[(String, String)], products: &[Product]) -> OrderForm {
        OrderForm {
            date: form_field(fields, "date"),
            slot: form_field(fields, "slot"),
            quantities: products
                .iter()
                .map(|p| {
                    let id = p.id.as_str();
                    (id.to_owned(), form_field(fields, &format!("qty-{id}")))
                })
                .collect(),
            email: form_field(fields, "email"),
            name: form_field(fields, "name"),
            phone: form_field(fields, "phone"),
            terms: form_field(fields, "terms") == "1",
            is_bot: !form_field(fields, HONEYPOT).is_empty(),
        }
    }

    /// The quantity typed for `product` ("0" when none was).
    pub fn quantity(&self, product: &str) -> &str {
        self.quantities
            .iter()
            .find(|(p, _)| p == product)
            .map(|(_, q)| q.as_str())
            .filter(|q| !q.is_empty())
            .unwrap_or("0")
    }

    /// Checks the form against the venue's rules: at least one ticket and at most the
    /// most per order, a valid e-mail, the terms accepted.
    pub fn check(&self, v: &Visitor, venue: &Venue) -> Result<Checked, Box<FormErrors>> {
        let mut errors = FormErrors::default();
        let max = u32::from(venue.shop.max_tickets);
        let mut items = Vec::new();
        let mut total: u32 = 0;
        for (product, raw) in &self.quantities {
            let raw = if raw.is_empty() { "0" } else { raw.as_str() };
            match raw.parse::<u32>() {
                Ok(0) => {}
                Ok(n) => {
                    total = total.saturating_add(n);
                    items.push((product.clone(), n));
                }
                Err(_) => {
                    errors.quantity = Some(v.t("shop-error-quantity"));
                }
            }
        }
        if errors.quantity.is_none() {
            if total == 0 {
                errors.quantity = Some(v.t("shop-error-no-tickets"));
            } else if total > max {
                errors.quantity = Some(v.t_args("shop-error-too-many", &[("max", max.into())]));
            }
        }
        let email = match Email::parse(&self.email) {
            Ok(e) => e.as_str().to_owned(),
            Err(_) => {
                errors.email = Some(v.t("shop-error-email"));
                String::new()
            }
        };
        if self.name.chars().count() > MAX_NAME || self.name.chars().any(char::is_control) {
            errors.name = Some(v.t("shop-error-name"));
        }
        let phone_ok = self.phone.is_empty()
            || (self.phone.len() <= MAX_PHONE
                && self.phone.chars().filter(char::is_ascii_digit).count() >= 5
                && self
                    .phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()".contains(c)));
        if !phone_ok {
            errors.phone = Some(v.t("shop-error-phone"));
        }
        if !self.terms {
            errors.terms = Some(v.t("shop-error-terms"));
        }
        if errors.any() {
            return Err(Box::new(errors));
        }
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(Checked {
            items,
            email,
            name: optional(&self.name),
            phone: optional(&self.phone),
        })
    }
}
