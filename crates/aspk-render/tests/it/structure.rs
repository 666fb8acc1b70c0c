//! Document structure as seen by poppler: pages, page sizes, fonts, size budget.

use aspk_render::{ticket_pdf, Paper};

use crate::support::{code, pdf_info, poppler, sample_ticket, ticket, write_pdf};

/// `(width, height)` in points of every page, from `pdfinfo -f 1 -l N`.
fn page_sizes(info: &str) -> Vec<(f64, f64)> {
    info.lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size: "))
        .map(|l| {
            let dims = l.split(" size: ").nth(1).expect("size part");
            let mut it = dims.split_whitespace();
            let w = it.next().expect("w").parse().expect("w number");
            assert_eq!(it.next(), Some("x"));
            let h = it.next().expect("h").parse().expect("h number");
            (w, h)
        })
        .collect()
}

fn page_count(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("Pages: line")
        .trim()
        .parse()
        .expect("page count")
}

#[test]
fn one_page_per_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tickets: Vec<_> = (0..3)
        .map(|i| ticket(code(200, i), &format!("0000 0000 000{i}")))
        .collect();
    for paper in [Paper::A4, Paper::Roll80mm] {
        let pdf = ticket_pdf(&tickets, paper).expect("render");
        let info = pdf_info(&write_pdf(dir.path(), "multi.pdf", &pdf));
        assert_eq!(page_count(&info), 3, "{paper:?}:\n{info}");
        assert_eq!(page_sizes(&info).len(), 3);
    }
}

#[test]
fn a4_pages_are_a4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(&[sample_ticket(), sample_ticket()], Paper::A4).expect("render");
    let info = pdf_info(&write_pdf(dir.path(), "a4.pdf", &pdf));
    for (w, h) in page_sizes(&info) {
        assert!((w - 595.28).abs() < 0.05, "width {w}");
        assert!((h - 841.89).abs() < 0.05, "height {h}");
    }
}

#[test]
fn roll_pages_are_80mm_wide_and_fit_their_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let short = {
        let mut t = sample_ticket();
        t.lines.truncate(1);
        t.notice = None;
        t.footer = None;
        t
    };
    let long = {
        let mut t = sample_ticket();
        t.footer = Some("Дрібний шрифт / small print. ".repeat(30));
        t
    };
    let pdf = ticket_pdf(&[short, sample_ticket(), long], Paper::Roll80mm).expect("render");
    let info = pdf_info(&write_pdf(dir.path(), "roll.pdf", &pdf));
    let sizes = page_sizes(&info);
    for &(w, _) in &sizes {
        assert!((w - 226.77).abs() < 0.05, "width {w}");
    }
    let heights: Vec<f64> = sizes.iter().map(|&(_, h)| h).collect();
    assert!(
        heights[0] < heights[1] && heights[1] < heights[2],
        "{heights:?}"
    );
    // Header + 50 mm QR + number at least; far less than an A4 page.
    assert!(heights[0] > 200.0 && heights[1] < 841.0, "{heights:?}");
}

#[test]
fn fonts_are_embedded_subsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(&[sample_ticket()], Paper::A4).expect("render");
    let path = write_pdf(dir.path(), "fonts.pdf", &pdf);
    let out = poppler("pdffonts", &[path.as_os_str()]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{listing}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cols[0].ends_with("+DejaVuSans") || cols[0].ends_with("+DejaVuSans-Bold"),
            "{row}"
        );
        assert_eq!(cols[0].find('+'), Some(6), "six-letter subset tag: {row}");
        // name type encoding emb sub uni object ID
        assert_eq!(
            &cols[cols.len() - 5..cols.len() - 2],
            ["yes", "yes", "yes"],
            "{row}"
        );
    }
}

#[test]
fn one_ticket_pdfs_stay_small() {
    for (paper, budget) in [(Paper::A4, 40_000), (Paper::Roll80mm, 40_000)] {
        let pdf = ticket_pdf(&[sample_ticket()], paper).expect("render");
        eprintln!("{paper:?}: one ticket = {} bytes", pdf.len());
        assert!(pdf.len() < budget, "{paper:?}: {} bytes", pdf.len());
    }
    let ten: Vec<_> = (0..10).map(|i| ticket(code(207, i), "1")).collect();
    let one = ticket_pdf(&ten[..1], Paper::A4).expect("render").len();
    let all = ticket_pdf(&ten, Paper::A4).expect("render").len();
    eprintln!("A4: ten tickets = {all} bytes");
    assert!(
        all < one + 9 * 6_000,
        "fonts are shared between pages: {one} vs {all}"
    );
}
