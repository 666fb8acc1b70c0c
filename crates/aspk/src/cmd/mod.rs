pub mod bench;
pub mod node;
pub mod serve;
pub mod user;
