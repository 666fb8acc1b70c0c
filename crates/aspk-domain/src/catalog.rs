use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Currency, Localized, Slug, ValidationError};

/// A museum building or site with its own time zone, currency and gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Venue {
    pub id: Slug,
    /// Small number carried inside ticket codes; unique within the organisation.
    pub no: u16,
    pub name: Localized,
    /// IANA zone name, e.g. `Europe/Kyiv`. Slots are defined and shown in this zone.
    pub time_zone: String,
    pub currency: Currency,
    /// Minutes before a slot's start from which its tickets already admit.
    #[serde(default)]
    pub early_entry_minutes: u16,
    /// How the visitors' shop looks and behaves (left out of the JSON while it is the
    /// default, so venues saved before the shop existed keep their ops' hashes).
    #[serde(default, skip_serializing_if = "ShopSettings::is_default")]
    pub shop: ShopSettings,
}

/// The visitors' shop of a venue: its look and its rules for online orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopSettings {
    /// The accent colour of buttons and links, `#rrggbb`.
    pub accent: Option<String>,
    /// The logo as a `data:` URL (PNG, JPEG or SVG, at most [`ShopSettings::MAX_LOGO`] bytes).
    pub logo: Option<String>,
    /// The terms a visitor accepts at checkout.
    pub terms: Option<Localized>,
    /// How long seats are held while a visitor pays.
    pub hold_minutes: u16,
    /// Up to how many hours before the slot a visitor may cancel online (none: not online).
    pub cancel_hours: Option<u16>,
    /// The most tickets one online order may hold.
    pub max_tickets: u16,
    /// How long a "pay at the box office" reservation is kept (never past the slot's start).
    pub box_office_hold_hours: u16,
    /// The museum's own steps for each failure of its continuity plan (none: the seeded
    /// steps). Kept with the venue's settings; left out of the JSON while unset, so venues
    /// saved before it existed keep their ops' hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuity: Option<ContinuityPlan>,
    /// The seats a box-office device holds of each coming slot to sell with no server, and
    /// how many days ahead (none: [`DeviceLease::default`]). Left out of the JSON while
    /// unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_lease: Option<DeviceLease>,
}

/// What a box-office device keeps of the coming slots while it is connected: a lease of
/// `seats` per slot for the slots of the next `days` days (today is day 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLease {
    pub seats: u16,
    pub days: u16,
}

impl Default for DeviceLease {
    fn default() -> Self {
        Self { seats: 20, days: 3 }
    }
}

impl DeviceLease {
    pub const MAX_SEATS: u16 = 500;
    pub const MAX_DAYS: u16 = 14;
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            accent: None,
            logo: None,
            terms: None,
            hold_minutes: 10,
            cancel_hours: None,
            max_tickets: 10,
            box_office_hold_hours: 24,
            continuity: None,
            device_lease: None,
        }
    }
}

impl ShopSettings {
    pub const MAX_LOGO: usize = 64 * 1024;

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(accent) = &self.accent {
            let hex = accent.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(ValidationError::new(
                    "accent",
                    "must be a colour like #1d4ed8",
                ));
            }
        }
        if let Some(logo) = &self.logo {
            let kinds = ["data:image/png;", "data:image/jpeg;", "data:image/svg+xml;"];
            if logo.len() > Self::MAX_LOGO || !kinds.iter().any(|k| logo.starts_with(k)) {
                return Err(ValidationError::new(
                    "logo",
                    "must be a PNG, JPEG or SVG image of at most 64 KB",
                ));
            }
        }
        if !(5..=60).contains(&self.hold_minutes) {
            return Err(ValidationError::new("hold_minutes", "must be 5 to 60"));
        }
        if !(1..=20).contains(&self.max_tickets) {
            return Err(ValidationError::new("max_tickets", "must be 1 to 20"));
        }
        if !(1..=720).contains(&self.box_office_hold_hours) {
            return Err(ValidationError::new(
                "box_office_hold_hours",
                "must be 1 to 720",
            ));
        }
        if let Some(lease) = &self.device_lease {
            if !(1..=DeviceLease::MAX_SEATS).contains(&lease.seats) {
                return Err(ValidationError::new(
                    "device_lease_seats",
                    "must be 1 to 500",
                ));
            }
            if !(1..=DeviceLease::MAX_DAYS).contains(&lease.days) {
                return Err(ValidationError::new("device_lease_days", "must be 1 to 14"));
            }
        }
        if let Some(terms) = &self.terms {
            terms.validate("terms")?;
        }
        if let Some(plan) = &self.continuity {
            plan.validate()?;
        }
        Ok(())
    }
}

