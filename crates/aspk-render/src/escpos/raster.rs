//! Text as a 1-bit image: the embedded DejaVu outlines, flattened to line
//! segments and filled scanline by scanline (non-zero winding) with 4 vertical
//! sub-samples per dot and exact horizontal coverage; a dot prints when at
//! least half of it is covered.

use ttf_parser::{Face, OutlineBuilder};

use crate::font::{Fonts, Weight};
use crate::RenderError;

// The same files as `crate::font` embeds. `font::Font` keeps its parsed face
// private, so the outlines are read from a second parse here.
static REGULAR_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans-Bold.ttf");

/// Vertical sub-scanlines per dot row.
const SUBSAMPLES: usize = 4;
/// Fraction of a dot that must be covered for it to print.
const INK_THRESHOLD: f32 = 0.5;
/// Largest distance, in dots, between a curve and its flattened polyline.
const FLATTEN_TOLERANCE: f32 = 0.05;

/// A 1-bit image in ESC/POS raster order: rows top to bottom, each row
/// `width / 8` bytes, most significant bit = leftmost dot, 1 = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitmap {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl Bitmap {
    /// An empty (zero-row) image `width` dots wide; `width` must be a multiple of 8.
    pub(crate) fn new(width: usize) -> Self {
        debug_assert_eq!(width % 8, 0);
        Bitmap {
            width,
            height: 0,
            data: Vec::new(),
        }
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn height(&self) -> usize {
        self.height
    }

    /// Bytes per row.
    pub(crate) fn stride(&self) -> usize {
        self.width / 8
    }

    /// Grows the image (with white rows) to at least `height` rows.
    pub(crate) fn extend_to(&mut self, height: usize) {
        if height > self.height {
            self.height = height;
            self.data.resize(height * self.stride(), 0);
        }
    }

    /// Blackens dot (`x`, `y`); dots right of the image are ignored.
    pub(crate) fn set(&mut self, x: usize, y: usize) {
        if x < self.width {
            self.extend_to(y + 1);
            let stride = self.stride();
            self.data[y * stride + x / 8] |= 0x80 >> (x % 8);
        }
    }

    /// Blackens the rectangle of `w` × `h` dots whose top-left dot is (`x`, `y`).
    pub(crate) fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize) {
        for row in y..y + h {
            for col in x..(x + w).min(self.width) {
                self.set(col, row);
            }
        }
    }

    /// Packed rows `y0..y1`.
    pub(crate) fn rows(&self, y0: usize, y1: usize) -> &[u8] {
        &self.data[y0 * self.stride()..y1 * self.stride()]
    }
}

/// Both embedded faces with their outlines.
pub(crate) struct Faces {
    regular: Face<'static>,
    bold: Face<'static>,
}

impl Faces {
    pub(crate) fn load() -> Result<Self, RenderError> {
        let parse = |data, name| {
            Face::parse(data, 0).map_err(|e| RenderError::Font(format!("{name}: {e}")))
        };
        Ok(Faces {
            regular: parse(REGULAR_TTF, "DejaVuSans")?,
            bold: parse(BOLD_TTF, "DejaVuSans-Bold")?,
        })
    }

    fn get(&self, weight: Weight) -> &Face<'static> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Draws one line of `text` at `size` dots per em with its pen starting at
/// `x` and its baseline at `baseline` (dots from the image top).
///
/// Glyphs are chosen as in the PDF ([`crate::font::Font::glyph`]: a char the
/// font lacks shows U+FFFD), advances are unkerned, so widths agree with
/// [`crate::font::Font::text_width`] and the shared line wrapping.
pub(crate) fn draw_text(
    bitmap: &mut Bitmap,
    fonts: &Fonts,
    faces: &Faces,
    weight: Weight,
    size: f32,
    (x, baseline): (f32, f32),
    text: &str,
) {
    let font = fonts.get(weight);
    let face = faces.get(weight);
    let scale = size / f32::from(face.units_per_em());
    let mut sink = EdgeSink::default();
    let mut pen = x;
    for c in text.chars() {
        let (glyph, _) = font.glyph(c);
        sink.begin_glyph(pen, baseline, scale);
        face.outline_glyph(glyph, &mut sink);
        sink.close();
        pen += f32::from(face.glyph_hor_advance(glyph).unwrap_or(0)) * scale;
    }
    fill_nonzero(&sink.edges, bitmap);
}

/// A non-horizontal segment of an outline, in dots, with `y0 < y1`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    x0: f32,
    y0: f32,
    y1: f32,
    dx_dy: f32,
    /// +1 for segments drawn downwards, -1 upwards (non-zero winding).
    winding: i32,
}

