//! Print-ready PDF of pre-printed paper ticket stock ("strict-accountability
//! forms"): fixed-size ticket cells, several to an A4 sheet with cut marks, or
//! one per page.
//!
//! Every cell has the same design: venue and title top left, series and number
//! large top right, a rule, then the QR code (with its quiet zone kept clear)
//! and the ticket number under it on the left, and on the right the
//! label/value lines above an empty framed box for the cashier's stamp.
//! Coordinates run top-down from the page's top-left corner, in points, as in
//! [`crate::layout`].

use crate::font::{Fonts, Weight};
use crate::layout::{Align, Flow, Op, PageLayout, TextStyle};
use crate::paper::mm;
use crate::qr::{qr_matrix, QrLevel, QrMatrix, QUIET_ZONE};
use crate::text::{clean, wrap};
use crate::{pdf, RenderError};

/// A4 portrait, in millimetres.
const PAGE_MM: (f32, f32) = (210.0, 297.0);
/// One ticket cell (the paper ticket after cutting), in millimetres.
const CELL_MM: (f32, f32) = (90.0, 64.0);
/// Space between neighbouring cells; holds the inner cut marks.
const GUTTER_MM: f32 = 6.0;
/// Least margin around the grid; holds the outer cut marks.
const MIN_MARGIN_MM: f32 = 10.0;
/// Distance between a cell's edge and the start of a cut mark.
const MARK_OFFSET_MM: f32 = 1.0;
/// Length of a cut mark in the outer margin (gutter marks span the gutter).
const MARK_LENGTH_MM: f32 = 5.0;
/// Stroke width of the cut marks, in points.
const MARK_LINE_PT: f32 = 0.5;
/// Blank paper between a cell's edge and its content.
const PADDING_MM: f32 = 4.0;
/// Side of the QR symbol (quiet zone excluded), whatever its version.
const QR_SYMBOL_MM: f32 = 30.0;
/// Smallest QR module that still scans reliably from paper.
const MIN_MODULE_MM: f32 = 0.33;
/// Error-correction level of the printed QR codes.
const QR_LEVEL: QrLevel = QrLevel::M;
/// Least height of the cashier's stamp box.
const STAMP_MIN_HEIGHT_MM: f32 = 15.0;
/// Stroke width of the stamp box and the header rule, in points.
const FRAME_LINE_PT: f32 = 0.75;

/// One pre-printed paper ticket of a stock batch. All text is printed as given;
/// long text is wrapped to the cell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StockTicketDoc {
    /// Digits-only code: the exact content of the QR symbol (numeric mode, level M).
    /// Not printed as text.
    pub code: String,
    /// Form series, e.g. `"А"`; printed large together with [`Self::number`].
    pub series: String,
    /// Form number as printed, already zero-padded by the caller, e.g. `"0120"`.
    pub number: String,
    /// Ticket number for typing, already grouped (e.g. `"2000 0000 0016"`),
    /// printed small under the QR.
    pub ticket_number: String,
    /// Document title, e.g. `"Квиток / Ticket"`.
    pub title: String,
    /// Venue name.
    pub venue: String,
    /// Label → value rows (e.g. category, validity), printed in this order.
    pub lines: Vec<(String, String)>,
    /// Caption of the empty stamp box, e.g. `"Штамп каси / Cashier's stamp"`.
    pub stamp_label: String,
}

/// How ticket cells are arranged on A4 pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StockLayout {
    /// Several tickets per A4 sheet (a 2 × 4 grid of 90 × 64 mm cells) with cut
    /// marks in the margins and gutters. Every sheet carries the marks of the
    /// whole grid, so one cutting programme fits all sheets.
    Sheet,
    /// One ticket per A4 page, at its real size, centred, with cut marks.
    OnePerPage,
}