/// A failure the museum's continuity plan has steps for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The power is out (the site node runs on its UPS).
    Power,
    /// The venue's internet link is down (the site node cannot reach its upstream).
    Internet,
    /// A gate or phone has gone silent while the others work.
    Validator,
    /// The cloud, where the ticketing system runs, fails.
    Cloud,
}

impl FailureKind {
    /// In the order the plan lists them.
    pub const ALL: [FailureKind; 4] = [Self::Power, Self::Internet, Self::Validator, Self::Cloud];

    /// The name used in the API, message keys and form fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Power => "power",
            Self::Internet => "internet",
            Self::Validator => "validator",
            Self::Cloud => "cloud",
        }
    }
}

/// The museum's own steps per failure, in Ukrainian and English, one step a line. A failure
/// without steps here shows the steps aspk is seeded with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContinuityPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Localized>,
}

impl ContinuityPlan {
    /// The most characters of one failure's steps in one language.
    pub const MAX_LEN: usize = 4_000;

    /// The museum's steps for `kind`, when it wrote some.
    pub fn steps(&self, kind: FailureKind) -> Option<&Localized> {
        match kind {
            FailureKind::Power => self.power.as_ref(),
            FailureKind::Internet => self.internet.as_ref(),
            FailureKind::Validator => self.validator.as_ref(),
            FailureKind::Cloud => self.cloud.as_ref(),
        }
    }

    /// Sets (or, with `None`, clears) the steps for `kind`.
    pub fn set_steps(&mut self, kind: FailureKind, steps: Option<Localized>) {
        let slot = match kind {
            FailureKind::Power => &mut self.power,
            FailureKind::Internet => &mut self.internet,
            FailureKind::Validator => &mut self.validator,
            FailureKind::Cloud => &mut self.cloud,
        };
        *slot = steps;
    }

    /// Whether no failure has steps of the museum's own.
    pub fn is_empty(&self) -> bool {
        FailureKind::ALL.iter().all(|k| self.steps(*k).is_none())
    }

    /// Each failure's steps: Ukrainian required, at most [`Self::MAX_LEN`] characters a
    /// language, no control characters but line breaks.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for kind in FailureKind::ALL {
            let Some(steps) = self.steps(kind) else {
                continue;
            };
            let fits = |text: &str| {
                text.chars().count() <= Self::MAX_LEN
                    && !text.chars().any(|c| c.is_control() && c != '\n')
            };
            let field = steps_field(kind);
            if steps.uk.trim().is_empty() {
                return Err(ValidationError::new(field, "needs the steps in Ukrainian"));
            }
            if !fits(&steps.uk) || !fits(&steps.en) {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "must be at most {} characters, without control characters",
                        Self::MAX_LEN
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The form field of `kind`'s steps (what a refusal is about).
fn steps_field(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Power => "steps_power",
        FailureKind::Internet => "steps_internet",
        FailureKind::Validator => "steps_validator",
        FailureKind::Cloud => "steps_cloud",
    }
}

impl Venue {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Europe::Kyiv)
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        self.name.validate("name")?;
        self.time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| ValidationError::new("time_zone", "is not an IANA time zone"))?;
        if self.early_entry_minutes > 240 {
            return Err(ValidationError::new(
                "early_entry_minutes",
                "must be at most 240",
            ));
        }
        self.shop.validate()?;
        Ok(())
    }
}

/// The price category of a ticket type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Full,
    /// Needs a document check at entry (`Product::document`).
    Reduced,
    /// A zero-price ticket; also needs a document check when `document` is set.
    Free,
}

/// When a product's tickets admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProductValidity {
    /// Sold for a slot; admits during that slot.
    Timed,
    /// Admits once on any opening day from `first` to `last` (venue calendar, inclusive).
    OpenDate { first: NaiveDate, last: NaiveDate },
}