/// Collects the outline of a run of glyphs as edges in image coordinates.
#[derive(Default)]
struct EdgeSink {
    edges: Vec<Edge>,
    origin: (f32, f32),
    scale: f32,
    start: (f32, f32),
    current: (f32, f32),
}

impl EdgeSink {
    fn begin_glyph(&mut self, x: f32, baseline: f32, scale: f32) {
        self.origin = (x, baseline);
        self.scale = scale;
    }

    /// Font units (y up) → image dots (y down).
    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        (
            self.origin.0 + x * self.scale,
            self.origin.1 - y * self.scale,
        )
    }

    fn segment(&mut self, (xa, ya): (f32, f32), (xb, yb): (f32, f32)) {
        if ya == yb {
            return;
        }
        let (x0, y0, x1, y1, winding) = if ya < yb {
            (xa, ya, xb, yb, 1)
        } else {
            (xb, yb, xa, ya, -1)
        };
        self.edges.push(Edge {
            x0,
            y0,
            y1,
            dx_dy: (x1 - x0) / (y1 - y0),
            winding,
        });
    }

    fn line(&mut self, to: (f32, f32)) {
        self.segment(self.current, to);
        self.current = to;
    }

    /// Replaces a curve by `n` chords, `point(t)` giving the curve at `t`.
    fn polyline(&mut self, n: usize, point: impl Fn(f32) -> (f32, f32)) {
        for i in 1..=n {
            self.line(point(i as f32 / n as f32));
        }
    }
}

/// Chords needed so a curve whose second derivative is at most `bend` dots
/// stays within [`FLATTEN_TOLERANCE`] (error ≤ bend / (8 n²)).
fn chords(bend: f32) -> usize {
    let n = (bend / (8.0 * FLATTEN_TOLERANCE)).sqrt().ceil();
    // `n` is finite and small here; the clamp bounds the work for absurd input.
    (n as usize).clamp(1, 64)
}

fn dist(a: (f32, f32), b: (f32, f32), c: (f32, f32)) -> f32 {
    // |a - 2b + c|
    let x = a.0 - 2.0 * b.0 + c.0;
    let y = a.1 - 2.0 * b.1 + c.1;
    (x * x + y * y).sqrt()
}

impl OutlineBuilder for EdgeSink {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = self.map(x, y);
        self.start = p;
        self.current = p;
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.map(x, y);
        self.line(p);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (p0, p1, p2) = (self.current, self.map(x1, y1), self.map(x, y));
        // B'' = 2 (p0 - 2 p1 + p2)
        let n = chords(2.0 * dist(p0, p1, p2));
        self.polyline(n, |t| {
            let u = 1.0 - t;
            (
                u * u * p0.0 + 2.0 * u * t * p1.0 + t * t * p2.0,
                u * u * p0.1 + 2.0 * u * t * p1.1 + t * t * p2.1,
            )
        });
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (p0, p1, p2, p3) = (
            self.current,
            self.map(x1, y1),
            self.map(x2, y2),
            self.map(x, y),
        );
        // |B''| ≤ 6 max(|p0 - 2 p1 + p2|, |p1 - 2 p2 + p3|)
        let n = chords(6.0 * dist(p0, p1, p2).max(dist(p1, p2, p3)));
        self.polyline(n, |t| {
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            (
                a * p0.0 + b * p1.0 + c * p2.0 + d * p3.0,
                a * p0.1 + b * p1.1 + c * p2.1 + d * p3.1,
            )
        });
    }

    fn close(&mut self) {
        let start = self.start;
        self.line(start);
    }
}