/// Renders a batch of paper tickets as one print-ready A4 PDF, in order
/// (left to right, then top to bottom on a [`StockLayout::Sheet`]).
///
/// Each cell carries the venue and title, `series number` in large type, the QR
/// of [`StockTicketDoc::code`] (numeric mode, level M, 30 mm square so modules stay
/// ≥ 0.33 mm, with a clear quiet zone of [`QUIET_ZONE`] modules), the ticket
/// number, the label/value lines and the framed stamp box. Text is real text in
/// embedded DejaVu Sans subsets, written once for the whole document, so a
/// batch of thousands stays small. A cell whose text is too long is set again
/// with smaller type before giving up. Same input, byte-identical output.
///
/// # Errors
/// [`RenderError::NoTickets`] for an empty slice; [`RenderError::InvalidCode`] for
/// a code that is empty or not all ASCII digits; [`RenderError::CodeTooLong`] for a
/// code whose QR does not fit the cell with modules of at least 0.33 mm (over
/// 1,346 digits); [`RenderError::PageOverflow`] (sizes of the cell, not the
/// page) when a ticket's text does not fit its cell even in smaller type.
pub fn stock_pdf(tickets: &[StockTicketDoc], layout: StockLayout) -> Result<Vec<u8>, RenderError> {
    let first = tickets.first().ok_or(RenderError::NoTickets)?;
    let fonts = Fonts::load()?;
    let grid = Grid::for_layout(layout);
    let pages = tickets
        .chunks(grid.cells())
        .enumerate()
        .map(|(page, chunk)| layout_page(&fonts, &grid, chunk, page * grid.cells()))
        .collect::<Result<Vec<_>, _>>()?;
    pdf::write_document(&fonts, &pages, &first.title)
}

/// One page: the grid's cut marks, then the cells of `tickets` (`first_index`
/// is the position of `tickets[0]` in the batch, for error messages).
fn layout_page(
    fonts: &Fonts,
    grid: &Grid,
    tickets: &[StockTicketDoc],
    first_index: usize,
) -> Result<PageLayout, RenderError> {
    let mut ops = grid.cut_marks();
    for (i, ticket) in tickets.iter().enumerate() {
        let (x, y) = grid.cell_origin(i);
        ops.extend(layout_cell(fonts, ticket, x, y, first_index + i)?);
    }
    Ok(PageLayout {
        width: mm(PAGE_MM.0),
        height: mm(PAGE_MM.1),
        ops,
    })
}

/// Where the cells sit on a page, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Grid {
    cols: usize,
    rows: usize,
    left: f32,
    top: f32,
}

impl Grid {
    /// As many cells as fit the page within the least margin, centred.
    fn for_layout(layout: StockLayout) -> Grid {
        let (cols, rows) = match layout {
            StockLayout::Sheet => (
                cells_that_fit(PAGE_MM.0, CELL_MM.0),
                cells_that_fit(PAGE_MM.1, CELL_MM.1),
            ),
            StockLayout::OnePerPage => (1, 1),
        };
        let span = |n: usize, cell: f32| n as f32 * cell + (n - 1) as f32 * GUTTER_MM;
        Grid {
            cols,
            rows,
            left: mm((PAGE_MM.0 - span(cols, CELL_MM.0)) / 2.0),
            top: mm((PAGE_MM.1 - span(rows, CELL_MM.1)) / 2.0),
        }
    }

    fn cells(&self) -> usize {
        self.cols * self.rows
    }

    /// Top-left corner of cell `i` (row-major).
    fn cell_origin(&self, i: usize) -> (f32, f32) {
        let (col, row) = (i % self.cols, i / self.cols);
        (
            self.left + col as f32 * mm(CELL_MM.0 + GUTTER_MM),
            self.top + row as f32 * mm(CELL_MM.1 + GUTTER_MM),
        )
    }

    /// `(start, end)` of every column (`along_x`) or row of cells.
    fn cell_spans(&self, along_x: bool) -> Vec<(f32, f32)> {
        let (n, start, cell) = if along_x {
            (self.cols, self.left, CELL_MM.0)
        } else {
            (self.rows, self.top, CELL_MM.1)
        };
        (0..n)
            .map(|i| {
                let a = start + i as f32 * mm(cell + GUTTER_MM);
                (a, a + mm(cell))
            })
            .collect()
    }

    /// Thin lines continuing every cell edge into the margins and gutters,
    /// stopping [`MARK_OFFSET_MM`] short of any cell so none is ever inside one.
    fn cut_marks(&self) -> Vec<Op> {
        let columns = self.cell_spans(true);
        let rows = self.cell_spans(false);
        let mut ops = Vec::new();
        for x in columns.iter().flat_map(|&(a, b)| [a, b]) {
            for (from, to) in mark_spans(&rows) {
                ops.push(mark(x - MARK_LINE_PT / 2.0, from, MARK_LINE_PT, to - from));
            }
        }
        for y in rows.iter().flat_map(|&(a, b)| [a, b]) {
            for (from, to) in mark_spans(&columns) {
                ops.push(mark(from, y - MARK_LINE_PT / 2.0, to - from, MARK_LINE_PT));
            }
        }
        ops
    }
}

