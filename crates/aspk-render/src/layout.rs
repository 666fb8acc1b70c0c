//! Page layout: turns a [`TicketDoc`] into positioned drawing operations.
//!
//! Coordinates here run top-down from the page's top-left corner, in points;
//! [`crate::pdf`] flips them into PDF space. The layout is a single column
//! flowing downwards; only A4's footer is anchored to the bottom margin.

use crate::font::{Fonts, Weight};
use crate::paper::mm;
use crate::qr::{qr_matrix, QrMatrix, QUIET_ZONE};
use crate::text::wrap;
use crate::{Paper, RenderError, TicketDoc};

/// Largest page side PDF viewers must support (200 in), in points.
const MAX_PAGE_PT: f32 = 14_400.0;

/// One drawing operation, top-down coordinates.
#[derive(Debug)]
pub(crate) enum Op {
    /// A single line of text; `baseline` is measured from the page top.
    Text {
        x: f32,
        baseline: f32,
        weight: Weight,
        size: f32,
        gray: f32,
        text: String,
    },
    /// A filled rectangle (`y` = top edge).
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
    /// A stroked rectangle (`y` = top edge), the stroke centred on the edges.
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        line: f32,
    },
    /// A horizontal rule of thickness `line` whose centre line is at `y`.
    Rule {
        x: f32,
        y: f32,
        w: f32,
        line: f32,
        gray: f32,
    },
    /// A QR symbol whose top-left dark-capable module is at (`x`, `y`).
    Qr {
        x: f32,
        y: f32,
        module: f32,
        matrix: QrMatrix,
    },
}

/// A laid-out page.
#[derive(Debug)]
pub(crate) struct PageLayout {
    pub(crate) width: f32,
    pub(crate) height: f32,
    pub(crate) ops: Vec<Op>,
}

/// Horizontal alignment of text within its column.
#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Center,
}

/// A text style: face, size, colour and line height factor.
#[derive(Clone, Copy)]
pub(crate) struct TextStyle {
    pub(crate) weight: Weight,
    pub(crate) size: f32,
    pub(crate) gray: f32,
    pub(crate) leading: f32,
}

impl TextStyle {
    pub(crate) const fn new(weight: Weight, size: f32, gray: f32) -> Self {
        TextStyle {
            weight,
            size,
            gray,
            leading: 1.25,
        }
    }

    fn line_height(&self) -> f32 {
        self.size * self.leading
    }
}

/// Everything that differs between papers.
#[derive(Clone, Copy)]
struct Style {
    margin_x: f32,
    margin_top: f32,
    margin_bottom: f32,
    align_head: Align,
    venue: TextStyle,
    title: TextStyle,
    head_rule: f32,
    qr_symbol: f32,
    /// Printer resolution the QR module size is snapped to (whole dots per
    /// module keep module widths even on thermal heads), if known.
    qr_snap_dpi: Option<f32>,
    number: TextStyle,
    label: TextStyle,
    value: TextStyle,
    /// Label and value side by side (A4) or stacked (roll).
    table_columns: bool,
    row_rule_gray: f32,
    row_pad: f32,
    notice: TextStyle,
    notice_fill: Option<f32>,
    notice_pad: f32,
    notice_frame: f32,
    footer: TextStyle,
    align_footer: Align,
    /// A4: footer anchored to the bottom margin; roll: footer follows content.
    footer_at_bottom: bool,
    gap: f32,
}

impl Style {
    /// The same design with smaller type and tighter spacing, for tickets
    /// whose text does not fit the regular style. The QR keeps its size.
    fn compact(&self) -> Style {
        let shrink = |t: TextStyle, f: f32| TextStyle {
            size: t.size * f,
            leading: 1.15,
            ..t
        };
        Style {
            margin_top: self.margin_top * 0.7,
            margin_bottom: self.margin_bottom * 0.7,
            venue: shrink(self.venue, 0.75),
            title: shrink(self.title, 0.8),
            number: shrink(self.number, 0.85),
            label: shrink(self.label, 0.9),
            value: shrink(self.value, 0.9),
            row_pad: self.row_pad * 0.6,
            notice: shrink(self.notice, 0.85),
            notice_pad: self.notice_pad * 0.7,
            footer: shrink(self.footer, 0.9),
            gap: self.gap * 0.6,
            ..*self
        }
    }

