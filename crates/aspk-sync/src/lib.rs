//! The client side of replication: a site node enrols with its upstream and then keeps
//! pushing what the upstream lacks, pulling what it lacks, and topping up its capacity
//! leases, over an ordered list of upstream endpoints with automatic failover.
//! The protocol itself is described in `docs/replication.md`.

mod client;
mod config;
mod renew;
mod worker;

pub use client::{Client, RenewedKey, SyncError};
pub use config::{enrol, UpstreamConfig};
pub use worker::{LeasePolicy, SyncWorker};
