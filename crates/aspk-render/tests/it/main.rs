//! Integration tests: render real PDFs and check them with independent tools
//! (poppler's pdftotext/pdftoppm/pdfinfo, the rqrr decoder, zbarimg when present).

mod api;
mod escpos;
mod escpos_device;
mod qr_decode;
mod samples;
mod stock;
mod structure;
mod support;
mod text;
