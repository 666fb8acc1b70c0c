//! Capacity leases: seats of a slot set aside for a site node so it can sell while cut off
//! without ever overselling. The cloud grants; the holder sells within its lease and hands
//! unused seats back.

use aspk_oplog::OpBody;

use crate::{AppError, Node, NodeCredential};

/// Largest lease one request may ask for.
pub const MAX_LEASE_REQUEST: u32 = 10_000;

impl Node {
    /// Cloud side: grants up to `seats` of `slot` to a site node; returns how many.
    pub async fn grant_lease(
        &self,
        node: &NodeCredential,
        slot: &str,
        seats: u32,
    ) -> Result<u32, AppError> {
        self.require_cloud_for_site_node(
            node,
            "leases are granted by the cloud",
            "hold capacity leases",
        )?;
        if seats == 0 || seats > MAX_LEASE_REQUEST {
            return Err(AppError::invalid(
                "seats",
                format!("must be 1 to {MAX_LEASE_REQUEST}"),
            ));
        }
        self.grant_free_seats(node, slot, seats).await
    }

    /// Grants `node` up to `seats` of `slot`, as many as are free (not sold, leased or held
    /// for a payment); returns how many.
    pub(crate) async fn grant_free_seats(
        &self,
        node: &NodeCredential,
        slot: &str,
        seats: u32,
    ) -> Result<u32, AppError> {
        let (holder, slot) = (node.0.origin.clone(), slot.to_owned());
        let actor = format!("node:{}", node.0.node_id);
        let node_now = self.now();
        self.submit(move |batch| {
            let state = batch.state();
            let s = state
                .slots()
                .get(&slot)
                .ok_or_else(|| AppError::UnknownReference {
                    field: "slot",
                    what: "slot",
                    id: slot.clone(),
                })?;
            // Seats held for online orders waiting for payment are not leased away.
            let held = i64::from(s.held_at(node_now, None));
            let free = u32::try_from((s.unleased_free() - held).max(0)).unwrap_or(0);
            let granted = seats.min(free);
            if granted > 0 {
                batch.record(
                    &actor,
                    vec![OpBody::LeaseGranted {
                        holder,
                        slot,
                        seats: granted,
                    }],
                );
            }
            Ok(granted)
        })
        .await
    }

    /// Holder side: hands back up to `seats` unused seats of this node's lease on `slot`.
    /// The slots of `venue` that start within `horizon` of now and have not ended, with the
    /// seats this node still holds of each (0 when it holds none): what a site node tops up.
    pub fn held_seats(&self, venue: &str, horizon: chrono::Duration) -> Vec<(String, u32)> {
        let now = self.now();
        let origin = self.origin().to_owned();
        self.read(|s| {
            s.slots()
                .values()
                .filter(|slot| {
                    slot.slot.venue.as_str() == venue
                        && slot.slot.ends_at > now
                        && slot.slot.starts_at < now + horizon
                })
                .map(|slot| (slot.slot.id.clone(), slot.lease_left(&origin).unwrap_or(0)))
                .collect()
        })
    }

    pub async fn return_lease(&self, slot: &str, seats: u32) -> Result<u32, AppError> {
        let (holder, slot) = (self.origin().to_owned(), slot.to_owned());
        self.submit(move |batch| {
            let left = batch
                .state()
                .slots()
                .get(&slot)
                .and_then(|s| s.lease_left(&holder))
                .unwrap_or(0);
            let back = seats.min(left);
            if back > 0 {
                batch.record(
                    "system:lease",
                    vec![OpBody::LeaseReturned {
                        holder,
                        slot,
                        seats: back,
                    }],
                );
            }
            Ok(back)
        })
        .await
    }
}