/// A ticket type with its price category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub venue: Slug,
    pub id: Slug,
    /// Small number carried inside ticket codes; unique within the venue.
    pub no: u16,
    pub name: Localized,
    pub category: Category,
    pub price_minor: i64,
    pub currency: Currency,
    /// The document the gate must check (reduced and free tickets), e.g. a student card.
    #[serde(default)]
    pub document: Option<Localized>,
    pub validity: ProductValidity,
    #[serde(default = "yes")]
    pub is_on_sale: bool,
    /// The digit (1–9, or 0) that sells one at the box office with Alt: fixed once given, so
    /// adding or reordering products never changes a cashier's keys. Absent in products
    /// saved before shortcuts existed (and left out of the JSON then, so old ops keep
    /// their hashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<u8>,
}

fn yes() -> bool {
    true
}

impl Product {
    pub const MAX_PRICE_MINOR: i64 = 100_000_000;

    pub fn needs_document_check(&self) -> bool {
        self.document.is_some() || self.category == Category::Reduced
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        self.name.validate("name")?;
        if let Some(doc) = &self.document {
            doc.validate("document")?;
        }
        if !(0..=Self::MAX_PRICE_MINOR).contains(&self.price_minor) {
            return Err(ValidationError::new(
                "price_minor",
                "must be between 0 and 100000000",
            ));
        }
        if self.shortcut.is_some_and(|k| k > 9) {
            return Err(ValidationError::new(
                "shortcut",
                "must be a digit from 0 to 9",
            ));
        }
        if self.category == Category::Free && self.price_minor != 0 {
            return Err(ValidationError::new(
                "price_minor",
                "must be 0 for a free ticket",
            ));
        }
        if let ProductValidity::OpenDate { first, last } = self.validity {
            if last < first {
                return Err(ValidationError::new("validity", "ends before it starts"));
            }
            if (last - first).num_days() > 3660 {
                return Err(ValidationError::new("validity", "is longer than ten years"));
            }
        }
        Ok(())
    }
}

/// A timed-entry slot with a capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub venue: Slug,
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
}

impl Slot {
    pub const MAX_CAPACITY: u32 = 1_000_000;
    /// The longest a slot may last (an exhibition pass, a festival week).
    pub const MAX_LENGTH_DAYS: i64 = 31;

    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.ends_at <= self.starts_at {
            return Err(ValidationError::new("ends_at", "must be after starts_at"));
        }
        if self.ends_at - self.starts_at > chrono::Duration::days(Self::MAX_LENGTH_DAYS) {
            return Err(ValidationError::new(
                "ends_at",
                "a slot may last at most 31 days",
            ));
        }
        if self.capacity == 0 || self.capacity > Self::MAX_CAPACITY {
            return Err(ValidationError::new(
                "capacity",
                "must be between 1 and 1000000",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_settings_without_a_plan_serialise_as_before() {
        let json = serde_json::to_value(ShopSettings::default()).expect("json");
        assert!(json.get("continuity").is_none(), "{json}");
        let read: ShopSettings = serde_json::from_value(json).expect("read back");
        assert_eq!(read.continuity, None);
    }

    #[test]
    fn a_plan_keeps_the_steps_of_each_failure_and_checks_them() {
        let mut plan = ContinuityPlan::default();
        assert!(plan.is_empty());
        plan.set_steps(
            FailureKind::Internet,
            Some(Localized::new("Крок 1\nКрок 2", "Step 1\nStep 2")),
        );
        assert!(!plan.is_empty());
        assert_eq!(
            plan.steps(FailureKind::Internet).map(|s| s.get("en")),
            Some("Step 1\nStep 2")
        );
        assert_eq!(plan.steps(FailureKind::Power), None);
        assert!(plan.validate().is_ok());

        plan.set_steps(FailureKind::Power, Some(Localized::new(" ", "Step")));
        let refused = plan.validate().expect_err("Ukrainian is required");
        assert_eq!(refused.field, "steps_power");
        plan.set_steps(FailureKind::Power, Some(Localized::new("a\u{7}b", "")));
        assert!(plan.validate().is_err(), "a control character");
        let long = "я".repeat(ContinuityPlan::MAX_LEN + 1);
        plan.set_steps(FailureKind::Power, Some(Localized::new(long, "")));
        assert!(plan.validate().is_err(), "too long");
    }
}
