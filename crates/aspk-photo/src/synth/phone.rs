//! One phone on the desk: its geometry and what its screen shows.
//!
//! Shapes are laid out in the phone's own frame: origin at the QR code's centre, `u` to
//! the right and `v` down, in photo pixels. A photo point is turned into that frame by
//! undoing the phone's rotation.

use qrcode::{Color, EcLevel, QrCode};

/// Light modules on each side of the symbol (ISO/IEC 18004).
const QUIET_ZONE: f32 = 4.0;
const SCREEN: [f32; 3] = [236.0, 240.0, 243.0];
const INK: [f32; 3] = [24.0, 26.0, 32.0];
const BODY: [f32; 3] = [30.0, 31.0, 36.0];
const HEADER: [f32; 3] = [112.0, 36.0, 56.0];
const CAPTION: [f32; 3] = [92.0, 94.0, 100.0];
/// Sub-pixel sample offsets that anti-alias the module edges.
const SUBSAMPLES: [(f32, f32); 4] = [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)];

/// An axis-aligned rectangle in the phone's frame.
#[derive(Debug, Clone, Copy)]
struct Rect {
    left: f32,
    top: f32,
    right: f32,
    bottom: f32,
}

impl Rect {
    fn contains(&self, u: f32, v: f32) -> bool {
        u >= self.left && u < self.right && v >= self.top && v < self.bottom
    }

    /// Whether the point is inside once the corners are rounded with `radius`.
    fn contains_rounded(&self, u: f32, v: f32, radius: f32) -> bool {
        let cu = (self.left + self.right) / 2.0;
        let cv = (self.top + self.bottom) / 2.0;
        let du = ((u - cu).abs() - ((self.right - self.left) / 2.0 - radius)).max(0.0);
        let dv = ((v - cv).abs() - ((self.bottom - self.top) / 2.0 - radius)).max(0.0);
        du * du + dv * dv <= radius * radius
    }
}

/// A bright elliptical reflection, in photo coordinates.
#[derive(Debug, Clone, Copy)]
struct Glare {
    x: f32,
    y: f32,
    cos: f32,
    sin: f32,
    rx: f32,
    ry: f32,
}

impl Glare {
    /// Brightness added at a photo point: a saturating core and a faint halo.
    fn at(&self, x: f32, y: f32) -> f32 {
        let (dx, dy) = (x - self.x, y - self.y);
        let a = (self.cos * dx + self.sin * dy) / self.rx;
        let b = (-self.sin * dx + self.cos * dy) / self.ry;
        let d2 = a * a + b * b;
        let core = if d2 < 1.0 {
            let k = 1.0 - d2;
            235.0 * k * k.sqrt()
        } else {
            0.0
        };
        let halo = if d2 < 4.0 {
            30.0 * (1.0 - d2 / 4.0)
        } else {
            0.0
        };
        core + halo
    }
}

/// A phone showing one QR code, placed and rotated in the photo.
pub(super) struct Phone {
    dark: Vec<bool>,
    modules: usize,
    module_px: f32,
    x: f32,
    y: f32,
    cos: f32,
    sin: f32,
    half_qr: f32,
    screen: Rect,
    body: Rect,
    screen_width: f32,
    ink: [f32; 3],
    glare: Option<Glare>,
}

