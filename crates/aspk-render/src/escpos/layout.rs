//! The two ticket layouts: raster (text drawn as images) and CP1125 text.

use super::commands::{self as cmd, Justify};
use super::cp1125::{encode_char, unencodable_message};
use super::raster::{draw_text, Bitmap, Faces};
use crate::font::{Fonts, Weight};
use crate::text::{clean, wrap};
use crate::{RenderError, TicketDoc, QUIET_ZONE};

/// A raster text style: face, size in dots per em, line height factor.
#[derive(Debug, Clone, Copy)]
struct Style {
    weight: Weight,
    size: f32,
    leading: f32,
}

impl Style {
    const fn new(weight: Weight, size: f32) -> Self {
        Style {
            weight,
            size,
            leading: 1.25,
        }
    }

    fn line_height(self) -> f32 {
        self.size * self.leading
    }
}

// Sizes in dots at 203 dpi (1 pt ≈ 2.82 dots), close to the PDF roll layout.
const VENUE: Style = Style::new(Weight::Bold, 34.0);
const TITLE: Style = Style::new(Weight::Regular, 28.0);
const NUMBER: Style = Style::new(Weight::Bold, 46.0);
const LABEL: Style = Style::new(Weight::Regular, 24.0);
const VALUE: Style = Style::new(Weight::Bold, 28.0);
const NOTICE: Style = Style::new(Weight::Bold, 27.0);
const FOOTER: Style = Style::new(Weight::Regular, 21.0);

/// Side margin inside the printable width, in dots.
const MARGIN_X: f32 = 8.0;
const MARGIN_TOP: f32 = 8.0;
const GAP: f32 = 24.0;
const ROW_PAD: f32 = 8.0;
const RULE: usize = 2;
const HEAD_RULE: usize = 3;
const NOTICE_FRAME: usize = 4;
const NOTICE_PAD: f32 = 12.0;

#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Center,
}

/// A column of raster content flowing downwards.
struct Canvas<'a> {
    fonts: &'a Fonts,
    faces: &'a Faces,
    bitmap: Bitmap,
    /// Top of the next block, in dots from the image top.
    y: f32,
    left: f32,
    width: f32,
}

impl<'a> Canvas<'a> {
    fn new(fonts: &'a Fonts, faces: &'a Faces, dots: usize, top: f32) -> Self {
        Canvas {
            fonts,
            faces,
            bitmap: Bitmap::new(dots),
            y: top,
            left: MARGIN_X,
            width: dots as f32 - 2.0 * MARGIN_X,
        }
    }

    fn paragraph(&mut self, text: &str, style: Style, align: Align) {
        let (left, width) = (self.left, self.width);
        self.paragraph_in(text, style, align, left, width);
    }

    fn paragraph_in(&mut self, text: &str, style: Style, align: Align, left: f32, width: f32) {
        let font = self.fonts.get(style.weight);
        for line in wrap(font, text, style.size, width) {
            // The font's ascender-to-descender extent centred in the line box,
            // baseline on a whole dot row so horizontal stems stay crisp.
            let extent = (font.ascent() + font.descent()) * style.size;
            let baseline =
                (self.y + (style.line_height() - extent) / 2.0 + font.ascent() * style.size)
                    .round();
            let x = match align {
                Align::Left => left,
                Align::Center => left + (width - font.text_width(&line, style.size)) / 2.0,
            };
            draw_text(
                &mut self.bitmap,
                self.fonts,
                self.faces,
                style.weight,
                style.size,
                (x, baseline),
                &line,
            );
            self.y += style.line_height();
        }
    }

    fn rule(&mut self, thickness: usize) {
        let top = self.y.round() as usize;
        self.bitmap
            .fill_rect(self.left as usize, top, self.width as usize, thickness);
        self.y = (top + thickness) as f32;
    }

    /// Bold text in a frame spanning the column.
    fn notice_box(&mut self, text: &str) {
        let top = self.y.round() as usize;
        self.y = top as f32 + NOTICE_FRAME as f32 + NOTICE_PAD;
        let inner_left = self.left + NOTICE_FRAME as f32 + NOTICE_PAD;
        let inner_width = self.width - 2.0 * (NOTICE_FRAME as f32 + NOTICE_PAD);
        self.paragraph_in(text, NOTICE, Align::Center, inner_left, inner_width);
        let bottom = (self.y + NOTICE_PAD).round() as usize + NOTICE_FRAME;
        let (x, w, t) = (self.left as usize, self.width as usize, NOTICE_FRAME);
        self.bitmap.fill_rect(x, top, w, t);
        self.bitmap.fill_rect(x, bottom - t, w, t);
        self.bitmap.fill_rect(x, top, t, bottom - top);
        self.bitmap.fill_rect(x + w - t, top, t, bottom - top);
        self.y = bottom as f32;
    }

