//! Paper ticket stock (`stock_pdf`): every QR on every sheet reads back with rqrr and
//! zbarimg, series and numbers are real text, and cut marks run along every cell edge
//! in the margins and gutters, never inside a cell.

use std::path::Path;
use std::process::Command;

use aspk_render::{stock_pdf, RenderError, StockLayout, StockTicketDoc};
use image::GrayImage;

use crate::support::{
    code, pdf_info, poppler, qr_symbols, render_png, samples_dir, squash, write_pdf,
};

const DPI: u32 = 200;
const STAMP: &str = "Штамп каси / Cashier's stamp";

/// Ticket `n` of a batch: a 202-digit code (the longest aspk issues), number zero-padded.
fn stock_ticket(series: &str, n: usize) -> StockTicketDoc {
    StockTicketDoc {
        code: code(202, 1000 + n as u64),
        series: series.to_owned(),
        number: format!("{n:04}"),
        ticket_number: format!("2000 0000 {n:04}"),
        title: "Квиток / Ticket".to_owned(),
        venue: "Демо-музей / Demo museum".to_owned(),
        lines: vec![
            ("Категорія / Category".into(), "будь-яка / any".into()),
            (
                "Дійсний / Valid".into(),
                "до 31.12.2026 / until 31.12.2026".into(),
            ),
        ],
        stamp_label: STAMP.to_owned(),
    }
}

fn batch(series: &str, count: usize) -> Vec<StockTicketDoc> {
    (1..=count).map(|n| stock_ticket(series, n)).collect()
}

fn page_count(pdf: &Path) -> usize {
    pdf_info(pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("Pages: line")
        .trim()
        .parse()
        .expect("page count")
}

// ------------------------------------------------------------------ decoders

/// Every symbol zbarimg reads in a PNG, one per line; `None` (with a note) when
/// zbarimg is not installed.
fn zbar_symbols(png: &Path) -> Option<Vec<String>> {
    match Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(png)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "zbarimg found no code in {}",
                png.display()
            );
            let text = String::from_utf8(out.stdout).expect("zbarimg output is UTF-8");
            Some(text.lines().map(str::to_owned).collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            aspk_testkit::skip(
                "zbar cross-check of paper stock QR codes",
                "zbarimg is not installed",
                "apt-get install -y zbar-tools",
            );
            None
        }
        Err(e) => panic!("running zbarimg: {e}"),
    }
}

/// The document's text via pdftotext; `None` (with a note) when it is not installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-raw"])
        .arg(pdf)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext failed on {}",
                pdf.display()
            );
            Some(String::from_utf8(out.stdout).expect("pdftotext output is UTF-8"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            aspk_testkit::skip(
                "text check of paper stock",
                "pdftotext is not installed",
                "apt-get install -y poppler-utils",
            );
            None
        }
        Err(e) => panic!("running pdftotext: {e}"),
    }
}

// ------------------------------------------------------------------ cut marks

fn is_dark(img: &GrayImage, x: u32, y: u32) -> bool {
    img.get_pixel(x, y).0[0] < 160
}

/// Centres of the dark runs along row `y`, or along column `x` when `row` is false.
fn dark_runs(img: &GrayImage, at: u32, row: bool) -> Vec<u32> {
    let len = if row { img.width() } else { img.height() };
    let dark = |i: u32| {
        if row {
            is_dark(img, i, at)
        } else {
            is_dark(img, at, i)
        }
    };
    let mut centres = Vec::new();
    let mut i = 0;
    while i < len {
        if dark(i) {
            let start = i;
            while i < len && dark(i) {
                i += 1;
            }
            centres.push((start + i - 1) / 2);
        } else {
            i += 1;
        }
    }
    centres
}

/// The cut lines as pixel positions `[start0, end0, start1, end1, …]`: read off the
/// marks met first from the top (vertical lines) and from the left (horizontal lines),
/// where the margins hold nothing else.
fn cut_lines(img: &GrayImage) -> (Vec<u32>, Vec<u32>) {
    let first_dark_row = (0..img.height())
        .find(|&y| (0..img.width()).any(|x| is_dark(img, x, y)))
        .expect("ink on the page");
    let first_dark_col = (0..img.width())
        .find(|&x| (0..img.height()).any(|y| is_dark(img, x, y)))
        .expect("ink on the page");
    (
        dark_runs(img, first_dark_row + 4, true),
        dark_runs(img, first_dark_col + 4, false),
    )
}

fn mm_px(mm: f64) -> u32 {
    (mm / 25.4 * f64::from(DPI)).round() as u32
}

/// Some pixel within ±1 px across the line at `(x, y)` is dark.
fn line_at(img: &GrayImage, x: u32, y: u32, vertical: bool) -> bool {
    (0..3).any(|d| {
        if vertical {
            is_dark(img, x + d - 1, y)
        } else {
            is_dark(img, x, y + d - 1)
        }
    })
}

