//! What the settings page shows: printers, ticket types, staff and venues.

use aspk_domain::{Printer, Product, Role, Slug, Venue};

use crate::access::Action;
use crate::{AppError, Node, Principal};

/// Everything an admin configures, as it is now.
#[derive(Debug, Clone)]
pub struct Settings {
    pub printers: Vec<Printer>,
    pub products: Vec<Product>,
    /// Staff accounts: name, role, whether active.
    pub users: Vec<(String, Role, bool)>,
    pub venues: Vec<Venue>,
}

impl Node {
    /// The configuration, for admins.
    pub fn settings(&self, who: &Principal) -> Result<Settings, AppError> {
        who.require_to(Action::OpenSettings)?;
        Ok(self.read(|s| Settings {
            printers: s.printers().values().cloned().collect(),
            products: s.products().values().cloned().collect(),
            users: s
                .users()
                .values()
                .map(|u| (u.username.as_str().to_owned(), u.role, u.is_active))
                .collect(),
            venues: s.venues().values().cloned().collect(),
        }))
    }

    /// Every venue.
    pub fn venues(&self) -> Vec<Venue> {
        self.read(|s| s.venues().values().cloned().collect())
    }

    /// Ticket type `product` of `venue`, if there is one.
    pub fn product(&self, venue: &str, product: &str) -> Option<Product> {
        let key = (
            Slug::parse("venue", venue).ok()?,
            Slug::parse("product", product).ok()?,
        );
        self.read(|s| s.products().get(&key).cloned())
    }
}