    fn for_paper(paper: Paper) -> Style {
        match paper {
            Paper::A4 => Style {
                margin_x: mm(20.0),
                margin_top: mm(18.0),
                margin_bottom: mm(15.0),
                align_head: Align::Left,
                venue: TextStyle::new(Weight::Bold, 20.0, 0.0),
                title: TextStyle::new(Weight::Regular, 14.0, 0.3),
                head_rule: 1.5,
                qr_symbol: mm(60.0),
                qr_snap_dpi: None,
                number: TextStyle::new(Weight::Bold, 24.0, 0.0),
                label: TextStyle::new(Weight::Regular, 10.5, 0.35),
                value: TextStyle::new(Weight::Bold, 12.0, 0.0),
                table_columns: true,
                row_rule_gray: 0.75,
                row_pad: 6.0,
                notice: TextStyle::new(Weight::Bold, 12.5, 0.0),
                notice_fill: Some(0.93),
                notice_pad: 10.0,
                notice_frame: 1.5,
                footer: TextStyle::new(Weight::Regular, 8.0, 0.4),
                align_footer: Align::Left,
                footer_at_bottom: true,
                gap: 16.0,
            },
            // Thermal printers dither grey into noise: everything is black,
            // emphasis comes from size and weight only.
            Paper::Roll80mm => Style {
                margin_x: mm(4.0),
                margin_top: mm(4.0),
                margin_bottom: mm(8.0),
                align_head: Align::Center,
                venue: TextStyle::new(Weight::Bold, 12.0, 0.0),
                title: TextStyle::new(Weight::Regular, 10.0, 0.0),
                head_rule: 1.0,
                qr_symbol: mm(50.0),
                // 8 dots/mm, the usual 80 mm thermal head.
                qr_snap_dpi: Some(203.0),
                number: TextStyle::new(Weight::Bold, 15.0, 0.0),
                label: TextStyle::new(Weight::Regular, 8.0, 0.0),
                value: TextStyle::new(Weight::Bold, 10.0, 0.0),
                table_columns: false,
                row_rule_gray: 0.0,
                row_pad: 3.5,
                notice: TextStyle::new(Weight::Bold, 9.5, 0.0),
                notice_fill: None,
                notice_pad: 5.0,
                notice_frame: 1.5,
                footer: TextStyle::new(Weight::Regular, 7.0, 0.0),
                align_footer: Align::Center,
                footer_at_bottom: false,
                gap: 9.0,
            },
        }
    }
}

/// Lays out one ticket (`index` is its position, for error messages).
///
/// A ticket too long for a fixed-size page is laid out again in a compact
/// style (smaller type and gaps, same QR size) before giving up.
pub(crate) fn layout_ticket(
    fonts: &Fonts,
    ticket: &TicketDoc,
    paper: Paper,
    index: usize,
) -> Result<PageLayout, RenderError> {
    let matrix = qr_matrix(&ticket.code, paper.default_qr_level())?;
    let style = Style::for_paper(paper);
    match layout_with(fonts, ticket, paper, index, &style, matrix.clone()) {
        Err(RenderError::PageOverflow { .. }) if paper.fixed_height_pt().is_some() => {
            layout_with(fonts, ticket, paper, index, &style.compact(), matrix)
        }
        other => other,
    }
}