    fn finish(mut self) -> Bitmap {
        self.bitmap.extend_to(self.y.ceil() as usize);
        self.bitmap
    }
}

/// The QR block: quiet zone, centred native symbol, quiet zone.
fn qr_block(out: &mut Vec<u8>, code: &str, module: u8) {
    let quiet = QUIET_ZONE * usize::from(module);
    cmd::feed_dots(out, quiet);
    cmd::justify(out, Justify::Center);
    cmd::qr_code(out, code.as_bytes(), module);
    cmd::justify(out, Justify::Left);
    cmd::feed_dots(out, quiet);
}

fn finish_ticket(out: &mut Vec<u8>, cut: bool) {
    if cut {
        cmd::partial_cut(out);
    } else {
        // Clear the tear bar.
        cmd::feed_lines(out, 6);
    }
}

/// Header image (venue, title, rule), native QR, body image (number, rows,
/// notice, footer), cut.
pub(super) fn raster_ticket(
    out: &mut Vec<u8>,
    fonts: &Fonts,
    faces: &Faces,
    ticket: &TicketDoc,
    dots: usize,
    module: u8,
    cut: bool,
) {
    cmd::init(out);

    let mut head = Canvas::new(fonts, faces, dots, MARGIN_TOP);
    head.paragraph(&ticket.venue, VENUE, Align::Center);
    head.paragraph(&ticket.title, TITLE, Align::Center);
    head.y += GAP * 0.4;
    head.rule(HEAD_RULE);
    cmd::raster(out, &head.finish());

    qr_block(out, &ticket.code, module);

    let mut body = Canvas::new(fonts, faces, dots, 0.0);
    body.paragraph(&ticket.number, NUMBER, Align::Center);
    body.y += GAP;
    if !ticket.lines.is_empty() {
        body.rule(RULE);
        for (label, value) in &ticket.lines {
            body.y += ROW_PAD;
            body.paragraph(label, LABEL, Align::Left);
            body.y += 1.0;
            body.paragraph(value, VALUE, Align::Left);
            body.y += ROW_PAD;
            body.rule(RULE);
        }
        body.y += GAP;
    }
    if let Some(notice) = ticket.notice.as_deref().filter(|n| !n.trim().is_empty()) {
        body.notice_box(notice);
        body.y += GAP;
    }
    if let Some(footer) = ticket.footer.as_deref() {
        body.paragraph(footer, FOOTER, Align::Center);
    }
    cmd::raster(out, &body.finish());

    finish_ticket(out, cut);
}

/// Typographic characters CP1125 lacks, replaced by their plain forms in
/// ticket text (`cp1125_encode` itself stays strict).
fn plain(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{02BC}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{2022}' => "\u{00B7}",
        '\u{202F}' => "\u{00A0}",
        '\u{2002}'..='\u{200A}' => " ",
        _ => return None,
    })
}

/// One text field made printable in CP1125: controls → spaces (`\n` kept),
/// typographic punctuation → plain; any other missing character is an error.
fn cp1125_field(text: &str, index: usize, field: &str) -> Result<String, RenderError> {
    let mut s = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match plain(c) {
            Some(p) => s.push_str(p),
            None => s.push(c),
        }
    }
    if let Some((i, c)) = s
        .chars()
        .enumerate()
        .find(|&(_, c)| encode_char(c).is_none())
    {
        return Err(RenderError::Font(format!(
            "ticket #{index}, {field}: {}",
            unencodable_message(c, i)
        )));
    }
    Ok(s)
}