/// Checks the marks of a `cols` × `rows` grid and returns the cells as pixel
/// rectangles `((left, right), (top, bottom))`.
fn check_cut_marks(img: &GrayImage, cols: usize, rows: usize) -> Vec<((u32, u32), (u32, u32))> {
    let (xs, ys) = cut_lines(img);
    assert_eq!(xs.len(), 2 * cols, "vertical cut lines at {xs:?}");
    assert_eq!(ys.len(), 2 * rows, "horizontal cut lines at {ys:?}");
    for pair in xs.chunks(2) {
        assert!(
            pair[1].abs_diff(pair[0]).abs_diff(mm_px(90.0)) <= 2,
            "{xs:?}"
        );
    }
    for pair in ys.chunks(2) {
        assert!(
            pair[1].abs_diff(pair[0]).abs_diff(mm_px(64.0)) <= 2,
            "{ys:?}"
        );
    }
    // Every stretch outside the cells along every cut line carries a mark: the
    // far margins 3 mm out, each gutter in its middle.
    let outside = |lines: &[u32]| -> Vec<u32> {
        let mut at = vec![lines[0] - mm_px(3.0), lines[lines.len() - 1] + mm_px(3.0)];
        at.extend(
            lines[1..lines.len() - 1]
                .chunks(2)
                .map(|g| (g[0] + g[1]) / 2),
        );
        at
    };
    for &x in &xs {
        for y in outside(&ys) {
            assert!(line_at(img, x, y, true), "no mark at x {x}, y {y}");
        }
    }
    for &y in &ys {
        for x in outside(&xs) {
            assert!(line_at(img, x, y, false), "no mark at x {x}, y {y}");
        }
    }
    // Along the cell edges the paper is blank: marks stop outside, content stays in.
    let cells: Vec<_> = ys
        .chunks(2)
        .flat_map(|r| xs.chunks(2).map(move |c| ((c[0], c[1]), (r[0], r[1]))))
        .collect();
    for &((left, right), (top, bottom)) in &cells {
        for y in top + 3..bottom - 2 {
            for x in [left, right] {
                assert!(!line_at(img, x, y, true), "ink on a cell edge at {x}, {y}");
            }
        }
        for x in left + 3..right - 2 {
            for y in [top, bottom] {
                assert!(!line_at(img, x, y, false), "ink on a cell edge at {x}, {y}");
            }
        }
    }
    cells
}

// ------------------------------------------------------------------ tests

/// Renders, rasterises every page and checks QR codes, cells and marks; returns the
/// PDF's path for further checks.
fn check_document(
    dir: &Path,
    name: &str,
    tickets: &[StockTicketDoc],
    layout: StockLayout,
    (cols, rows, pages): (usize, usize, usize),
) -> std::path::PathBuf {
    let pdf = stock_pdf(tickets, layout).expect("render");
    let path = write_pdf(dir, name, &pdf);
    assert_eq!(page_count(&path), pages, "{name}");
    let mut rqrr_codes = Vec::new();
    // `None` once zbarimg turns out to be missing.
    let mut zbar_codes = Some(Vec::new());
    for page in 1..=pages {
        let png = render_png(&path, page, DPI);
        let img = image::open(&png).expect("a PNG").to_luma8();
        assert_eq!((img.width(), img.height()), (1654, 2339), "A4 at {DPI} dpi");
        let cells = check_cut_marks(&img, cols, rows);
        // rqrr may pair finder patterns of neighbouring symbols, so each cell is
        // read on its own: the cell's ticket, in order, and nothing in empty cells.
        let first = (page - 1) * cells.len();
        for (i, &((left, right), (top, bottom))) in cells.iter().enumerate() {
            let crop = image::imageops::crop_imm(&img, left, top, right - left, bottom - top);
            let texts: Vec<String> = qr_symbols(&crop.to_image())
                .into_iter()
                .map(|s| s.expect("rqrr decodes the symbol").1)
                .collect();
            let want: Vec<String> = tickets
                .get(first + i)
                .map(|t| t.code.clone())
                .into_iter()
                .collect();
            assert_eq!(texts, want, "{name} page {page} cell {i}");
            rqrr_codes.extend(texts);
        }
        zbar_codes = zbar_codes.and_then(|mut all| {
            all.extend(zbar_symbols(&png)?);
            Some(all)
        });
    }
    let mut expected: Vec<String> = tickets.iter().map(|t| t.code.clone()).collect();
    expected.sort();
    rqrr_codes.sort();
    assert_eq!(rqrr_codes, expected, "{name}: rqrr reads every code once");
    if let Some(mut zbar_codes) = zbar_codes {
        zbar_codes.sort();
        assert_eq!(
            zbar_codes, expected,
            "{name}: zbarimg reads every code once"
        );
    }
    path
}

