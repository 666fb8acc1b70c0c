use aspk_domain::{ConflictCode, ValidationError};

/// Why a use case refused or failed. Carries no HTTP; `aspk-http` maps each to a status
/// and a stable problem code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{what} '{id}' does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{field}: no {what} '{id}'")]
    UnknownReference {
        field: &'static str,
        what: &'static str,
        id: String,
    },
    #[error("{detail}")]
    SoldOut {
        slot: String,
        requested: u32,
        available: u32,
        detail: String,
        /// The slot's start in the venue's time, e.g. `26.11 14:00`.
        local_time: String,
        /// Selling from a lease while possibly cut off.
        offline: bool,
    },
    /// The request meets a state it cannot change: `code` says which (the problem's `code`).
    #[error("{detail}")]
    Conflict { code: ConflictCode, detail: String },
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many failed sign-ins: try again in {minutes} min")]
    LockedOut { minutes: u32 },
    #[error("sign in first")]
    Unauthenticated,
    #[error("your role may not do this: {0}")]
    Forbidden(&'static str),
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(ValidationError::new(field, message))
    }
}

impl From<aspk_store::StoreError> for AppError {
    fn from(e: aspk_store::StoreError) -> Self {
        match e {
            aspk_store::StoreError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl AppError {
    /// Not enough seats. A node selling from a lease says so plainly, so the cashier knows
    /// to sell paper stock or another slot while the link is down.
    pub fn sold_out(
        slot: &str,
        local_time: &str,
        requested: u32,
        available: u32,
        is_offline_lease: bool,
    ) -> Self {
        let detail = if is_offline_lease {
            format!("no seats left offline for {local_time} ({available} left, {requested} requested): sell paper stock or another slot")
        } else {
            format!("not enough seats in the {local_time} slot: {requested} requested, {available} left")
        };
        Self::SoldOut {
            slot: slot.to_owned(),
            requested,
            available,
            detail,
            local_time: local_time.to_owned(),
            offline: is_offline_lease,
        }
    }
}
