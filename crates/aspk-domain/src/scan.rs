//! The verdict on a scanned ticket: the one list the gate, the phone, the API and the op log
//! name results by (its names are in `names.rs`, like every domain enum's).

use serde::{Deserialize, Serialize};

/// The gate's verdict on a scan. Names are part of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScanResult {
    Admit,
    AlreadyUsed,
    Void,
    NotValidYet,
    Expired,
    WrongVenue,
    /// A bad signature or a malformed code.
    Invalid,
    /// A well-signed code or a number this replica has no ticket for.
    Unknown,
}
