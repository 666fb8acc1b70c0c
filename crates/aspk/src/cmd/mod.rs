pub mod bench;
// A measuring tool, not part of the product: left out of the production build.
#[cfg(feature = "bench-replication")]
pub mod bench_replication;
pub mod gate;
pub mod keys;
pub mod node;
pub mod serve;
pub mod status;
pub mod ups;
pub mod user;
