//! Saves PNGs to `target/render-samples/` for people to look at: one typical
//! ticket per paper, and one with long texts that must wrap. Each rendering is also
//! checked: the page has the paper's size, carries ink without being a blot, and its QR
//! code reads back as the ticket's code.

use aspk_render::{ticket_pdf, Paper};
use image::GrayImage;

use crate::support::{long_ticket, qr_symbols, render_png, sample_ticket, samples_dir, write_pdf};

const DPI: u32 = 150;

/// Page width in pixels at `DPI` for each paper (A4 is 210 mm, the roll 80 mm).
fn expected_width(paper: Paper) -> u32 {
    let mm = match paper {
        Paper::A4 => 210.0,
        Paper::Roll80mm => 80.0,
    };
    (mm / 25.4 * f64::from(DPI)).round() as u32
}

/// The share of pixels darker than mid-grey.
fn ink(img: &GrayImage) -> f64 {
    let dark = img.pixels().filter(|p| p.0[0] < 128).count();
    dark as f64 / f64::from(img.width() * img.height())
}

fn qr_texts(img: &GrayImage) -> Vec<String> {
    qr_symbols(img)
        .into_iter()
        .filter_map(|symbol| symbol.ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn save_sample_renderings() {
    let dir = samples_dir();
    let cases = [
        (Paper::A4, "ticket-a4", sample_ticket()),
        (Paper::Roll80mm, "ticket-roll80mm", sample_ticket()),
        (Paper::A4, "ticket-a4-long", long_ticket()),
        (Paper::Roll80mm, "ticket-roll80mm-long", long_ticket()),
    ];
    for (paper, name, doc) in cases {
        let pdf = ticket_pdf(std::slice::from_ref(&doc), paper).expect("render");
        let path = write_pdf(&dir, &format!("{name}.pdf"), &pdf);
        let png = render_png(&path, 1, DPI);
        let img = image::open(&png).expect("a PNG").to_luma8();
        let want = expected_width(paper);
        assert!(
            img.width().abs_diff(want) <= 2,
            "{name}: {} px wide, the paper is {want}",
            img.width()
        );
        assert!(
            img.height() > img.width() / 2,
            "{name}: a page, not a strip"
        );
        let share = ink(&img);
        assert!(
            (0.01..0.5).contains(&share),
            "{name}: {:.1} % of the page is ink",
            share * 100.0
        );
        assert_eq!(
            qr_texts(&img),
            vec![doc.code.clone()],
            "{name}: its QR code"
        );
        eprintln!("sample: {} ({} bytes of PDF)", png.display(), pdf.len());
    }
}
