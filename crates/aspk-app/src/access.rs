//! Who may do what through the app: one table for every use case and query a member of
//! staff calls, and for the sections of the staff app (its navigation is drawn from it).
//! Each row names the op kinds the action records, and a test checks that every role the
//! row allows is also allowed by the fold's capability table for those ops
//! (`aspk_oplog::CAPABILITIES`): the app never lets anyone start what every replica would
//! then refuse.

use aspk_domain::Role;

use crate::{AppError, Principal};

/// Something a member of staff does through the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Sell,
    Overbook,
    CancelTickets,
    RefundUsedTickets,
    LookUpOrders,
    RunShifts,
    ScanTickets,
    ReadStatus,
    ReadReports,
    HandleRequests,
    EmailVisitors,
    OpenSettings,
    ConfigurePrinters,
    ChangeVenues,
    ChangeProducts,
    CreateSlots,
    ChangeSlots,
    ChangeStaff,
    ListDevices,
    PairPhones,
    EnrolDevices,
    RevokePhones,
    RevokeDevices,
    ReadFindings,
    ResolveFindings,
    ManageStock,
    EnterPaperSales,
    ImportEntries,
    RunDrills,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub action: Action,
    /// The roles that may do it.
    pub roles: &'static [Role],
    /// The action in words, for the refusal ("you may not …").
    pub words: &'static str,
    /// The op kinds it records.
    pub ops: &'static [&'static str],
}

use Role::{Admin, Cashier, Controller, Manager};

const EVERYONE: &[Role] = &[Admin, Manager, Cashier, Controller];
const TILL: &[Role] = &[Admin, Manager, Cashier];
const MANAGERS: &[Role] = &[Admin, Manager];
const ADMINS: &[Role] = &[Admin];

/// Every action, who may do it, and the ops it records.
#[rustfmt::skip]
pub static ACCESS: &[Grant] = &[
    Grant { action: Action::Sell, roles: TILL, words: "sell at the box office", ops: &["order_placed", "order_printed", "order_contact"] },
    Grant { action: Action::Overbook, roles: MANAGERS, words: "overbook a slot", ops: &["order_placed"] },
    Grant { action: Action::CancelTickets, roles: TILL, words: "cancel tickets and orders", ops: &["ticket_voided", "order_cancelled"] },
    Grant { action: Action::RefundUsedTickets, roles: MANAGERS, words: "refund a ticket that was already used", ops: &["ticket_voided", "order_cancelled"] },
    Grant { action: Action::LookUpOrders, roles: TILL, words: "look up orders", ops: &[] },
    Grant { action: Action::RunShifts, roles: TILL, words: "open and close cash shifts", ops: &["shift_opened", "shift_closed"] },
    Grant { action: Action::ScanTickets, roles: EVERYONE, words: "scan tickets", ops: &["entry_recorded", "scan_denied"] },
    Grant { action: Action::ReadStatus, roles: EVERYONE, words: "see the node's status", ops: &[] },
    Grant { action: Action::ReadReports, roles: MANAGERS, words: "read reports", ops: &[] },
    Grant { action: Action::HandleRequests, roles: MANAGERS, words: "handle visitors' requests", ops: &["request_updated", "request_replied"] },
    Grant { action: Action::EmailVisitors, roles: TILL, words: "send e-mails to visitors", ops: &["mail_queued"] },
    Grant { action: Action::OpenSettings, roles: ADMINS, words: "change the settings", ops: &[] },
    Grant { action: Action::ConfigurePrinters, roles: ADMINS, words: "configure printers", ops: &["printer_saved"] },
    Grant { action: Action::ChangeVenues, roles: ADMINS, words: "change venues", ops: &["venue_saved"] },
    Grant { action: Action::ChangeProducts, roles: MANAGERS, words: "change products", ops: &["product_saved"] },
    Grant { action: Action::CreateSlots, roles: MANAGERS, words: "create slots", ops: &["slot_created"] },
    Grant { action: Action::ChangeSlots, roles: ADMINS, words: "change, close and delete slots", ops: &["slot_changed", "slot_deleted"] },
    Grant { action: Action::ChangeStaff, roles: ADMINS, words: "change staff accounts", ops: &["user_saved", "password_set"] },
    Grant { action: Action::ListDevices, roles: MANAGERS, words: "see devices", ops: &[] },
    Grant { action: Action::PairPhones, roles: MANAGERS, words: "pair phones and box-office devices", ops: &["enrolment_created"] },
    Grant { action: Action::EnrolDevices, roles: ADMINS, words: "enrol site nodes and gates", ops: &["enrolment_created"] },
    Grant { action: Action::RevokePhones, roles: MANAGERS, words: "revoke phones", ops: &["node_revoked"] },
    Grant { action: Action::RevokeDevices, roles: ADMINS, words: "revoke devices", ops: &["node_revoked"] },
    Grant { action: Action::ReadFindings, roles: MANAGERS, words: "see findings", ops: &[] },
    Grant { action: Action::ResolveFindings, roles: MANAGERS, words: "resolve findings", ops: &["finding_resolved"] },
    Grant { action: Action::ManageStock, roles: MANAGERS, words: "manage paper stock", ops: &["stock_batch_created", "stock_moved"] },
    Grant { action: Action::EnterPaperSales, roles: TILL, words: "enter paper sales", ops: &["order_placed"] },
    Grant { action: Action::ImportEntries, roles: MANAGERS, words: "import hand-recorded entries", ops: &["entry_recorded", "entries_imported"] },
    Grant { action: Action::RunDrills, roles: MANAGERS, words: "run drills", ops: &["drill_started", "drill_ended"] },
];