/// Cells of `cell` mm that fit `page` mm with gutters and the least margin.
fn cells_that_fit(page: f32, cell: f32) -> usize {
    let n = ((page - 2.0 * MIN_MARGIN_MM + GUTTER_MM) / (cell + GUTTER_MM)).floor();
    (n as usize).max(1)
}

/// Stretches along one axis where cut marks go, given the cells' spans on it:
/// before the first cell, in each gutter, after the last cell.
fn mark_spans(cells: &[(f32, f32)]) -> Vec<(f32, f32)> {
    let (offset, length) = (mm(MARK_OFFSET_MM), mm(MARK_LENGTH_MM));
    let mut spans = Vec::with_capacity(cells.len() + 1);
    if let (Some(first), Some(last)) = (cells.first(), cells.last()) {
        spans.push((first.0 - offset - length, first.0 - offset));
        for pair in cells.windows(2) {
            let (from, to) = (pair[0].1 + offset, pair[1].0 - offset);
            if to > from {
                spans.push((from, to));
            }
        }
        spans.push((last.1 + offset, last.1 + offset + length));
    }
    spans
}

fn mark(x: f32, y: f32, w: f32, h: f32) -> Op {
    Op::Fill {
        x,
        y,
        w,
        h,
        gray: 0.0,
    }
}

/// Type sizes and spacing of a cell.
#[derive(Clone, Copy)]
struct CellStyle {
    venue: TextStyle,
    title: TextStyle,
    series: TextStyle,
    label: TextStyle,
    value: TextStyle,
    ticket_number: TextStyle,
    stamp_label: TextStyle,
    gap: f32,
}

impl CellStyle {
    const REGULAR: CellStyle = CellStyle {
        venue: TextStyle::new(Weight::Bold, 8.5, 0.0),
        title: TextStyle::new(Weight::Regular, 7.0, 0.3),
        series: TextStyle::new(Weight::Bold, 16.0, 0.0),
        label: TextStyle::new(Weight::Regular, 6.5, 0.35),
        value: TextStyle::new(Weight::Bold, 8.5, 0.0),
        ticket_number: TextStyle::new(Weight::Regular, 7.5, 0.0),
        stamp_label: TextStyle::new(Weight::Regular, 6.0, 0.35),
        gap: 5.5,
    };

    /// Smaller type and gaps for cells whose text does not fit; the QR keeps its size.
    fn compact(&self) -> CellStyle {
        let shrink = |t: TextStyle| TextStyle {
            size: t.size * 0.82,
            // Still holds DejaVu's ascender-to-descender extent (1.164 em).
            leading: 1.17,
            ..t
        };
        CellStyle {
            venue: shrink(self.venue),
            title: shrink(self.title),
            series: shrink(self.series),
            label: shrink(self.label),
            value: shrink(self.value),
            ticket_number: shrink(self.ticket_number),
            stamp_label: shrink(self.stamp_label),
            gap: self.gap * 0.5,
        }
    }
}

/// The QR symbol of a cell: matrix and module size, in points.
struct CellQr {
    matrix: QrMatrix,
    module: f32,
}

impl CellQr {
    fn new(code: &str) -> Result<CellQr, RenderError> {
        let matrix = qr_matrix(code, QR_LEVEL)?;
        let module = mm(QR_SYMBOL_MM) / matrix.width() as f32;
        if module < mm(MIN_MODULE_MM) {
            return Err(RenderError::CodeTooLong {
                len: code.len(),
                level: "M",
            });
        }
        Ok(CellQr { matrix, module })
    }

    fn quiet(&self) -> f32 {
        QUIET_ZONE as f32 * self.module
    }
}

/// Lays out ticket `index` in the cell whose top-left corner is (`x`, `y`),
/// falling back to the compact style when the regular one overflows.
fn layout_cell(
    fonts: &Fonts,
    ticket: &StockTicketDoc,
    x: f32,
    y: f32,
    index: usize,
) -> Result<Vec<Op>, RenderError> {
    let qr = CellQr::new(&ticket.code)?;
    let cell = Cell { fonts, x, y };
    cell.layout(ticket, &qr, &CellStyle::REGULAR)
        .or_else(|_| cell.layout(ticket, &qr, &CellStyle::REGULAR.compact()))
        .map_err(|needed| RenderError::PageOverflow {
            index,
            needed_mm: needed / mm(1.0),
            available_mm: CELL_MM.1,
        })
}