impl Phone {
    /// A phone whose QR symbol (quiet zone excluded) is `symbol_px` wide, centred at `(x, y)`.
    ///
    /// # Panics
    /// If `code` does not fit in a QR code.
    pub(super) fn new(code: &str, (x, y): (f32, f32), symbol_px: f32, angle_deg: f32) -> Self {
        let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M)
            .expect("the code fits in a QR code");
        let modules = qr.width();
        let dark = qr
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let module_px = symbol_px / modules as f32;
        let half_qr = (modules as f32 + 2.0 * QUIET_ZONE) * module_px / 2.0;
        let sw = 2.0 * half_qr * 1.14;
        let screen = Rect {
            left: -sw / 2.0,
            right: sw / 2.0,
            top: -half_qr - 0.42 * sw,
            bottom: -half_qr + 1.68 * sw,
        };
        let body = Rect {
            left: screen.left - 0.045 * sw,
            right: screen.right + 0.045 * sw,
            top: screen.top - 0.16 * sw,
            bottom: screen.bottom + 0.16 * sw,
        };
        let (sin, cos) = angle_deg.to_radians().sin_cos();
        Phone {
            dark,
            modules,
            module_px,
            x,
            y,
            cos,
            sin,
            half_qr,
            screen,
            body,
            screen_width: sw,
            ink: INK,
            glare: None,
        }
    }

    /// Dims the dark modules towards the screen colour: `1.0` keeps full contrast.
    pub(super) fn with_contrast(mut self, contrast: f32) -> Self {
        let c = contrast.clamp(0.05, 1.0);
        self.ink = std::array::from_fn(|i| SCREEN[i] - (SCREEN[i] - INK[i]) * c);
        self
    }

    /// Adds a glare spot over the right part of the symbol, away from the finder patterns.
    pub(super) fn with_glare(mut self) -> Self {
        let symbol = self.modules as f32 * self.module_px;
        let (u, v) = (0.24 * symbol, 0.06 * symbol);
        let (sin, cos) = (self.sin, self.cos);
        let axis = (self.sin.atan2(self.cos) + 20f32.to_radians()).sin_cos();
        self.glare = Some(Glare {
            x: self.x + cos * u - sin * v,
            y: self.y + sin * u + cos * v,
            sin: axis.0,
            cos: axis.1,
            rx: 0.25 * symbol,
            ry: 0.15 * symbol,
        });
        self
    }

    /// The span of photo columns on row `py` that the phone or its glare may touch:
    /// a circle around the code's centre that holds the whole body. `None` off the row.
    pub(super) fn reach_on_row(&self, py: f32) -> Option<(f32, f32)> {
        let b = &self.body;
        let (du, dv) = (
            b.left.abs().max(b.right.abs()),
            b.top.abs().max(b.bottom.abs()),
        );
        let reach2 = du * du + dv * dv;
        let dy = py - self.y;
        if dy * dy > reach2 {
            return None;
        }
        let half = (reach2 - dy * dy).sqrt();
        Some((self.x - half, self.x + half))
    }

    /// Brightness the phone's glare adds at a photo point.
    pub(super) fn glare_at(&self, x: f32, y: f32) -> f32 {
        self.glare.map_or(0.0, |g| g.at(x, y))
    }

    /// Colour at a photo point, or `None` when the point is off this phone.
    pub(super) fn shade(&self, x: f32, y: f32) -> Option<[f32; 3]> {
        let (u, v) = self.to_frame(x, y);
        if !self.body.contains_rounded(u, v, 0.13 * self.screen_width) {
            return None;
        }
        if !self.screen.contains_rounded(u, v, 0.05 * self.screen_width) {
            return Some(BODY);
        }
        if u.abs() < self.half_qr && v.abs() < self.half_qr {
            return Some(self.shade_qr(u, v));
        }
        Some(self.shade_screen(u, v))
    }

    fn to_frame(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.x, y - self.y);
        (
            self.cos * dx + self.sin * dy,
            -self.sin * dx + self.cos * dy,
        )
    }

    /// The QR area: dark share of four sub-samples, mixed between screen and ink.
    fn shade_qr(&self, u: f32, v: f32) -> [f32; 3] {
        let dark = SUBSAMPLES
            .iter()
            .filter(|(du, dv)| self.is_dark(u + du, v + dv))
            .count() as f32
            / SUBSAMPLES.len() as f32;
        let fade = self.screen_fade(v);
        std::array::from_fn(|i| (SCREEN[i] + (self.ink[i] - SCREEN[i]) * dark) * fade)
    }

    /// The screen darkens slightly from top to bottom.
    fn screen_fade(&self, v: f32) -> f32 {
        1.0 - 0.04 * (v - self.screen.top) / self.screen_width
    }

    fn is_dark(&self, u: f32, v: f32) -> bool {
        let mx = ((u + self.half_qr) / self.module_px - QUIET_ZONE).floor();
        let my = ((v + self.half_qr) / self.module_px - QUIET_ZONE).floor();
        let n = self.modules as f32;
        if mx < 0.0 || my < 0.0 || mx >= n || my >= n {
            return false;
        }
        self.dark[my as usize * self.modules + mx as usize]
    }

    /// The rest of the screen: a header bar with a title, caption lines under the code.
    fn shade_screen(&self, u: f32, v: f32) -> [f32; 3] {
        let sw = self.screen_width;
        let (su, sv) = ((u - self.screen.left) / sw, (v - self.screen.top) / sw);
        let title = Rect {
            left: 0.08,
            top: 0.06,
            right: 0.62,
            bottom: 0.11,
        };
        if sv < 0.17 {
            return if title.contains(su, sv) {
                SCREEN
            } else {
                HEADER
            };
        }
        let below = (v - self.half_qr) / sw - 0.08;
        let line = (below / 0.09).floor();
        let in_line = below - line * 0.09;
        let lengths = [0.72, 0.5, 0.64, 0.38];
        let shaded = below >= 0.0
            && in_line < 0.04
            && (line as usize) < lengths.len()
            && su > 0.1
            && su < 0.1 + lengths[line as usize];
        let fade = self.screen_fade(v);
        let base = if shaded { CAPTION } else { SCREEN };
        base.map(|c| c * fade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Share of the symbol (quiet zone excluded) that the glare brightens by more than
    /// `level`, sampled on a 200×200 lattice.
    fn glare_share(phone: &Phone, level: f32) -> f32 {
        let symbol = phone.modules as f32 * phone.module_px;
        let n = 200;
        let mut hit = 0;
        for i in 0..n {
            for j in 0..n {
                let u = (i as f32 + 0.5) / n as f32 * symbol - symbol / 2.0;
                let v = (j as f32 + 0.5) / n as f32 * symbol - symbol / 2.0;
                let x = phone.x + phone.cos * u - phone.sin * v;
                let y = phone.y + phone.sin * u + phone.cos * v;
                if phone.glare_at(x, y) > level {
                    hit += 1;
                }
            }
        }
        hit as f32 / (n * n) as f32
    }

    #[test]
    fn the_glare_covers_part_of_the_code_but_at_most_15_percent() {
        for angle in [0.0, 17.0, 90.0, 205.0] {
            let phone = Phone::new(&"7".repeat(210), (800.0, 600.0), 320.0, angle).with_glare();
            let washed_out = glare_share(&phone, 100.0);
            assert!(washed_out > 0.03, "{angle}°: {washed_out}");
            assert!(washed_out <= 0.15, "{angle}°: {washed_out}");
        }
    }

    #[test]
    fn the_glare_leaves_the_finder_patterns_alone() {
        let phone = Phone::new(&"7".repeat(60), (800.0, 600.0), 320.0, 30.0).with_glare();
        let finder = 8.0 * phone.module_px;
        let half = phone.modules as f32 * phone.module_px / 2.0;
        for (cu, cv) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)] {
            for k in 0..=8 {
                for l in 0..=8 {
                    let u = cu * (half - finder * k as f32 / 8.0);
                    let v = cv * (half - finder * l as f32 / 8.0);
                    let x = phone.x + phone.cos * u - phone.sin * v;
                    let y = phone.y + phone.sin * u + phone.cos * v;
                    assert!(phone.glare_at(x, y) < 40.0, "finder at ({cu}, {cv})");
                }
            }
        }
    }

    #[test]
    fn the_quiet_zone_is_light_and_the_finder_corner_dark() {
        let phone = Phone::new("12345678901234567890", (0.0, 0.0), 210.0, 0.0);
        let half_symbol = phone.modules as f32 * phone.module_px / 2.0;
        let inside = -half_symbol + phone.module_px / 2.0;
        let quiet = -half_symbol - phone.module_px * 2.0;
        assert!(phone.is_dark(inside, inside));
        assert!(!phone.is_dark(quiet, quiet));
        assert!(!phone.is_dark(quiet, inside));
    }
}
