//! PDF object plumbing shared by the document (`pdf.rs`) and its embedded fonts
//! (`font.rs`): object ids and stream compression.

use pdf_writer::Ref;

/// Hands out consecutive indirect-object ids.
pub(crate) struct RefAlloc(i32);

impl RefAlloc {
    pub(crate) fn new() -> Self {
        RefAlloc(1)
    }

    pub(crate) fn next(&mut self) -> Ref {
        let r = Ref::new(self.0);
        self.0 += 1;
        r
    }
}

/// zlib-compresses a stream body (`/FlateDecode`). Deterministic.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
}