/// One cell being laid out: its fonts and top-left corner.
struct Cell<'a> {
    fonts: &'a Fonts,
    x: f32,
    y: f32,
}

impl Cell<'_> {
    /// The cell's operations, or the height it would need (points) if it overflows.
    fn layout(
        &self,
        ticket: &StockTicketDoc,
        qr: &CellQr,
        style: &CellStyle,
    ) -> Result<Vec<Op>, f32> {
        let pad = mm(PADDING_MM);
        let mut flow = Flow {
            fonts: self.fonts,
            ops: Vec::new(),
            y: self.y + pad,
            left: self.x + pad,
            width: mm(CELL_MM.0) - 2.0 * pad,
        };
        self.header(&mut flow, ticket, style);
        let body_top = flow.y;
        // The quiet zone stays clear of the rule, the cell's edge and the text.
        let qr_x = self.x + qr.quiet().max(pad);
        let qr_bottom = self.qr_column(&mut flow, ticket, qr, style, (qr_x, body_top));
        let column_left = qr_x + mm(QR_SYMBOL_MM) + qr.quiet();
        let stamp_top = self.lines_column(&mut flow, ticket, style, column_left, body_top);

        let bottom = self.y + mm(CELL_MM.1) - pad;
        let needed = qr_bottom.max(stamp_top + mm(STAMP_MIN_HEIGHT_MM));
        if needed > bottom {
            return Err(needed - self.y + pad);
        }
        self.stamp_box(&mut flow, ticket, style, stamp_top, bottom);
        Ok(flow.ops)
    }

    /// Venue and title on the left, series and number large on the right, then
    /// a rule across the cell. Leaves `flow` below the rule at full width.
    fn header(&self, flow: &mut Flow, ticket: &StockTicketDoc, style: &CellStyle) {
        let (top, left, width) = (flow.y, flow.left, flow.width);
        let mark = series_and_number(ticket);
        let font = self.fonts.get(style.series.weight);
        let series = TextStyle {
            size: style
                .series
                .size
                .min(width * 0.5 / font.text_width(&mark, 1.0).max(1.0)),
            ..style.series
        };
        let mark_width = font.text_width(&mark, series.size);
        let right = left + width;
        flow.lines_in(&[mark], series, Align::Left, right - mark_width, mark_width);
        let mark_bottom = flow.y;

        flow.y = top;
        flow.width = width - mark_width - style.gap;
        flow.paragraph(&ticket.venue, style.venue, Align::Left);
        flow.paragraph(&ticket.title, style.title, Align::Left);
        flow.width = width;
        flow.y = flow.y.max(mark_bottom) + style.gap * 0.4;
        flow.rule(FRAME_LINE_PT, 0.0);
    }

    /// The QR at `x`, a quiet zone below `body_top`, and the ticket number
    /// centred under it after another quiet zone. Returns the column's bottom.
    fn qr_column(
        &self,
        flow: &mut Flow,
        ticket: &StockTicketDoc,
        qr: &CellQr,
        style: &CellStyle,
        (x, body_top): (f32, f32),
    ) -> f32 {
        let symbol = mm(QR_SYMBOL_MM);
        let quiet = qr.quiet();
        let y = body_top + quiet;
        flow.ops.push(Op::Qr {
            x,
            y,
            module: qr.module,
            matrix: qr.matrix.clone(),
        });
        flow.y = y + symbol + quiet;
        let st = style.ticket_number;
        let lines = wrap(
            self.fonts.get(st.weight),
            &ticket.ticket_number,
            st.size,
            symbol,
        );
        flow.lines_in(&lines, st, Align::Center, x, symbol);
        flow.y
    }

    /// Label/value rows in the column from `left` to the cell's padding. Leaves
    /// `flow` in that column and returns the top of the stamp box below the rows.
    fn lines_column(
        &self,
        flow: &mut Flow,
        ticket: &StockTicketDoc,
        style: &CellStyle,
        left: f32,
        body_top: f32,
    ) -> f32 {
        let right = flow.left + flow.width;
        flow.left = left;
        flow.width = right - left;
        flow.y = body_top + style.gap * 0.5;
        for (label, value) in &ticket.lines {
            flow.paragraph(label, style.label, Align::Left);
            flow.paragraph(value, style.value, Align::Left);
            flow.y += style.gap * 0.5;
        }
        flow.y + style.gap * 0.5
    }

    /// The empty framed box for the cashier's stamp, its caption small at the top.
    fn stamp_box(
        &self,
        flow: &mut Flow,
        ticket: &StockTicketDoc,
        style: &CellStyle,
        top: f32,
        bottom: f32,
    ) {
        let half = FRAME_LINE_PT / 2.0;
        flow.ops.push(Op::Frame {
            x: flow.left + half,
            y: top + half,
            w: flow.width - FRAME_LINE_PT,
            h: bottom - top - FRAME_LINE_PT,
            line: FRAME_LINE_PT,
        });
        let pad = style.gap * 0.5 + FRAME_LINE_PT;
        let st = style.stamp_label;
        let inner = flow.width - 2.0 * pad;
        let lines = wrap(
            self.fonts.get(st.weight),
            &ticket.stamp_label,
            st.size,
            inner,
        );
        flow.y = top + pad;
        let left = flow.left + pad;
        flow.lines_in(&lines, st, Align::Center, left, inner);
    }
}

