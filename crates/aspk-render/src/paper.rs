//! Paper formats and their page geometry (PDF points, 1 pt = 1/72 in).

use crate::QrLevel;

/// Points per millimetre.
pub(crate) const PT_PER_MM: f32 = 72.0 / 25.4;

/// Converts millimetres to PDF points.
pub(crate) fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

/// What the ticket is printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    /// ISO A4 portrait (210 × 297 mm): the e-ticket a visitor prints or shows on a phone.
    A4,
    /// 80 mm thermal receipt roll (72 mm printable); page height fits the content.
    Roll80mm,
}

impl Paper {
    /// QR error-correction level used for this paper: `M` for A4, `Q` for roll
    /// (thermal prints fade and smudge).
    pub fn default_qr_level(self) -> QrLevel {
        match self {
            Paper::A4 => QrLevel::M,
            Paper::Roll80mm => QrLevel::Q,
        }
    }

    /// Page width in points (595.28 for A4, 226.77 for 80 mm).
    pub fn width_pt(self) -> f32 {
        match self {
            Paper::A4 => mm(210.0),
            Paper::Roll80mm => mm(80.0),
        }
    }

    /// Page height in points for A4; `None` for roll paper, whose height
    /// follows the content of each ticket.
    pub fn fixed_height_pt(self) -> Option<f32> {
        match self {
            Paper::A4 => Some(mm(297.0)),
            Paper::Roll80mm => None,
        }
    }
}
