//! The search: rqrr on several versions of the picture until one of them yields a code.
//!
//! The first look is at a working size that keeps ticket QR codes at a few pixels per
//! module while staying fast; later looks change scale, binarize locally (glare, low
//! contrast), stretch levels or turn the picture, and stop at the first that finds a code.

use crate::gray::Gray;

/// Longer side, in pixels, the first look works at (at least; integer shrink factors).
const WORKING_SIDE: usize = 1300;

/// One way to look at the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// rqrr's own thresholding on the picture shrunk by the factor.
    Plain(usize),
    /// A local-mean threshold of our own on the shrunk picture.
    Threshold(usize),
    /// Levels stretched to the full range first.
    Stretched(usize),
    /// Turned a quarter first.
    Rotated(usize),
    /// Enlarged twice (small pictures with small codes).
    Enlarged,
}

/// The looks tried, in order, for a picture whose longer side is `long_side`.
pub(crate) fn looks(long_side: usize) -> Vec<Look> {
    let base = (long_side / WORKING_SIDE).max(1);
    let mut looks = vec![Look::Plain(base), Look::Threshold(base)];
    if base > 1 {
        looks.push(Look::Plain(base - 1));
    }
    looks.push(Look::Plain(base + 1));
    looks.push(Look::Rotated(base));
    looks.push(Look::Stretched(base));
    if base > 1 {
        looks.push(Look::Threshold(base - 1));
    } else {
        looks.push(Look::Enlarged);
    }
    looks
}

/// Digit-only contents of the QR codes found, each once, in the order found.
pub(crate) fn find_codes(full: &Gray) -> Vec<String> {
    let mut shrunk = Shrunk::new(full);
    for look in looks(full.long_side()) {
        let codes = try_look(&mut shrunk, look);
        if !codes.is_empty() {
            return codes;
        }
    }
    Vec::new()
}

/// The picture shrunk by the factors asked for so far, each computed once.
struct Shrunk<'a> {
    full: &'a Gray,
    by_factor: Vec<(usize, Gray)>,
}

impl<'a> Shrunk<'a> {
    fn new(full: &'a Gray) -> Self {
        Shrunk {
            full,
            by_factor: Vec::new(),
        }
    }

    fn by(&mut self, factor: usize) -> &Gray {
        if factor <= 1 {
            return self.full;
        }
        let index = match self.by_factor.iter().position(|(f, _)| *f == factor) {
            Some(index) => index,
            None => {
                self.by_factor.push((factor, self.full.shrink(factor)));
                self.by_factor.len() - 1
            }
        };
        &self.by_factor[index].1
    }
}

/// Digit-only codes one look finds.
fn try_look(shrunk: &mut Shrunk, look: Look) -> Vec<String> {
    let factor = match look {
        Look::Plain(f) | Look::Stretched(f) | Look::Rotated(f) | Look::Threshold(f) => f,
        Look::Enlarged => 1,
    };
    if too_small(shrunk.by(factor)) {
        return Vec::new();
    }
    match look {
        Look::Plain(f) => decode_grey(shrunk.by(f)),
        Look::Stretched(f) => decode_grey(&shrunk.by(f).stretched()),
        Look::Rotated(f) => decode_grey(&shrunk.by(f).rotate90()),
        Look::Enlarged => decode_grey(&shrunk.by(1).enlarge2()),
        Look::Threshold(f) => decode_thresholded(shrunk.by(f)),
    }
}

/// Whether a picture is too small to hold a QR code (21 modules a side at least).
fn too_small(gray: &Gray) -> bool {
    gray.width < 21 || gray.height < 21
}

fn decode_grey(gray: &Gray) -> Vec<String> {
    if too_small(gray) {
        return Vec::new();
    }
    guarded(|| {
        let w = gray.width;
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, gray.height, |x, y| {
            gray.pixels[y * w + x]
        });
        codes_of(prepared.detect_grids())
    })
}

fn decode_thresholded(gray: &Gray) -> Vec<String> {
    if too_small(gray) {
        return Vec::new();
    }
    let radius = (gray.long_side() / 40).max(4);
    let dark = gray.local_threshold(radius, 4);
    guarded(|| {
        let w = gray.width;
        let mut prepared =
            rqrr::PreparedImage::prepare_from_bitmap(w, gray.height, |x, y| dark[y * w + x]);
        codes_of(prepared.detect_grids())
    })
}

/// Runs an rqrr search, taking a panic in it as "nothing found": rqrr 0.10 can still
/// panic on odd pictures (an assertion in its perspective mapping), and one bad upload
/// must not take the batch down.
fn guarded(search: impl FnOnce() -> Vec<String> + std::panic::UnwindSafe) -> Vec<String> {
    std::panic::catch_unwind(search).unwrap_or_default()
}

fn codes_of<G: rqrr::BitGrid>(grids: Vec<rqrr::Grid<G>>) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for grid in grids {
        if let Ok((_, text)) = grid.decode() {
            if is_ticket_code(&text) && !codes.contains(&text) {
                codes.push(text);
            }
        }
    }
    codes
}

/// Ticket codes are digits only; anything else in a QR code is not ours.
fn is_ticket_code(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_12_megapixel_photo_is_first_looked_at_a_third_of_its_size() {
        let looks = looks(4000);
        assert_eq!(looks[0], Look::Plain(3));
        assert!(looks.contains(&Look::Plain(2)));
        assert!(!looks.contains(&Look::Enlarged));
    }

    #[test]
    fn a_small_photo_is_looked_at_as_it_is_and_enlarged_last() {
        let looks = looks(1600);
        assert_eq!(looks[0], Look::Plain(1));
        assert_eq!(looks.last(), Some(&Look::Enlarged));
    }

    #[test]
    fn a_panic_in_the_search_is_taken_as_nothing_found() {
        let found = guarded(|| panic!("as rqrr may on odd pictures"));
        assert!(found.is_empty());
        assert_eq!(guarded(|| vec!["123".to_string()]), vec!["123"]);
    }

    #[test]
    fn only_digit_strings_are_ticket_codes() {
        assert!(is_ticket_code("0123456789"));
        assert!(!is_ticket_code(""));
        assert!(!is_ticket_code("12 34"));
        assert!(!is_ticket_code("https://example.org"));
        assert!(!is_ticket_code("１２３"));
    }
}
