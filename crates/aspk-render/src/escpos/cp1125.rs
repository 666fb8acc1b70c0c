//! Code page CP1125 (Ukrainian DOS, RST 2018-91; IBM 1125 "Cp866u"): ASCII in
//! `0x00..=0x7F`, and in the upper half CP866 with `Ґґ Єє Іі Її` at `0xF2..=0xF9`.

use crate::RenderError;

/// Unicode of the bytes `0x80..=0xFF`, in order.
///
/// Same as CP866 except `0xF2..=0xF9` (CP866 has `Єє Її Ўў °∙` there) and
/// `0xFA..=0xFD` (`·√№¤`). Checked byte for byte against Python's `cp1125`
/// codec by the integration tests.
const HIGH: [char; 128] = [
    // 0x80: А..П
    '\u{0410}', '\u{0411}', '\u{0412}', '\u{0413}', '\u{0414}', '\u{0415}', '\u{0416}', '\u{0417}',
    '\u{0418}', '\u{0419}', '\u{041A}', '\u{041B}', '\u{041C}', '\u{041D}', '\u{041E}', '\u{041F}',
    // 0x90: Р..Я
    '\u{0420}', '\u{0421}', '\u{0422}', '\u{0423}', '\u{0424}', '\u{0425}', '\u{0426}', '\u{0427}',
    '\u{0428}', '\u{0429}', '\u{042A}', '\u{042B}', '\u{042C}', '\u{042D}', '\u{042E}', '\u{042F}',
    // 0xA0: а..п
    '\u{0430}', '\u{0431}', '\u{0432}', '\u{0433}', '\u{0434}', '\u{0435}', '\u{0436}', '\u{0437}',
    '\u{0438}', '\u{0439}', '\u{043A}', '\u{043B}', '\u{043C}', '\u{043D}', '\u{043E}', '\u{043F}',
    // 0xB0: shades and box drawing
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}',
    '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{255C}', '\u{255B}', '\u{2510}',
    // 0xC0
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{255E}', '\u{255F}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{2567}',
    // 0xD0
    '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256B}',
    '\u{256A}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{258C}', '\u{2590}', '\u{2580}',
    // 0xE0: р..я
    '\u{0440}', '\u{0441}', '\u{0442}', '\u{0443}', '\u{0444}', '\u{0445}', '\u{0446}', '\u{0447}',
    '\u{0448}', '\u{0449}', '\u{044A}', '\u{044B}', '\u{044C}', '\u{044D}', '\u{044E}', '\u{044F}',
    // 0xF0: Ё ё Ґ ґ Є є І і Ї ї · √ № ¤ ■ NBSP
    '\u{0401}', '\u{0451}', '\u{0490}', '\u{0491}', '\u{0404}', '\u{0454}', '\u{0406}', '\u{0456}',
    '\u{0407}', '\u{0457}', '\u{00B7}', '\u{221A}', '\u{2116}', '\u{00A4}', '\u{25A0}', '\u{00A0}',
];

/// The CP1125 byte for `c`, if the code page has it.
pub(crate) fn encode_char(c: char) -> Option<u8> {
    if c.is_ascii() {
        return u8::try_from(c).ok();
    }
    let i = HIGH.iter().position(|&h| h == c)?;
    u8::try_from(0x80 + i).ok()
}

/// The character CP1125 byte `b` stands for.
#[cfg(test)]
fn decode_byte(b: u8) -> char {
    match b {
        0..=0x7F => char::from(b),
        _ => HIGH[usize::from(b - 0x80)],
    }
}

/// Encodes `text` in code page CP1125, one byte per char.
///
/// Strict: a character the code page lacks (`ä`, `–`, `’`, `«`, emoji, …) is an
/// error naming the character and its char index, never a silent `?`. ASCII
/// control characters pass through unchanged (they are valid CP1125 bytes), so
/// clean untrusted text before putting it into a printer stream;
/// [`super::ticket_escpos`] does.
///
/// # Errors
/// [`RenderError::Font`] describing the first unencodable character.
/// (`RenderError` has no dedicated variant for this yet.)
pub fn cp1125_encode(text: &str) -> Result<Vec<u8>, RenderError> {
    text.chars()
        .enumerate()
        .map(|(i, c)| encode_char(c).ok_or_else(|| unencodable(c, i)))
        .collect()
}

pub(crate) fn unencodable(c: char, index: usize) -> RenderError {
    RenderError::Font(unencodable_message(c, index))
}

pub(crate) fn unencodable_message(c: char, index: usize) -> String {
    format!(
        "character {c:?} (U+{:04X}) at char {index} has no code in code page CP1125",
        u32::from(c)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_bijection_on_the_upper_half() {
        for b in 0..=255u8 {
            assert_eq!(encode_char(decode_byte(b)), Some(b), "byte {b:#04x}");
        }
        let mut seen: Vec<char> = HIGH.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 128);
    }

    #[test]
    fn ukrainian_letters_sit_where_cp1125_puts_them() {
        assert_eq!(
            cp1125_encode("ҐґЄєІіЇї").expect("encodable"),
            [0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9]
        );
        assert_eq!(cp1125_encode("Ая№").expect("encodable"), [0x80, 0xEF, 0xFC]);
    }

    #[test]
    fn unencodable_is_an_error() {
        let err = cp1125_encode("ok ä").expect_err("ä is not in CP1125");
        assert!(err.to_string().contains("U+00E4"), "{err}");
        assert!(err.to_string().contains("char 3"), "{err}");
    }
}