fn check_text(pdf: &Path, tickets: &[StockTicketDoc]) {
    let Some(text) = pdf_text(pdf) else { return };
    let text = squash(&text);
    for t in tickets {
        let mark = format!("{} {}", t.series, t.number);
        assert_eq!(text.matches(&mark).count(), 1, "{mark:?} in\n{text}");
        assert!(text.contains(&t.ticket_number), "{}", t.ticket_number);
        assert!(
            !text.contains(&t.code[..30]),
            "the code is not printed as text"
        );
    }
    assert_eq!(text.matches(STAMP).count(), tickets.len(), "stamp labels");
    for s in [
        "Демо-музей / Demo museum",
        "Квиток / Ticket",
        "будь-яка / any",
    ] {
        assert_eq!(text.matches(s).count(), tickets.len(), "{s}");
    }
}

#[test]
fn sheets_of_eight_read_back_with_cut_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tickets = batch("А", 20);
    let path = check_document(
        dir.path(),
        "sheet.pdf",
        &tickets,
        StockLayout::Sheet,
        (2, 4, 3),
    );
    check_text(&path, &tickets);
}

#[test]
fn one_per_page_reads_back_with_cut_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tickets = batch("AB", 2);
    let path = check_document(
        dir.path(),
        "single.pdf",
        &tickets,
        StockLayout::OnePerPage,
        (1, 1, 2),
    );
    check_text(&path, &tickets);
}

#[test]
fn save_stock_sample_renderings() {
    let dir = samples_dir();
    let mut tickets = batch("А", 8);
    tickets[7].venue = "Національний музей історії українського ґрунтознавства імені В. В. Докучаєва / National Museum of Ukrainian Soil Science".into();
    for (layout, name) in [
        (StockLayout::Sheet, "stock-sheet"),
        (StockLayout::OnePerPage, "stock-one-per-page"),
    ] {
        let pdf = stock_pdf(&tickets, layout).expect("render");
        let path = write_pdf(&dir, &format!("{name}.pdf"), &pdf);
        let png = render_png(&path, 1, 150);
        eprintln!("sample: {} ({} bytes of PDF)", png.display(), pdf.len());
    }
}

#[test]
fn a_thousand_tickets_share_one_font_subset_per_face() {
    let tickets = batch("А", 1000);
    let started = std::time::Instant::now();
    let pdf = stock_pdf(&tickets, StockLayout::Sheet).expect("render");
    eprintln!(
        "1,000 stock tickets: {:?} (this build's profile), {} bytes",
        started.elapsed(),
        pdf.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), "thousand.pdf", &pdf);
    assert_eq!(page_count(&path), 125);
    let out = poppler("pdffonts", &[path.as_os_str()]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.lines().skip(2).count(), 2, "{listing}");
    assert!(pdf.len() < 1000 * 6_000, "{} bytes", pdf.len());
}

#[test]
fn output_is_deterministic() {
    let tickets = batch("А", 9);
    for layout in [StockLayout::Sheet, StockLayout::OnePerPage] {
        let a = stock_pdf(&tickets, layout).expect("render");
        let b = stock_pdf(&tickets, layout).expect("render");
        assert!(a == b, "{layout:?}: two renders differ");
    }
}

#[test]
fn empty_batch_and_bad_codes_are_errors() {
    assert_eq!(
        stock_pdf(&[], StockLayout::Sheet),
        Err(RenderError::NoTickets)
    );
    for bad in ["", "12 34", "12a4"] {
        let mut tickets = batch("А", 3);
        tickets[2].code = bad.to_owned();
        let err = stock_pdf(&tickets, StockLayout::Sheet).expect_err(bad);
        assert!(
            matches!(err, RenderError::InvalidCode { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let mut long = stock_ticket("А", 1);
    long.code = code(5000, 1);
    let err = stock_pdf(&[long], StockLayout::OnePerPage).expect_err("too long");
    assert!(
        matches!(
            err,
            RenderError::CodeTooLong {
                len: 5000,
                level: "M"
            }
        ),
        "{err:?}"
    );
}

#[test]
fn text_too_long_for_a_cell_is_an_error() {
    let mut t = stock_ticket("А", 1);
    t.lines = (0..12)
        .map(|i| (format!("Рядок {i}"), "значення / value".to_owned()))
        .collect();
    let err = stock_pdf(&[stock_ticket("А", 0), t], StockLayout::Sheet).expect_err("overflow");
    assert!(
        matches!(err, RenderError::PageOverflow { index: 1, available_mm, .. } if available_mm == 64.0),
        "{err:?}"
    );
}
