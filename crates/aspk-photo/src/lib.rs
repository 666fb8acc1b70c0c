//! Finds and decodes ticket QR codes in staff's photos of e-tickets.
//!
//! During an outage gate staff photograph visitors' e-tickets (a phone screen or a
//! printed A4 ticket); afterwards a manager uploads the photos and [`read_photos`] gives,
//! per photo, the ticket codes found and what went wrong. Ticket codes are digits only:
//! QR codes with other content are ignored.
//!
//! [`synth`] makes such photos for tests and benches.

mod gray;
mod load;
mod scan;
pub mod synth;

use rayon::prelude::*;

pub use load::MAX_PIXELS;

/// What one uploaded file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoReading {
    /// Ticket codes (digit strings) found, each once, in the order found.
    pub codes: Vec<String>,
    /// Why no code was read; `None` when `codes` is not empty.
    pub problem: Option<PhotoProblem>,
}

/// Why a file gave no ticket code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoProblem {
    /// Not a JPEG or PNG, or a damaged one.
    NotAnImage,
    /// The image has more than [`MAX_PIXELS`] pixels; it was not decoded.
    TooLarge,
    /// The image decoded but no QR code with a ticket code was found in it.
    NoCodeFound,
}

impl PhotoReading {
    fn problem(problem: PhotoProblem) -> Self {
        PhotoReading {
            codes: Vec::new(),
            problem: Some(problem),
        }
    }
}

/// Decodes one file's bytes (JPEG or PNG, told apart by their content, not a name).
pub fn read_photo(bytes: &[u8]) -> PhotoReading {
    let gray = match load::load_gray(bytes) {
        Ok(gray) => gray,
        Err(load::LoadError::NotAnImage) => return PhotoReading::problem(PhotoProblem::NotAnImage),
        Err(load::LoadError::TooLarge) => return PhotoReading::problem(PhotoProblem::TooLarge),
    };
    let codes = scan::find_codes(&gray);
    if codes.is_empty() {
        PhotoReading::problem(PhotoProblem::NoCodeFound)
    } else {
        PhotoReading {
            codes,
            problem: None,
        }
    }
}

/// Decodes many files in parallel on all cores; the readings are in input order.
pub fn read_photos(files: &[&[u8]]) -> Vec<PhotoReading> {
    files.par_iter().map(|bytes| read_photo(bytes)).collect()
}