/// The row of `action`.
pub fn grant(action: Action) -> &'static Grant {
    ACCESS
        .iter()
        .find(|g| g.action == action)
        .unwrap_or_else(|| panic!("{action:?} has no row in the access table"))
}

impl Principal {
    /// Whether this member of staff may do `action`.
    pub fn may(&self, action: Action) -> bool {
        grant(action).roles.contains(&self.role)
    }

    /// Refuses unless this member of staff may do `action`.
    pub fn require_to(&self, action: Action) -> Result<(), AppError> {
        let grant = grant(action);
        if grant.roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(grant.words))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_row() {
        let actions: std::collections::HashSet<Action> = ACCESS.iter().map(|g| g.action).collect();
        assert_eq!(actions.len(), ACCESS.len(), "an action has two rows");
        for g in ACCESS {
            assert!(!g.roles.is_empty(), "{:?} allows nobody", g.action);
            assert!(std::ptr::eq(grant(g.action), g));
        }
    }

    /// The app lets a role start an action only if every replica's fold accepts the ops
    /// that action records from that role.
    #[test]
    fn the_app_allows_no_role_that_the_fold_would_refuse() {
        for g in ACCESS {
            for kind in g.ops {
                let cap = aspk_oplog::capability(kind)
                    .unwrap_or_else(|| panic!("{kind} is not an op kind"));
                let needed = cap.staff.unwrap_or_else(|| {
                    panic!(
                        "{kind} is not a staff action, yet {:?} records it",
                        g.action
                    )
                });
                for role in g.roles {
                    assert!(
                        role.at_least(needed),
                        "{:?} lets a {role:?} record {kind}, which needs {needed:?}",
                        g.action
                    );
                }
            }
        }
    }

    #[test]
    fn a_refusal_names_the_action() {
        let cashier = Principal {
            username: aspk_domain::Username::parse("kasa").expect("a valid name"),
            role: Role::Cashier,
        };
        assert!(cashier.may(Action::Sell));
        assert!(!cashier.may(Action::ReadReports));
        match cashier.require_to(Action::ReadReports) {
            Err(AppError::Forbidden(words)) => assert_eq!(words, "read reports"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod threat_model {
    use super::ACCESS;

    /// The access table as `docs/security.md` prints it.
    fn table_markdown() -> String {
        let mut out = String::from("| action | roles | records |\n|---|---|---|\n");
        for g in ACCESS {
            let roles: Vec<&str> = g.roles.iter().map(|r| r.as_str()).collect();
            let ops: Vec<String> = g.ops.iter().map(|o| format!("`{o}`")).collect();
            let ops = match ops.is_empty() {
                true => "—".to_owned(),
                false => ops.join(", "),
            };
            out.push_str(&format!("| {} | {} | {ops} |\n", g.words, roles.join(", ")));
        }
        out
    }

    /// The threat model shows the table the app enforces, exactly.
    #[test]
    fn the_threat_model_prints_the_access_table() {
        let table = table_markdown();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            doc.contains(&table),
            "docs/security.md must hold the access table as the code has it:\n{table}"
        );
    }
}
