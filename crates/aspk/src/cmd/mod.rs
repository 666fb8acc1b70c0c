pub mod bench;
pub mod bench_replication;
pub mod gate;
pub mod keys;
pub mod node;
pub mod serve;
pub mod user;
