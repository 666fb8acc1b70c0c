//! One name per value of each domain enum: the name the op log, the API, the pages and the
//! catalogues' keys all use. An unknown name is an error that lists the known ones, never a
//! default.

use std::fmt;

use crate::{
    Category, Channel, ConflictCode, FindingKind, OrderStatus, PaymentMethod, Role, ScanResult,
    TicketStatus,
};

/// A name that is not one of a domain enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being named ("channel", "payment method", …).
    pub what: &'static str,
    pub got: String,
    pub known: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a {}: use one of {}",
            self.got,
            self.what,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Gives `$ty` its names: `ALL`, `as_str`, `Display` and `FromStr`, and comparison with a
/// name (`kind == "oversell"`). The names are the serde names (snake case); a test checks
/// that they agree.
macro_rules! names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// Its one name (as in the op log and the API).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownName;

            fn from_str(raw: &str) -> Result<Self, UnknownName> {
                match raw.trim() {
                    $($name => Ok($ty::$variant),)+
                    other => Err(UnknownName {
                        what: $what,
                        got: other.to_owned(),
                        known: &[$($name),+],
                    }),
                }
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, name: &str) -> bool {
                self.as_str() == name
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, name: &&str) -> bool {
                self.as_str() == *name
            }
        }
    };
}

names!(Channel, "sales channel", {
    BoxOffice => "box_office",
    Online => "online",
    Paper => "paper",
});

names!(PaymentMethod, "payment method", {
    Cash => "cash",
    Card => "card",
    Other => "other",
});

names!(Category, "ticket category", {
    Full => "full",
    Reduced => "reduced",
    Free => "free",
});

names!(OrderStatus, "order status", {
    Paid => "paid",
    Cancelled => "cancelled",
    Refunded => "refunded",
});

names!(TicketStatus, "ticket status", {
    Valid => "valid",
    Used => "used",
    Void => "void",
});

names!(Role, "role", {
    Admin => "admin",
    Manager => "manager",
    Cashier => "cashier",
    Controller => "controller",
});

names!(FindingKind, "finding kind", {
    DoubleEntry => "double_entry",
    AdmittedAfterCancel => "admitted_after_cancel",
    Oversell => "oversell",
    Equivocation => "equivocation",
    RevokedPush => "revoked_push",
    ForgedOp => "forged_op",
    DuplicateSale => "duplicate_sale",
    UnauthorisedOp => "unauthorised_op",
    HeldOp => "held_op",
    UnverifiedEntry => "unverified_entry",
    LatePayment => "late_payment",
    StockNotEntered => "stock_not_entered",
    StockEnteredTwice => "stock_entered_twice",
    VoidedStockPresented => "voided_stock_presented",
    UnreadablePhoto => "unreadable_photo",
    ImportedUnknown => "imported_unknown",
    ImportedMismatch => "imported_mismatch",
});

names!(ScanResult, "scan result", {
    Admit => "admit",
    AlreadyUsed => "already_used",
    Void => "void",
    NotValidYet => "not_valid_yet",
    Expired => "expired",
    WrongVenue => "wrong_venue",
    Invalid => "invalid",
    Unknown => "unknown",
});

names!(ConflictCode, "conflict code", {
    AlreadyCancelled => "already_cancelled",
    BeyondKey => "beyond_key",
    EnrolmentInvalid => "enrolment_invalid",
    KeyNotPublished => "key_not_published",
    KeyTaken => "key_taken",
    NoDelegatedKey => "no_delegated_key",
    NoKeysLeft => "no_keys_left",
    NoOpenShift => "no_open_shift",
    NotAuthority => "not_authority",
    NotOnSale => "not_on_sale",
    OriginTaken => "origin_taken",
    ShiftOpen => "shift_open",
    SlotOver => "slot_over",
    UserExists => "user_exists",
    SlotSold => "slot_sold",
    BelowSold => "below_sold",
    SlotClosed => "slot_closed",
    SlotsOverlap => "slots_overlap",
    TooManyHolds => "too_many_holds",
    NotCancellable => "not_cancellable",
    StockOverlap => "stock_overlap",
    StockEntered => "stock_entered",
    StockUnavailable => "stock_unavailable",
    DrillRunning => "drill_running",
    DrillOver => "drill_over",
    DrillStock => "drill_stock",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn agrees_with_serde<T>(all: &[T])
    where
        T: Copy + serde::Serialize + std::str::FromStr + fmt::Display + PartialEq + fmt::Debug,
    {
        for value in all {
            let name = value.to_string();
            let json = serde_json::to_string(value).unwrap_or_default();
            assert_eq!(json, format!("\"{name}\""), "{value:?}");
            assert_eq!(name.parse::<T>().ok(), Some(*value));
        }
    }

    #[test]
    fn each_name_is_the_serde_name_and_parses_back() {
        agrees_with_serde(Channel::ALL);
        agrees_with_serde(PaymentMethod::ALL);
        agrees_with_serde(Category::ALL);
        agrees_with_serde(OrderStatus::ALL);
        agrees_with_serde(TicketStatus::ALL);
        agrees_with_serde(Role::ALL);
        agrees_with_serde(FindingKind::ALL);
        agrees_with_serde(ConflictCode::ALL);
        agrees_with_serde(ScanResult::ALL);
    }

    /// The OpenAPI document lists exactly the names, in order.
    #[cfg(feature = "schema")]
    #[test]
    fn each_schema_lists_the_names() {
        fn listed<T: utoipa::PartialSchema + Copy + fmt::Display>(all: &[T]) {
            let schema = serde_json::to_value(T::schema()).unwrap_or_default();
            let names: Vec<String> = all.iter().map(ToString::to_string).collect();
            assert_eq!(schema["enum"], serde_json::json!(names), "{schema}");
        }
        listed(Channel::ALL);
        listed(PaymentMethod::ALL);
        listed(Category::ALL);
        listed(OrderStatus::ALL);
        listed(TicketStatus::ALL);
        listed(Role::ALL);
        listed(FindingKind::ALL);
        listed(ConflictCode::ALL);
        listed(ScanResult::ALL);
    }

    #[test]
    fn a_value_equals_its_name_only() {
        assert!(FindingKind::Oversell == "oversell");
        assert!(ConflictCode::BeyondKey == *"beyond_key");
        assert!(ConflictCode::BeyondKey != "key_taken");
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_the_known_ones() {
        let err = "cheque"
            .parse::<PaymentMethod>()
            .expect_err("not a payment method");
        assert_eq!(
            err.to_string(),
            "'cheque' is not a payment method: use one of cash, card, other"
        );
        assert!(
            "".parse::<Category>().is_err(),
            "no default for an empty name"
        );
        assert_eq!(" card ".parse::<PaymentMethod>(), Ok(PaymentMethod::Card));
    }
}