/// Greedy word wrap to `cols` characters; breaks at ASCII spaces and `\n`
/// (a no-break space keeps words together), cuts longer words.
fn wrap_chars(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(1);
    if text.trim().is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line: Vec<char> = Vec::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word: Vec<char> = word.chars().collect();
            if !line.is_empty() && line.len() + 1 + word.len() <= cols {
                line.push(' ');
                line.extend(&word);
                continue;
            }
            if !line.is_empty() {
                lines.push(line.drain(..).collect());
            }
            let mut chunks = word.chunks(cols).peekable();
            while let Some(chunk) = chunks.next() {
                if chunks.peek().is_some() {
                    lines.push(chunk.iter().collect());
                } else {
                    line.extend(chunk);
                }
            }
        }
        lines.push(line.into_iter().collect());
    }
    while lines.last().is_some_and(|l: &String| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Writes already-validated `text` wrapped to `cols`, one `LF` per line.
fn text_lines(out: &mut Vec<u8>, text: &str, cols: usize) {
    for line in wrap_chars(text, cols) {
        // Validated by `cp1125_field`; a miss would only drop a char.
        out.extend(line.chars().filter_map(encode_char));
        out.push(cmd::LF);
    }
}

/// A full-width rule of box-drawing `c` (in CP1125).
fn text_rule(out: &mut Vec<u8>, c: char, cols: usize) {
    if let Some(b) = encode_char(c) {
        out.extend(std::iter::repeat_n(b, cols));
        out.push(cmd::LF);
    }
}

/// The same content as the raster ticket in the printer's own font, encoded
/// in CP1125 after `ESC t codepage`.
pub(super) fn text_ticket(
    out: &mut Vec<u8>,
    ticket: &TicketDoc,
    index: usize,
    opts: (u8, usize, u8, bool),
) -> Result<(), RenderError> {
    let (codepage, dots, module, cut) = opts;
    // Font A is 12 dots wide, font B 9.
    let cols = dots / 12;
    let cols_b = dots / 9;

    let venue = cp1125_field(&ticket.venue, index, "venue")?;
    let title = cp1125_field(&ticket.title, index, "title")?;
    let number = cp1125_field(&ticket.number, index, "number")?;
    let rows = ticket
        .lines
        .iter()
        .enumerate()
        .map(|(i, (l, v))| {
            Ok((
                cp1125_field(l, index, &format!("line {i} label"))?,
                cp1125_field(v, index, &format!("line {i} value"))?,
            ))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let notice = match ticket.notice.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => Some(cp1125_field(n, index, "notice")?),
        None => None,
    };
    let footer = match ticket.footer.as_deref() {
        Some(f) => Some(cp1125_field(f, index, "footer")?),
        None => None,
    };

    cmd::init(out);
    cmd::code_table(out, codepage);

    cmd::justify(out, Justify::Center);
    cmd::bold(out, true);
    cmd::char_size(out, 1, 2);
    text_lines(out, &venue, cols);
    cmd::char_size(out, 1, 1);
    cmd::bold(out, false);
    text_lines(out, &title, cols);
    text_rule(out, '═', cols);

    qr_block(out, &ticket.code, module);

    cmd::justify(out, Justify::Center);
    cmd::bold(out, true);
    cmd::char_size(out, 2, 2);
    text_lines(out, &number, cols / 2);
    cmd::char_size(out, 1, 1);
    cmd::bold(out, false);
    cmd::justify(out, Justify::Left);
    out.push(cmd::LF);

    if !rows.is_empty() {
        text_rule(out, '─', cols);
        for (label, value) in &rows {
            text_lines(out, label, cols);
            cmd::bold(out, true);
            text_lines(out, value, cols);
            cmd::bold(out, false);
            text_rule(out, '─', cols);
        }
        out.push(cmd::LF);
    }
    if let Some(notice) = notice {
        cmd::justify(out, Justify::Center);
        cmd::bold(out, true);
        text_rule(out, '═', cols);
        text_lines(out, &notice, cols);
        text_rule(out, '═', cols);
        cmd::bold(out, false);
        out.push(cmd::LF);
    }
    if let Some(footer) = footer {
        cmd::justify(out, Justify::Center);
        cmd::font_b(out, true);
        text_lines(out, &footer, cols_b);
        cmd::font_b(out, false);
    }
    cmd::justify(out, Justify::Left);
    finish_ticket(out, cut);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_chars_fits_and_keeps_words() {
        let text = "Пред'явіть документ, що дає право на пільгу / Show the document";
        let lines = wrap_chars(text, 16);
        assert!(lines.iter().all(|l| l.chars().count() <= 16), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap_chars("aaaaaaa", 3), ["aaa", "aaa", "a"]);
        assert_eq!(wrap_chars("a\n\nb\n", 3), ["a", "", "b"]);
        assert!(wrap_chars("  ", 3).is_empty());
        assert_eq!(
            wrap_chars("250,00\u{a0}грн x", 10),
            ["250,00\u{a0}грн", "x"]
        );
    }

    #[test]
    fn typographic_punctuation_is_made_plain() {
        assert_eq!(
            cp1125_field("з’їзд «Їжі» 10:00–11:00…\tx", 0, "t").expect("ok"),
            "з'їзд \"Їжі\" 10:00-11:00... x"
        );
        let err = cp1125_field("Straße", 2, "venue").expect_err("ß");
        assert!(err.to_string().contains("ticket #2, venue"), "{err}");
    }
}