/// Fills the area enclosed by `edges` (non-zero winding) into `bitmap`.
fn fill_nonzero(edges: &[Edge], bitmap: &mut Bitmap) {
    let Some(first) = edges.first() else {
        return;
    };
    let mut bounds = (first.y0, first.y1, f32::INFINITY, f32::NEG_INFINITY);
    for e in edges {
        let x1 = e.x0 + (e.y1 - e.y0) * e.dx_dy;
        bounds.0 = bounds.0.min(e.y0);
        bounds.1 = bounds.1.max(e.y1);
        bounds.2 = bounds.2.min(e.x0.min(x1));
        bounds.3 = bounds.3.max(e.x0.max(x1));
    }
    let row0 = bounds.0.floor().max(0.0) as usize;
    let row1 = bounds.1.ceil().max(0.0) as usize;
    let col0 = bounds.2.floor().max(0.0) as usize;
    let col1 = (bounds.3.ceil().max(0.0) as usize).min(bitmap.width());
    if col0 >= col1 {
        return;
    }
    let origin = col0 as f32;
    let mut coverage = vec![0.0f32; col1 - col0];
    let mut crossings: Vec<(f32, i32)> = Vec::new();
    let weight = 1.0 / SUBSAMPLES as f32;
    for row in row0..row1 {
        coverage.fill(0.0);
        for k in 0..SUBSAMPLES {
            let y = row as f32 + (k as f32 + 0.5) * weight;
            crossings.clear();
            crossings.extend(
                edges
                    .iter()
                    .filter(|e| e.y0 <= y && y < e.y1)
                    .map(|e| (e.x0 + (y - e.y0) * e.dx_dy - origin, e.winding)),
            );
            crossings.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut winding = 0;
            for pair in crossings.windows(2) {
                winding += pair[0].1;
                if winding != 0 {
                    add_span(&mut coverage, pair[0].0, pair[1].0, weight);
                }
            }
        }
        for (i, &c) in coverage.iter().enumerate() {
            if c >= INK_THRESHOLD {
                bitmap.set(col0 + i, row);
            }
        }
    }
}

/// Adds `weight` × the covered part of each dot in `[a, b)` to `coverage`.
fn add_span(coverage: &mut [f32], a: f32, b: f32, weight: f32) {
    let a = a.max(0.0);
    let b = b.min(coverage.len() as f32);
    if b <= a {
        return;
    }
    let first = a.floor() as usize;
    let last = (b.ceil() as usize).min(coverage.len());
    for (px, c) in coverage.iter_mut().enumerate().take(last).skip(first) {
        let lo = (px as f32).max(a);
        let hi = ((px + 1) as f32).min(b);
        if hi > lo {
            *c += (hi - lo) * weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink(b: &Bitmap) -> usize {
        b.data.iter().map(|x| x.count_ones() as usize).sum()
    }

    #[test]
    fn square_fills_exactly() {
        let mut sink = EdgeSink::default();
        sink.begin_glyph(0.0, 0.0, 1.0);
        // A 10 × 6 dot rectangle at (3, 2), wound either way.
        sink.move_to(3.0, -2.0);
        sink.line_to(13.0, -2.0);
        sink.line_to(13.0, -8.0);
        sink.line_to(3.0, -8.0);
        sink.close();
        let mut b = Bitmap::new(16);
        fill_nonzero(&sink.edges, &mut b);
        assert_eq!(b.height(), 8);
        assert_eq!(ink(&b), 60);
        for y in 0..8 {
            for x in 0..16 {
                let on = b.rows(y, y + 1)[x / 8] & (0x80 >> (x % 8)) != 0;
                assert_eq!(on, (3..13).contains(&x) && (2..8).contains(&y), "({x},{y})");
            }
        }
    }

    #[test]
    fn overlapping_contours_use_nonzero_winding() {
        let mut sink = EdgeSink::default();
        sink.begin_glyph(0.0, 0.0, 1.0);
        for _ in 0..2 {
            sink.move_to(0.0, 0.0);
            sink.line_to(8.0, 0.0);
            sink.line_to(8.0, -4.0);
            sink.line_to(0.0, -4.0);
            sink.close();
        }
        let mut b = Bitmap::new(8);
        fill_nonzero(&sink.edges, &mut b);
        assert_eq!(ink(&b), 32, "even-odd would leave the doubled square empty");
    }

    #[test]
    fn letters_have_ink_and_advance() {
        let fonts = Fonts::load().expect("fonts");
        let faces = Faces::load().expect("faces");
        let mut b = Bitmap::new(256);
        draw_text(
            &mut b,
            &fonts,
            &faces,
            Weight::Bold,
            32.0,
            (4.0, 30.0),
            "Їжак ґ",
        );
        let n = ink(&b);
        assert!(n > 300 && n < 4000, "ink {n}");
    }
}
