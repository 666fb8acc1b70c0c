//! The op log's tests, in one binary: the fold's properties, and the capability table
//! enforced on every op kind and author, and the box-office device's browser modules
//! (`web/box`) against the op and ticket code formats.

mod authority;
mod device_js;
mod fold;
mod slots;
