//! Closing findings: a manager records what was done; the finding stays, marked resolved.

use aspk_oplog::OpBody;

use crate::access::Action;
use crate::{AppError, Node, Principal};

impl Node {
    pub async fn resolve_finding(
        &self,
        who: &Principal,
        id: &str,
        note: &str,
    ) -> Result<(), AppError> {
        who.require_to(Action::ResolveFindings)?;
        let note = note.trim().to_owned();
        if note.is_empty() || note.chars().count() > 1000 {
            return Err(AppError::invalid(
                "note",
                "say what was done, in at most 1000 characters",
            ));
        }
        let (id, actor) = (id.to_owned(), who.actor());
        self.submit(move |batch| {
            if !batch.state().findings().contains_key(&id) {
                return Err(AppError::NotFound {
                    what: "finding",
                    id,
                });
            }
            batch.record(&actor, vec![OpBody::FindingResolved { id, note }]);
            Ok(())
        })
        .await
    }
}
