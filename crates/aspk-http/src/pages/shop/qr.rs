//! A ticket's QR code drawn inline as SVG (no image files, crisp on any phone).

use aspk_render::{qr_matrix, QrLevel, QrMatrix, QUIET_ZONE};

/// The symbol: `side` modules with the quiet zone, the dark modules as one path.
pub struct QrImage {
    pub side: usize,
    pub path: String,
}

impl QrImage {
    /// The QR of a ticket code (digits); none when it cannot be drawn.
    pub fn of_code(code: &str) -> Option<QrImage> {
        qr_matrix(code, QrLevel::M).ok().map(|m| QrImage::new(&m))
    }

    fn new(matrix: &QrMatrix) -> QrImage {
        QrImage {
            side: matrix.width_with_quiet_zone(),
            path: svg_path(matrix),
        }
    }
}

/// The dark modules of `matrix` as one SVG path (path data, not markup), offset by the
/// quiet zone: one `M x y h… v1 h-… z` per run of dark modules in a row.
pub(crate) fn svg_path(matrix: &QrMatrix) -> String {
    let mut path = String::new();
    for y in 0..matrix.width() {
        for (x, len) in matrix.dark_runs(y) {
            path.push_str(&format!(
                "M{} {}h{len}v1h-{len}z",
                x + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    path
}