fn layout_with(
    fonts: &Fonts,
    ticket: &TicketDoc,
    paper: Paper,
    index: usize,
    style: &Style,
    matrix: QrMatrix,
) -> Result<PageLayout, RenderError> {
    let page_width = paper.width_pt();
    let mut flow = Flow {
        fonts,
        ops: Vec::new(),
        y: style.margin_top,
        left: style.margin_x,
        width: page_width - 2.0 * style.margin_x,
    };

    // Header: venue, title, rule.
    flow.paragraph(&ticket.venue, style.venue, style.align_head);
    flow.paragraph(&ticket.title, style.title, style.align_head);
    flow.y += style.gap * 0.4;
    flow.rule(style.head_rule, 0.0);

    // QR with its quiet zone kept clear above and below, then the number.
    // On a known printer grid the module size and the symbol's corner are
    // whole dots, so every module prints equally wide.
    let snap = |v: f32| match style.qr_snap_dpi {
        Some(dpi) => (v * dpi / 72.0).round().max(1.0) * 72.0 / dpi,
        None => v,
    };
    let module = snap(style.qr_symbol / matrix.width() as f32);
    let symbol = module * matrix.width() as f32;
    let quiet = QUIET_ZONE as f32 * module;
    flow.y += quiet.max(style.gap);
    let qr_x = snap((page_width - symbol) / 2.0);
    let qr_y = snap(flow.y);
    flow.y = qr_y + symbol;
    flow.ops.push(Op::Qr {
        x: qr_x,
        y: qr_y,
        module,
        matrix,
    });
    flow.y += quiet;
    flow.paragraph(&ticket.number, style.number, Align::Center);
    flow.y += style.gap;

    // Label → value table.
    if !ticket.lines.is_empty() {
        flow.rule(0.5, style.row_rule_gray);
        for (label, value) in &ticket.lines {
            flow.y += style.row_pad;
            if style.table_columns {
                flow.table_row(label, value, style.label, style.value);
            } else {
                flow.paragraph(label, style.label, Align::Left);
                flow.y += 1.0;
                flow.paragraph(value, style.value, Align::Left);
            }
            flow.y += style.row_pad;
            flow.rule(0.5, style.row_rule_gray);
        }
        flow.y += style.gap;
    }

    // Notice in a box.
    if let Some(notice) = ticket.notice.as_deref().filter(|n| !n.trim().is_empty()) {
        flow.notice_box(notice, style);
        flow.y += style.gap;
    }

    // Footer.
    let footer_lines = match ticket.footer.as_deref() {
        Some(f) => wrap(
            fonts.get(style.footer.weight),
            f,
            style.footer.size,
            flow.width,
        ),
        None => Vec::new(),
    };
    let footer_height = footer_lines.len() as f32 * style.footer.line_height();
    let height = match paper.fixed_height_pt() {
        Some(page_height) => {
            let available = page_height - style.margin_bottom;
            let needed = flow.y + footer_height;
            if needed > available {
                return Err(RenderError::PageOverflow {
                    index,
                    needed_mm: (needed + style.margin_bottom) / mm(1.0),
                    available_mm: page_height / mm(1.0),
                });
            }
            if style.footer_at_bottom {
                flow.y = available - footer_height;
            }
            flow.lines(&footer_lines, style.footer, style.align_footer);
            page_height
        }
        None => {
            flow.lines(&footer_lines, style.footer, style.align_footer);
            // Drop the gap after the last block; the bottom margin is enough.
            let end = if footer_lines.is_empty() {
                flow.y - style.gap
            } else {
                flow.y
            };
            let height = (end + style.margin_bottom).ceil();
            // PDF 32000 annex C: viewers need not handle pages over 200 in.
            if height > MAX_PAGE_PT {
                return Err(RenderError::PageOverflow {
                    index,
                    needed_mm: height / mm(1.0),
                    available_mm: MAX_PAGE_PT / mm(1.0),
                });
            }
            height
        }
    };

    if let Some(mark) = ticket.void_mark.as_deref().filter(|m| !m.trim().is_empty()) {
        flow.void_mark(mark, qr_y + symbol / 2.0);
    }
    Ok(PageLayout {
        width: page_width,
        height,
        ops: flow.ops,
    })
}

/// A downward-flowing column of content.
pub(crate) struct Flow<'a> {
    pub(crate) fonts: &'a Fonts,
    pub(crate) ops: Vec<Op>,
    /// Top of the next block, from the page top.
    pub(crate) y: f32,
    pub(crate) left: f32,
    pub(crate) width: f32,
}