/// `"А 0120"`: series and number on one line (either may be empty).
fn series_and_number(ticket: &StockTicketDoc) -> String {
    let joined = [ticket.series.trim(), ticket.number.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    clean(&joined).replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(code_len: usize) -> StockTicketDoc {
        StockTicketDoc {
            code: "0123456789".repeat(code_len / 10 + 1)[..code_len].to_owned(),
            series: "А".into(),
            number: "0120".into(),
            ticket_number: "2000 0000 0016".into(),
            title: "Квиток / Ticket".into(),
            venue: "Демо-музей / Demo museum".into(),
            lines: vec![
                ("Категорія / Category".into(), "будь-яка / any".into()),
                ("Дійсний / Valid".into(), "до 31.12.2026".into()),
            ],
            stamp_label: "Штамп каси / Cashier's stamp".into(),
        }
    }

    /// `(left, top, right, bottom)` of an operation's ink, in points.
    fn extent(fonts: &Fonts, op: &Op) -> (f32, f32, f32, f32) {
        match op {
            Op::Text {
                x,
                baseline,
                weight,
                size,
                text,
                ..
            } => {
                let font = fonts.get(*weight);
                let w = font.text_width(text, *size);
                (
                    *x,
                    baseline - font.ascent() * size,
                    x + w,
                    baseline + font.descent() * size,
                )
            }
            Op::Fill { x, y, w, h, .. } => (*x, *y, x + w, y + h),
            Op::Frame { x, y, w, h, line } => (
                x - line / 2.0,
                y - line / 2.0,
                x + w + line / 2.0,
                y + h + line / 2.0,
            ),
            Op::Rule { x, y, w, line, .. } => (*x, y - line / 2.0, x + w, y + line / 2.0),
            Op::Qr {
                x,
                y,
                module,
                matrix,
            } => {
                let side = module * matrix.width() as f32;
                (*x, *y, x + side, y + side)
            }
        }
    }

    #[test]
    fn a4_sheet_holds_a_centred_two_by_four_grid() {
        let grid = Grid::for_layout(StockLayout::Sheet);
        assert_eq!((grid.cols, grid.rows), (2, 4));
        let (right, bottom) = grid.cell_origin(grid.cells() - 1);
        let (right, bottom) = (right + mm(CELL_MM.0), bottom + mm(CELL_MM.1));
        assert!(grid.left >= mm(MIN_MARGIN_MM) && grid.top >= mm(MIN_MARGIN_MM));
        assert!((mm(PAGE_MM.0) - right - grid.left).abs() < 0.01);
        assert!((mm(PAGE_MM.1) - bottom - grid.top).abs() < 0.01);
        let single = Grid::for_layout(StockLayout::OnePerPage);
        assert_eq!(single.cells(), 1);
        assert!((single.left - (mm(PAGE_MM.0) - mm(CELL_MM.0)) / 2.0).abs() < 0.01);
    }

    #[test]
    fn cut_marks_are_on_the_page_and_outside_every_cell() {
        let fonts = Fonts::load().expect("fonts");
        for layout in [StockLayout::Sheet, StockLayout::OnePerPage] {
            let grid = Grid::for_layout(layout);
            let marks = grid.cut_marks();
            // Every edge of every column crosses each gap of the other axis.
            let expected = 2 * grid.cols * (grid.rows + 1) + 2 * grid.rows * (grid.cols + 1);
            assert_eq!(marks.len(), expected, "{layout:?}");
            for m in &marks {
                let (l, t, r, b) = extent(&fonts, m);
                assert!(l >= 0.0 && t >= 0.0 && r <= mm(PAGE_MM.0) && b <= mm(PAGE_MM.1));
                for i in 0..grid.cells() {
                    let (x, y) = grid.cell_origin(i);
                    let apart = r < x || l > x + mm(CELL_MM.0) || b < y || t > y + mm(CELL_MM.1);
                    assert!(apart, "{layout:?}: mark {m:?} touches cell {i}");
                }
            }
        }
    }

    #[test]
    fn cell_content_stays_inside_the_padding() {
        let fonts = Fonts::load().expect("fonts");
        let mut long = ticket(202);
        long.venue = "Національний музей історії українського ґрунтознавства / National Museum of Soil Science".into();
        long.series = "АБВГ".into();
        long.number = "00012345678".into();
        for t in [ticket(202), ticket(1), long] {
            let (x, y) = (100.0, 200.0);
            let ops = layout_cell(&fonts, &t, x, y, 0).expect("fits");
            let pad = mm(PADDING_MM) - 0.01;
            for op in &ops {
                let (l, top, r, b) = extent(&fonts, op);
                assert!(l >= x + pad && r <= x + mm(CELL_MM.0) - pad, "{op:?}");
                assert!(top >= y + pad && b <= y + mm(CELL_MM.1) - pad, "{op:?}");
            }
            assert_eq!(ops.iter().filter(|o| matches!(o, Op::Qr { .. })).count(), 1);
            assert_eq!(
                ops.iter().filter(|o| matches!(o, Op::Frame { .. })).count(),
                1
            );
        }
    }

    #[test]
    fn long_text_falls_back_to_smaller_type() {
        let fonts = Fonts::load().expect("fonts");
        let cell = Cell {
            fonts: &fonts,
            x: 0.0,
            y: 0.0,
        };
        let mut t = ticket(202);
        let qr = CellQr::new(&t.code).expect("qr");
        // Add rows until the regular style overflows: the compact one still fits.
        while cell.layout(&t, &qr, &CellStyle::REGULAR).is_ok() {
            let i = t.lines.len();
            t.lines
                .push((format!("Рядок {i}"), "значення / value".to_owned()));
        }
        assert!(t.lines.len() >= 3, "the regular style holds a few rows");
        assert!(cell.layout(&t, &qr, &CellStyle::REGULAR.compact()).is_ok());
        assert!(layout_cell(&fonts, &t, 0.0, 0.0, 0).is_ok());
        t.lines.extend(t.lines.clone());
        assert!(matches!(
            layout_cell(&fonts, &t, 0.0, 0.0, 7),
            Err(RenderError::PageOverflow { index: 7, .. })
        ));
    }

    #[test]
    fn qr_modules_stay_at_least_a_third_of_a_millimetre() {
        let qr = CellQr::new(&ticket(202).code).expect("202 digits");
        assert_eq!(qr.matrix.version(), 5, "202 digits fit version 5 at M");
        assert!(qr.module / mm(1.0) > 0.8);
        let last = CellQr::new(&"7".repeat(1346)).expect("1,346 digits");
        assert!(last.module >= mm(MIN_MODULE_MM));
        assert!(matches!(
            CellQr::new(&"7".repeat(1347)),
            Err(RenderError::CodeTooLong {
                len: 1347,
                level: "M"
            })
        ));
    }

    #[test]
    fn series_and_number_join_with_one_space() {
        let mut t = ticket(10);
        assert_eq!(series_and_number(&t), "А 0120");
        t.series = " ".into();
        assert_eq!(series_and_number(&t), "0120");
        t.number = "01\n20".into();
        t.series = "AB".into();
        assert_eq!(series_and_number(&t), "AB 01 20");
    }
}
