//! The box-office device (`/box-office/device/`) as the node sees it.
//!
//! A box-office device is a browser paired like a phone, with a key of its own that the
//! cloud delegates to it with a serial block (as it does for site nodes). It sells with no
//! server reachable: it signs its tickets and its ops itself, within the seats it holds of
//! each coming slot (its lease), and uploads its ops when any node answers.
//!
//! **Sync:** one call does everything while connected. The device sends the ops it wrote
//! since the last answer (its own origin only; `(origin, seq)` makes a retry harmless), the
//! node takes them in like replicated ops, tops up the device's leases (at the cloud, which
//! grants them) and answers with what the device needs to sell alone: the venue, the ticket
//! types, the coming slots with the seats it holds of each, its key and serial block, and
//! the highest sequence number of its own that is durable here.

use aspk_domain::{DeviceLease, Product, ProductValidity, Venue};
use aspk_oplog::{Op, OpBody};
use chrono::{DateTime, Duration, Utc};

use crate::catalog::local_today;
use crate::replicate::IngestReport;
use crate::{AppError, Node, NodeCredential, NodeRole};

/// Most ops in one upload.
pub const MAX_DEVICE_OPS: usize = 2_000;

/// A coming slot as the device sells it.
#[derive(Debug, Clone)]
pub struct DeviceSlot {
    pub id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: u32,
    /// Seats of it the device holds and has not sold (as far as this node knows).
    pub lease_left: u32,
}

/// The key the device signs with.
#[derive(Debug, Clone)]
pub struct DeviceKey {
    pub key_id: u16,
    pub serials: (u64, u64),
    pub valid_until: Option<DateTime<Utc>>,
}

/// What a box-office device gets back from a sync.
#[derive(Debug, Clone)]
pub struct DeviceSync {
    pub report: IngestReport,
    /// The highest sequence number of the device's own ops held here.
    pub durable_seq: u64,
    pub venue: Venue,
    /// Timed ticket types on sale (open-date ones are sold at a server).
    pub products: Vec<Product>,
    pub slots: Vec<DeviceSlot>,
    pub key: Option<DeviceKey>,
    pub lease: DeviceLease,
    /// Whether this node grants leases (the cloud); a site node only relays the ops.
    pub grants_leases: bool,
}

fn require_box_office(device: &NodeCredential) -> Result<(), AppError> {
    match device.0.role.as_str() {
        "box_office" => Ok(()),
        _ => Err(AppError::Forbidden("sync as a box-office device")),
    }
}

impl Node {
    /// Takes in a box-office device's ops, tops up its leases (at the cloud) and returns
    /// what it needs to sell alone. Ops of any other origin refuse the whole upload.
    pub async fn box_device_sync(
        &self,
        device: &NodeCredential,
        ops: Vec<Op>,
    ) -> Result<DeviceSync, AppError> {
        require_box_office(device)?;
        if ops.len() > MAX_DEVICE_OPS {
            return Err(AppError::invalid(
                "ops",
                format!("send at most {MAX_DEVICE_OPS} ops at a time"),
            ));
        }
        let origin = device.0.origin.clone();
        if let Some(other) = ops.iter().find(|op| op.origin != origin) {
            return Err(AppError::invalid(
                "ops",
                format!(
                    "a box-office device uploads only its own ops, not those of {}",
                    other.origin
                ),
            ));
        }
        // The visitors who left an e-mail at the device get their e-tickets from here.
        let mailed: Vec<u64> = ops
            .iter()
            .filter_map(|op| match &op.body {
                OpBody::OrderPlaced(placed) if placed.email.is_some() => Some(placed.number),
                _ => None,
            })
            .collect();
        let report = self
            .ingest(ops, &format!("node:{}", device.0.node_id))
            .await?;
        self.mail_device_tickets(&origin, mailed).await?;
        let venue = self.venue_of_device(device)?;
        let lease = venue.shop.device_lease.unwrap_or_default();
        let grants_leases = self.role() == NodeRole::Cloud;
        if grants_leases {
            self.top_up_device_leases(device, &venue, lease).await?;
        }
        let slots = self.device_slots(&venue, lease, &origin);
        let (products, key, durable_seq) = self.read(|s| {
            let products = s
                .products()
                .values()
                .filter(|p| p.venue == venue.id && p.is_on_sale)
                .filter(|p| p.validity == ProductValidity::Timed)
                .cloned()
                .collect();
            let key = s
                .key_meta()
                .iter()
                .filter(|(id, m)| {
                    m.holder.as_deref() == Some(origin.as_str())
                        && !s.revoked_keys().contains_key(id)
                })
                .filter_map(|(id, m)| {
                    Some(DeviceKey {
                        key_id: *id,
                        serials: m.serials?,
                        valid_until: m.valid_until,
                    })
                })
                .max_by_key(|k| k.key_id);
            let durable = s.applied().get(&origin).copied().unwrap_or(0);
            (products, key, durable)
        });
        Ok(DeviceSync {
            report,
            durable_seq,
            venue,
            products,
            slots,
            key,
            lease,
            grants_leases,
        })
    }

    /// Queues the e-tickets of the device's orders `numbers` that are placed here and have
    /// no mail yet (an upload repeated after a lost answer mails once).
    async fn mail_device_tickets(&self, origin: &str, numbers: Vec<u64>) -> Result<(), AppError> {
        for number in numbers {
            let due = self.read(|s| {
                let placed_here = s
                    .orders()
                    .placement(&number)
                    .is_some_and(|(o, _)| o == origin);
                let mailed = s.outbox().values().any(|m| m.order == Some(number));
                placed_here && !mailed
            });
            if due {
                self.queue_tickets_mail(number, None, "uk", "system")
                    .await?;
            }
        }
        Ok(())
    }

    /// The slots of `venue` from now to the end of the lease's last day (venue time), with
    /// the seats `holder` holds of each.
    fn device_slots(&self, venue: &Venue, lease: DeviceLease, holder: &str) -> Vec<DeviceSlot> {
        let now = self.now();
        let horizon = lease_horizon(venue, lease, now);
        let mut slots: Vec<DeviceSlot> = self.read(|s| {
            s.slots()
                .values()
                .filter(|slot| slot.slot.venue == venue.id)
                .filter(|slot| slot.slot.ends_at > now && slot.slot.starts_at < horizon)
                .map(|slot| DeviceSlot {
                    id: slot.slot.id.clone(),
                    starts_at: slot.slot.starts_at,
                    ends_at: slot.slot.ends_at,
                    capacity: slot.slot.capacity,
                    lease_left: slot.lease_left(holder).unwrap_or(0),
                })
                .collect()
        });
        slots.sort_by_key(|s| (s.starts_at, s.id.clone()));
        slots
    }

    /// Cloud side: brings the device's lease of every coming slot up to the venue's size,
    /// as far as free seats allow.
    async fn top_up_device_leases(
        &self,
        device: &NodeCredential,
        venue: &Venue,
        lease: DeviceLease,
    ) -> Result<(), AppError> {
        let wanted = u32::from(lease.seats);
        for slot in self.device_slots(venue, lease, &device.0.origin) {
            if slot.lease_left < wanted {
                self.grant_free_seats(device, &slot.id, wanted - slot.lease_left)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The end of the last day a device holds seats for: midnight (venue time) after today
/// and `days - 1` more days.
fn lease_horizon(venue: &Venue, lease: DeviceLease, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_today(venue, now);
    let last = today + Duration::days(i64::from(lease.days.max(1)) - 1);
    crate::catalog::local_day_bounds(venue, last).1
}
