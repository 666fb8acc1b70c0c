//! QR encoding of the ticket code: always numeric mode, smallest version that fits.

use qrcode::bits::Bits;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::RenderError;

/// Light modules around the symbol that must stay blank (ISO/IEC 18004 asks for 4).
pub const QUIET_ZONE: usize = 4;

/// QR error-correction level.
///
/// `M` recovers ~15 % damage, `Q` ~25 %. Thermal roll prints smudge and fade,
/// so [`crate::Paper::Roll80mm`] defaults to `Q`; see [`crate::Paper::default_qr_level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrLevel {
    /// Medium, ~15 % recovery.
    M,
    /// Quartile, ~25 % recovery.
    Q,
}

impl QrLevel {
    fn ec_level(self) -> EcLevel {
        match self {
            QrLevel::M => EcLevel::M,
            QrLevel::Q => EcLevel::Q,
        }
    }

    fn name(self) -> &'static str {
        match self {
            QrLevel::M => "M",
            QrLevel::Q => "Q",
        }
    }
}

/// A QR symbol as a square grid of modules, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    version: u8,
    modules: Vec<bool>,
}

impl QrMatrix {
    /// Modules per side (21 for version 1, +4 per version), quiet zone excluded.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules per side including the quiet zone of [`QUIET_ZONE`] on each side.
    pub fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// QR version, 1..=40.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Row-major modules, `true` = dark; `modules().len() == width() * width()`.
    pub fn modules(&self) -> &[bool] {
        &self.modules
    }

    /// Whether the module at column `x`, row `y` is dark; `false` outside the symbol
    /// (so the quiet zone reads as light).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.modules[y * self.width + x]
    }

    /// Horizontal runs of dark modules in row `y`, as `(first_column, length)`.
    pub fn dark_runs(&self, y: usize) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut x = 0;
        while x < self.width {
            if self.is_dark(x, y) {
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                runs.push((start, x - start));
            } else {
                x += 1;
            }
        }
        runs
    }
}

/// Encodes a digits-only ticket code as a QR symbol in numeric mode.
///
/// The smallest (non-micro) version that holds the code at `level` is chosen.
/// Numeric mode packs 3 digits into 10 bits, so a 207-digit code fits version 7
/// at level Q. The segment is built explicitly with [`Bits::push_numeric_data`]
/// instead of the crate's automatic segmentation, so the mode never depends on
/// heuristics.
pub fn qr_matrix(code: &str, level: QrLevel) -> Result<QrMatrix, RenderError> {
    validate_code(code)?;
    let ec = level.ec_level();
    for v in 1..=40i16 {
        let mut bits = Bits::new(Version::Normal(v));
        let pushed = bits
            .push_numeric_data(code.as_bytes())
            .and_then(|()| bits.push_terminator(ec));
        match pushed {
            Ok(()) => {
                let qr = QrCode::with_bits(bits, ec).map_err(|e| qr_error(code, level, e))?;
                let width = qr.width();
                let modules = qr
                    .to_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                return Ok(QrMatrix {
                    width,
                    // `v` is 1..=40, so this never saturates.
                    version: u8::try_from(v).unwrap_or(u8::MAX),
                    modules,
                });
            }
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(qr_error(code, level, e)),
        }
    }
    Err(qr_error(code, level, QrError::DataTooLong))
}

fn qr_error(code: &str, level: QrLevel, e: QrError) -> RenderError {
    match e {
        QrError::DataTooLong => RenderError::CodeTooLong {
            len: code.len(),
            level: level.name(),
        },
        other => RenderError::Font(format!("unexpected QR encoder error: {other:?}")),
    }
}

pub(crate) fn validate_code(code: &str) -> Result<(), RenderError> {
    let bad = code.chars().position(|c| !c.is_ascii_digit());
    if code.is_empty() || bad.is_some() {
        return Err(RenderError::InvalidCode {
            len: code.chars().count(),
            position: bad,
        });
    }
    Ok(())
}

