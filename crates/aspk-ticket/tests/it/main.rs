//! The ticket code's tests, in one binary: properties of sign and verify, and every case of
//! `tests/vectors.json` (the vectors other implementations check against).

mod proptests;
mod vector_gen;
mod vectors;
