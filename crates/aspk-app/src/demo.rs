//! The demo museum a newcomer can click through at once (`aspk serve --demo`).

use aspk_domain::{
    Category, Currency, Localized, Product, ProductValidity, Role, Slot, Slug, User, Username,
    Venue,
};
use aspk_oplog::OpBody;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

use crate::auth::hash_password;
use crate::catalog::local_today;
use crate::{AppError, Node};

pub const DEMO_USER: &str = "admin";
pub const DEMO_PASSWORD: &str = "demo";
const DAYS: i64 = 8;
const FIRST_HOUR: u32 = 10;
const LAST_HOUR: u32 = 18;
const CAPACITY: u32 = 50;

fn slug(s: &str) -> Slug {
    Slug::parse("id", s).unwrap_or_else(|_| unreachable!("demo slugs are valid"))
}

fn demo_venue() -> Venue {
    Venue {
        id: slug("demo"),
        no: 1,
        name: Localized::new("Демонстраційний музей", "Demo Museum"),
        time_zone: "Europe/Kyiv".to_owned(),
        currency: Currency::UAH,
        early_entry_minutes: 0,
        shop: Default::default(),
    }
}

fn demo_product(
    id: &str,
    no: u16,
    name: Localized,
    category: Category,
    price_minor: i64,
    document: Option<Localized>,
) -> Product {
    Product {
        venue: slug("demo"),
        id: slug(id),
        no,
        name,
        category,
        price_minor,
        currency: Currency::UAH,
        document,
        validity: ProductValidity::Timed,
        is_on_sale: true,
        shortcut: u8::try_from(no).ok().filter(|k| *k <= 9),
    }
}

impl Node {
    /// Seeds the demo museum when the store holds no venue yet. Returns whether it seeded.
    pub async fn seed_demo(&self) -> Result<bool, AppError> {
        if self.read(|s| !s.venues().is_empty()) {
            return Ok(false);
        }
        let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
            .await
            .map_err(|e| AppError::Internal(e.into()))??;
        let now = self.now();
        self.submit(move |batch| {
            if !batch.state().venues().is_empty() {
                return Ok(false);
            }
            let venue = demo_venue();
            let mut ops = vec![
                OpBody::VenueSaved(venue.clone()),
                OpBody::ProductSaved(demo_product(
                    "adult",
                    1,
                    Localized::new("Дорослий", "Adult"),
                    Category::Full,
                    25_000,
                    None,
                )),
                OpBody::ProductSaved(demo_product(
                    "reduced",
                    2,
                    Localized::new("Пільговий", "Reduced"),
                    Category::Reduced,
                    12_500,
                    Some(Localized::new(
                        "Студентський, учнівський або пенсійний квиток",
                        "Student, pupil or pension card",
                    )),
                )),
            ];
            ops.extend(demo_slots(&venue, now).map(OpBody::SlotCreated));
            let admin = Username::parse(DEMO_USER)?;
            if !batch.state().users().contains_key(&admin) {
                ops.push(OpBody::UserSaved(User {
                    username: admin.clone(),
                    role: Role::Admin,
                    password_hash: String::new(),
                    is_active: true,
                    generation: 1,
                    lang: None,
                    venue: None,
                }));
                ops.push(OpBody::PasswordSet {
                    username: admin,
                    password_hash: hash,
                });
            }
            batch.record("system:demo", ops);
            Ok(true)
        })
        .await
    }
}

/// Hourly slots 10:00–18:00, today and the next seven days, in the venue's zone.
fn demo_slots(venue: &Venue, now: DateTime<Utc>) -> impl Iterator<Item = Slot> + '_ {
    let tz = venue.tz();
    let today = local_today(venue, now);
    (0..DAYS).flat_map(move |d| {
        let day = today + Duration::days(d);
        (FIRST_HOUR..LAST_HOUR).filter_map(move |h| {
            let start = tz
                .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0)?))
                .earliest()?;
            let starts_at = start.with_timezone(&Utc);
            Some(Slot {
                venue: venue.id.clone(),
                id: format!("{}-{}", venue.id, start.format("%Y%m%d-%H%M")),
                starts_at,
                ends_at: starts_at + Duration::hours(1),
                capacity: CAPACITY,
            })
        })
    })
}
