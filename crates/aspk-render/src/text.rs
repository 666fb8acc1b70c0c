//! Plain-text clean-up and greedy line wrapping with the embedded font metrics.

use crate::font::Font;

/// Replaces control characters (tabs, stray CRs, …) by spaces, keeping `\n`
/// as a hard line break, so nothing invisible reaches the PDF.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\r')
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

/// Breaks `text` into lines no wider than `max_width` points at `size`.
///
/// Lines break at ASCII spaces (so a no-break space U+00A0 keeps e.g.
/// "250,00 грн" together) and at `\n`; a single word wider than the line is cut
/// between characters. Runs of spaces collapse to one. Returns no lines for
/// blank text.
pub(crate) fn wrap(font: &Font, text: &str, size: f32, max_width: f32) -> Vec<String> {
    let text = clean(text);
    if text.trim().is_empty() {
        return Vec::new();
    }
    let space = font.text_width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_width = font.text_width(word, size);
            if !line.is_empty() && line_width + space + word_width <= max_width {
                line.push(' ');
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_width <= max_width {
                line.push_str(word);
                line_width = word_width;
            } else {
                let mut pieces = break_word(font, word, size, max_width);
                let last = pieces.pop().unwrap_or_default();
                lines.extend(pieces);
                line_width = font.text_width(&last, size);
                line = last;
            }
        }
        lines.push(line);
    }
    // Keep inner blank lines (intentional paragraph breaks) but not trailing ones.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Cuts a word that is wider than a line into pieces that fit (at least one
/// char per piece, so this always terminates).
fn break_word(font: &Font, word: &str, size: f32, max_width: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut width = 0.0;
    for c in word.chars() {
        let w = font.text_width(c.encode_utf8(&mut [0; 4]), size);
        if !piece.is_empty() && width + w > max_width {
            pieces.push(std::mem::take(&mut piece));
            width = 0.0;
        }
        piece.push(c);
        width += w;
    }
    pieces.push(piece);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::{Fonts, Weight};

    #[test]
    fn wraps_within_width_and_keeps_all_words() {
        let fonts = Fonts::load().expect("fonts");
        let font = fonts.get(Weight::Regular);
        let text =
            "Пред'явіть документ, що дає право на пільгу / Show the document for the reduced price";
        let lines = wrap(font, text, 12.0, 150.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(font.text_width(line, 12.0) <= 150.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn breaks_overlong_words_and_honours_newlines() {
        let fonts = Fonts::load().expect("fonts");
        let font = fonts.get(Weight::Bold);
        let long = "№".repeat(40);
        let lines = wrap(font, &format!("a\n\n{long}\n"), 10.0, 60.0);
        assert_eq!(lines[0], "a");
        assert_eq!(lines[1], "");
        assert!(lines.len() > 3);
        assert_eq!(lines[2..].concat(), long);
        for line in &lines {
            assert!(font.text_width(line, 10.0) <= 60.0);
        }
    }

    #[test]
    fn blank_text_has_no_lines_and_controls_become_spaces() {
        let fonts = Fonts::load().expect("fonts");
        let font = fonts.get(Weight::Regular);
        assert!(wrap(font, " \n\t ", 10.0, 100.0).is_empty());
        assert_eq!(wrap(font, "a\tb\r\n", 10.0, 100.0), vec!["a b"]);
        assert_eq!(clean("x\u{7}y"), "x y");
    }

    #[test]
    fn nbsp_is_not_a_break() {
        let fonts = Fonts::load().expect("fonts");
        let font = fonts.get(Weight::Regular);
        let w = font.text_width("250,00", 10.0) + 2.0;
        assert_eq!(
            wrap(font, "250,00\u{a0}грн", 10.0, w).len(),
            2,
            "cut inside, as a long word"
        );
        assert_eq!(wrap(font, "250,00 грн", 10.0, w), vec!["250,00", "грн"]);
    }
}
