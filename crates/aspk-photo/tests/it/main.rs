//! Integration tests of aspk-photo: synthesized staff photos in, ticket codes out.

mod angles;
mod problems;
mod scenes;
mod support;
mod zbar;
