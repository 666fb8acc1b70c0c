use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// What a staff member may do. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Cashier,
    Controller,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "admin" => Ok(Self::Admin),
            "manager" => Ok(Self::Manager),
            "cashier" => Ok(Self::Cashier),
            "controller" => Ok(Self::Controller),
            _ => Err(ValidationError::new(
                "role",
                "must be admin, manager, cashier or controller",
            )),
        }
    }
}

/// A staff sign-in name: 1–64 characters, no spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

/// Accounts are kept in maps by name; a name can be looked up by its text.
impl std::borrow::Borrow<str> for Username {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > 64 {
            return Err(ValidationError::new(
                "username",
                "must be 1 to 64 characters",
            ));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new("username", "may not contain spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: Username,
    pub role: Role,
    /// PHC string (argon2id). Accounts saved since passwords became ops of their own
    /// (`password_set` in the op log) leave it empty here (and out of the JSON), so that
    /// the account can travel to replicas that must not hold the hash.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_hash: String,
    pub is_active: bool,
    /// Bumped on password change; bearer tokens carry it, so old tokens stop working.
    pub generation: u32,
    /// The interface language the person chose last (`uk` or `en`); left out of the JSON
    /// when unset, so users saved before it existed keep their ops' content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The venue this person works at; none for the organisation's own staff. A site node
    /// of the venue lets them sign in there (see the trust model in `docs/security.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<crate::Slug>,
}

impl Role {
    /// 0 for admin up to 3 for controller: a role may do what every role of a higher rank
    /// number may do.
    pub fn rank(self) -> usize {
        match self {
            Self::Admin => 0,
            Self::Manager => 1,
            Self::Cashier => 2,
            Self::Controller => 3,
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn at_least(self, needed: Role) -> bool {
        self.rank() <= needed.rank()
    }
}
