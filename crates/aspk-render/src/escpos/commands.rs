//! ESC/POS command bytes (Epson ESC/POS as implemented by Epson TM-series and
//! most "ESC/POS compatible" 80 mm printers).

use super::raster::Bitmap;

pub(crate) const ESC: u8 = 0x1B;
pub(crate) const GS: u8 = 0x1D;
pub(crate) const LF: u8 = 0x0A;

/// Raster rows per `GS v 0` command: at most 255, so `yH` is always 0 and one
/// command carries at most 255 × 72 bytes (18 KB) at 576 dots, within every
/// printer's documented limits (Epson 1..=2303 rows, some clones 1..=255).
pub(crate) const RASTER_BAND_ROWS: usize = 255;

/// QR Code error-correction level Q for `GS ( k` function 169
/// (48 = L, 49 = M, 50 = Q, 51 = H).
pub(crate) const QR_ECC_Q: u8 = 50;

/// Largest symbol data `GS ( k` function 180 accepts: `pL + pH × 256 ≤ 7092`.
pub(crate) const QR_MAX_DATA: usize = 7089;

/// `ESC @`: initialise (clear buffer, reset modes, code table 0, left aligned).
pub(crate) fn init(out: &mut Vec<u8>) {
    out.extend_from_slice(&[ESC, b'@']);
}

/// `ESC t n`: select character code table `n`.
pub(crate) fn code_table(out: &mut Vec<u8>, n: u8) {
    out.extend_from_slice(&[ESC, b't', n]);
}

/// Justification for `ESC a n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Justify {
    Left = 0,
    Center = 1,
}

/// `ESC a n`: justification (0 left, 1 centre), effective at the start of a line.
pub(crate) fn justify(out: &mut Vec<u8>, j: Justify) {
    out.extend_from_slice(&[ESC, b'a', j as u8]);
}

/// `ESC E n`: emphasised (bold) on/off.
pub(crate) fn bold(out: &mut Vec<u8>, on: bool) {
    out.extend_from_slice(&[ESC, b'E', u8::from(on)]);
}

/// `ESC M n`: character font A (12 × 24) or B (9 × 17).
pub(crate) fn font_b(out: &mut Vec<u8>, on: bool) {
    out.extend_from_slice(&[ESC, b'M', u8::from(on)]);
}

/// `GS ! n`: character size, `width` and `height` multipliers 1..=8.
pub(crate) fn char_size(out: &mut Vec<u8>, width: u8, height: u8) {
    let w = width.clamp(1, 8) - 1;
    let h = height.clamp(1, 8) - 1;
    out.extend_from_slice(&[GS, b'!', (w << 4) | h]);
}

/// `ESC J n` (repeated as needed): print the buffer and feed `dots` motion
/// units (one dot row on 203-dpi printers).
pub(crate) fn feed_dots(out: &mut Vec<u8>, mut dots: usize) {
    while dots > 0 {
        let n = dots.min(255);
        out.extend_from_slice(&[ESC, b'J', n as u8]);
        dots -= n;
    }
}

/// `ESC d n`: print the buffer and feed `n` lines.
pub(crate) fn feed_lines(out: &mut Vec<u8>, n: u8) {
    out.extend_from_slice(&[ESC, b'd', n]);
}

/// `GS V 66 0`: feed to the cutter and cut partially (one point left uncut).
pub(crate) fn partial_cut(out: &mut Vec<u8>) {
    out.extend_from_slice(&[GS, b'V', 66, 0]);
}

/// The image as `GS v 0 0 xL xH yL yH d…` commands of at most
/// [`RASTER_BAND_ROWS`] rows; a band without ink becomes an `ESC J` feed.
pub(crate) fn raster(out: &mut Vec<u8>, bitmap: &Bitmap) {
    let stride = bitmap.stride();
    let mut y = 0;
    while y < bitmap.height() {
        let rows = RASTER_BAND_ROWS.min(bitmap.height() - y);
        let data = bitmap.rows(y, y + rows);
        if data.iter().all(|&b| b == 0) {
            feed_dots(out, rows);
        } else {
            let [x_lo, x_hi] = u16::try_from(stride).unwrap_or(u16::MAX).to_le_bytes();
            out.extend_from_slice(&[GS, b'v', b'0', 0, x_lo, x_hi, rows as u8, 0]);
            out.extend_from_slice(data);
        }
        y += rows;
    }
}

/// `GS ( k` with `cn = 49` (QR Code): `fn` and its parameters.
fn qr_function(out: &mut Vec<u8>, function: u8, params: &[u8]) {
    // pL pH count cn, fn and the parameters; callers keep this ≤ 7092.
    let [p_lo, p_hi] = u16::try_from(params.len() + 2)
        .unwrap_or(u16::MAX)
        .to_le_bytes();
    out.extend_from_slice(&[GS, b'(', b'k', p_lo, p_hi, 49, function]);
    out.extend_from_slice(params);
}

/// The native QR Code sequence: model 2 (fn 165), module size (fn 167),
/// error correction Q (fn 169), store `data` (fn 180), print (fn 181).
///
/// `data.len()` must be at most [`QR_MAX_DATA`]; `module` is clamped to 1..=16.
pub(crate) fn qr_code(out: &mut Vec<u8>, data: &[u8], module: u8) {
    qr_function(out, b'A', &[50, 0]);
    qr_function(out, b'C', &[module.clamp(1, 16)]);
    qr_function(out, b'E', &[QR_ECC_Q]);
    let mut store = Vec::with_capacity(data.len() + 1);
    store.push(48);
    store.extend_from_slice(data);
    qr_function(out, b'P', &store);
    qr_function(out, b'Q', &[48]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_sequence_bytes() {
        let mut out = Vec::new();
        qr_code(&mut out, b"0123", 6);
        let expected: &[u8] = &[
            0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0, // model 2
            0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x43, 6, // module 6
            0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 0x32, // ECC Q
            0x1D, 0x28, 0x6B, 7, 0, 0x31, 0x50, 0x30, b'0', b'1', b'2', b'3', // store
            0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30, // print
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn long_feeds_are_split() {
        let mut out = Vec::new();
        feed_dots(&mut out, 300);
        assert_eq!(out, [ESC, b'J', 255, ESC, b'J', 45]);
    }

    #[test]
    fn char_size_bits() {
        let mut out = Vec::new();
        char_size(&mut out, 2, 2);
        char_size(&mut out, 1, 2);
        assert_eq!(out, [GS, b'!', 0x11, GS, b'!', 0x01]);
    }
}