/// Encodes any short text (e.g. a pairing link) as a QR symbol at level M, in the mode the
/// `qrcode` crate picks. For ticket codes use [`qr_matrix`], which pins numeric mode.
pub fn text_qr_matrix(text: &str) -> Result<QrMatrix, RenderError> {
    let qr =
        QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).map_err(|_| {
            RenderError::CodeTooLong {
                len: text.len(),
                level: "M",
            }
        })?;
    let version = match qr.version() {
        Version::Normal(v) => u8::try_from(v).unwrap_or(u8::MAX),
        Version::Micro(v) => u8::try_from(v).unwrap_or(u8::MAX),
    };
    Ok(QrMatrix {
        width: qr.width(),
        version,
        modules: qr
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// The symbol as a standalone SVG (one path of dark runs, quiet zone included), `size`
/// pixels square: crisp on any screen, no image files.
pub fn qr_svg(matrix: &QrMatrix, size: u32) -> String {
    let side = matrix.width_with_quiet_zone();
    let mut path = String::new();
    for y in 0..matrix.width() {
        for (x, len) in matrix.dark_runs(y) {
            path.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE,
                len,
                len
            ));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{size}\" height=\"{size}\" shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(n: usize) -> String {
        (0..n)
            .map(|i| char::from(b'0' + ((i * 7 + 3) % 10) as u8))
            .collect()
    }

    #[test]
    fn code_of_207_digits_fits_version_7_at_q() {
        // Numeric mode: 4 + 10 + 69 * 10 = 704 bits = exactly the 88 data
        // codewords of 7-Q. Alphanumeric or byte mode would need 1 150+ bits,
        // i.e. version ≥ 10, so this also proves numeric mode is used.
        let m = qr_matrix(&digits(207), QrLevel::Q).expect("encode");
        assert!(m.version() <= 7, "version {}", m.version());
        assert_eq!(m.width(), 17 + 4 * usize::from(m.version()));
        assert_eq!(m.modules().len(), m.width() * m.width());
    }

    #[test]
    fn version_matches_numeric_capacity_table() {
        // ISO/IEC 18004 table 7, numeric capacity: 1-M 34, 1-Q 27, 5-M 202, 6-M 255, 6-Q 180, 7-Q 207.
        let cases = [
            (34, QrLevel::M, 1),
            (35, QrLevel::M, 2),
            (27, QrLevel::Q, 1),
            (28, QrLevel::Q, 2),
            (207, QrLevel::M, 6),
            (200, QrLevel::Q, 7),
        ];
        for (n, level, version) in cases {
            let m = qr_matrix(&digits(n), level).expect("encode");
            assert_eq!(m.version(), version, "{n} digits at {level:?}");
        }
    }

    #[test]
    fn same_input_same_symbol() {
        let a = qr_matrix(&digits(120), QrLevel::M).expect("encode");
        let b = qr_matrix(&digits(120), QrLevel::M).expect("encode");
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_non_digits_and_empty() {
        assert_eq!(
            qr_matrix("12a4", QrLevel::M),
            Err(RenderError::InvalidCode {
                len: 4,
                position: Some(2)
            })
        );
        assert_eq!(
            qr_matrix("", QrLevel::M),
            Err(RenderError::InvalidCode {
                len: 0,
                position: None
            })
        );
        assert!(
            qr_matrix("１２３", QrLevel::M).is_err(),
            "full-width digits are not ASCII"
        );
    }

    #[test]
    fn rejects_too_long() {
        let err = qr_matrix(&digits(6000), QrLevel::Q).expect_err("too long");
        assert!(matches!(
            err,
            RenderError::CodeTooLong {
                len: 6000,
                level: "Q"
            }
        ));
    }

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let m = qr_matrix(&digits(200), QrLevel::Q).expect("encode");
        for y in 0..m.width() {
            let mut row = vec![false; m.width()];
            for (x, len) in m.dark_runs(y) {
                assert!(len > 0);
                for cell in &mut row[x..x + len] {
                    *cell = true;
                }
            }
            let expected: Vec<bool> = (0..m.width()).map(|x| m.is_dark(x, y)).collect();
            assert_eq!(row, expected, "row {y}");
        }
    }
}