impl Flow<'_> {
    /// Wraps `text` to the column and places it.
    pub(crate) fn paragraph(&mut self, text: &str, style: TextStyle, align: Align) {
        let lines = wrap(self.fonts.get(style.weight), text, style.size, self.width);
        self.lines(&lines, style, align);
    }

    /// Places already-wrapped lines.
    fn lines(&mut self, lines: &[String], style: TextStyle, align: Align) {
        let (left, width) = (self.left, self.width);
        self.lines_in(lines, style, align, left, width);
    }

    /// Places already-wrapped lines in the column `[left, left + width]`.
    pub(crate) fn lines_in(
        &mut self,
        lines: &[String],
        style: TextStyle,
        align: Align,
        left: f32,
        width: f32,
    ) {
        let font = self.fonts.get(style.weight);
        for line in lines {
            let baseline = self.y + self.first_baseline(style);
            let x = match align {
                Align::Left => left,
                Align::Center => left + (width - font.text_width(line, style.size)) / 2.0,
            };
            if !line.is_empty() {
                self.ops.push(Op::Text {
                    x,
                    baseline,
                    weight: style.weight,
                    size: style.size,
                    gray: style.gray,
                    text: line.clone(),
                });
            }
            self.y += style.line_height();
        }
    }

    /// Distance from the top of a line box to its baseline: the font's
    /// ascender-to-descender extent is centred in the line box.
    fn first_baseline(&self, style: TextStyle) -> f32 {
        let font = self.fonts.get(style.weight);
        let extent = (font.ascent() + font.descent()) * style.size;
        (style.line_height() - extent) / 2.0 + font.ascent() * style.size
    }

    pub(crate) fn rule(&mut self, line: f32, gray: f32) {
        self.y += line / 2.0;
        self.ops.push(Op::Rule {
            x: self.left,
            y: self.y,
            w: self.width,
            line,
            gray,
        });
        self.y += line / 2.0;
    }

    /// Label on the left (40 %), value on the right, first baselines aligned.
    fn table_row(
        &mut self,
        label: &str,
        value: &str,
        label_style: TextStyle,
        value_style: TextStyle,
    ) {
        let gutter = 12.0;
        let label_width = self.width * 0.4;
        let value_left = self.left + label_width + gutter;
        let value_width = self.width - label_width - gutter;
        let label_lines = wrap(
            self.fonts.get(label_style.weight),
            label,
            label_style.size,
            label_width,
        );
        let value_lines = wrap(
            self.fonts.get(value_style.weight),
            value,
            value_style.size,
            value_width,
        );

        let top = self.y;
        let baseline_shift = self.first_baseline(value_style) - self.first_baseline(label_style);
        self.y = top + baseline_shift;
        let left = self.left;
        self.lines_in(&label_lines, label_style, Align::Left, left, label_width);
        let label_bottom = self.y;
        self.y = top;
        self.lines_in(
            &value_lines,
            value_style,
            Align::Left,
            value_left,
            value_width,
        );
        self.y = self.y.max(label_bottom);
    }

    /// A cancelled ticket's mark: its parts (split at ` / `) in large bold type, in a
    /// white box with a heavy frame spanning the column, centred on `middle` (the QR's
    /// centre), drawn over what is there.
    fn void_mark(&mut self, mark: &str, middle: f32) {
        let parts: Vec<String> = mark.split(" / ").map(|p| p.trim().to_owned()).collect();
        let font = self.fonts.get(Weight::Bold);
        let pad = 8.0;
        let frame = 4.0;
        let inner = self.width - 2.0 * (pad + frame);
        let widest = parts
            .iter()
            .map(|p| font.text_width(p, 1.0))
            .fold(0.0_f32, f32::max)
            .max(1.0);
        let size = (inner / widest).min(72.0);
        let style = TextStyle::new(Weight::Bold, size, 0.0);
        let h = parts.len() as f32 * style.line_height() + 2.0 * (pad + frame);
        let (x, y, w) = (self.left, middle - h / 2.0, self.width);
        self.ops.push(Op::Fill {
            x,
            y,
            w,
            h,
            gray: 1.0,
        });
        let half = frame / 2.0;
        self.ops.push(Op::Frame {
            x: x + half,
            y: y + half,
            w: w - frame,
            h: h - frame,
            line: frame,
        });
        let after = self.y;
        self.y = y + pad + frame;
        self.lines_in(&parts, style, Align::Center, x + pad + frame, inner);
        self.y = after;
    }

    /// Text in a framed (and on A4 shaded) box spanning the column.
    fn notice_box(&mut self, notice: &str, style: &Style) {
        let pad = style.notice_pad;
        let inner = self.width - 2.0 * pad;
        let lines = wrap(
            self.fonts.get(style.notice.weight),
            notice,
            style.notice.size,
            inner,
        );
        let h = lines.len() as f32 * style.notice.line_height() + 2.0 * pad;
        let (x, y, w) = (self.left, self.y, self.width);
        if let Some(gray) = style.notice_fill {
            self.ops.push(Op::Fill { x, y, w, h, gray });
        }
        // Stroke inside the box so it never pokes into the margin.
        let half = style.notice_frame / 2.0;
        self.ops.push(Op::Frame {
            x: x + half,
            y: y + half,
            w: w - style.notice_frame,
            h: h - style.notice_frame,
            line: style.notice_frame,
        });
        self.y += pad;
        self.lines_in(&lines, style.notice, Align::Center, x + pad, inner);
        self.y = y + h;
    }
}
