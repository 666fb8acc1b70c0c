//! The op log's tests, in one binary: the fold's properties, and the capability table
//! enforced on every op kind and author.

mod authority;
mod fold;
mod slots;
