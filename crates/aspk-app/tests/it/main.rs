//! The application layer's tests, in one binary: real nodes on in-memory stores, two at a
//! time (sessions, keys, replication between a cloud and a site node) and in a seeded
//! simulation of many.

mod money;
mod museum;
mod printer;
mod reports;
mod schedule;
mod sim;
mod two_nodes;
