//! PDF → PNG (pdftoppm, 200 dpi) → QR decoded by independent readers.

use std::path::Path;
use std::process::Command;

use aspk_render::{qr_matrix, ticket_pdf, Paper, QrLevel, TicketDoc};

use crate::support::{code, qr_symbols, render_png, ticket, write_pdf};

/// Decodes every QR symbol in a PNG with rqrr; returns (version, text) pairs.
fn rqrr_decode(png: &Path) -> Vec<(usize, String)> {
    let img = image::open(png).expect("open png").to_luma8();
    qr_symbols(&img)
        .into_iter()
        .map(|symbol| symbol.expect("rqrr decodes the symbol"))
        .collect()
}

/// Decodes with zbarimg if installed; `None` (with a note) when it is absent.
fn zbar_decode(png: &Path) -> Option<String> {
    match Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(png)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "zbarimg found no code in {}: {}",
                png.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).expect("zbarimg output is UTF-8"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            aspk_testkit::skip(
                "zbar cross-check of printed QR codes",
                "zbarimg is not installed",
                "apt-get install -y zbar-tools",
            );
            None
        }
        Err(e) => panic!("running zbarimg: {e}"),
    }
}

fn check_roundtrip(paper: Paper, doc: &TicketDoc, name: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(std::slice::from_ref(doc), paper).expect("render");
    let path = write_pdf(dir.path(), name, &pdf);
    let png = render_png(&path, 1, 200);

    let expected_version = usize::from(
        qr_matrix(&doc.code, paper.default_qr_level())
            .expect("encode")
            .version(),
    );
    let decoded = rqrr_decode(&png);
    assert_eq!(
        decoded.len(),
        1,
        "{name}: expected exactly one QR, got {decoded:?}"
    );
    let (version, text) = &decoded[0];
    assert_eq!(text, &doc.code, "{name}: rqrr text");
    assert_eq!(*version, expected_version, "{name}: version");

    if let Some(zbar) = zbar_decode(&png) {
        assert_eq!(
            zbar.trim_end_matches('\n'),
            doc.code,
            "{name}: zbarimg text"
        );
    }
}

#[test]
fn qr_round_trips_on_both_papers_for_several_lengths() {
    for paper in [Paper::A4, Paper::Roll80mm] {
        for (len, seed) in [(120, 11), (200, 22), (207, 33)] {
            let doc = ticket(code(len, seed), "4821 0937 5526");
            check_roundtrip(paper, &doc, &format!("{paper:?}-{len}.pdf"));
        }
    }
}

#[test]
fn qr_round_trips_for_all_zeros_and_all_nines() {
    for digits in ["0".repeat(207), "9".repeat(207)] {
        check_roundtrip(
            Paper::Roll80mm,
            &ticket(digits, "0000 0000 0000"),
            "edge.pdf",
        );
    }
}

#[test]
fn roll_qr_of_207_digits_is_version_7_q_and_a4_is_6_m() {
    let c = code(207, 44);
    assert_eq!(Paper::Roll80mm.default_qr_level(), QrLevel::Q);
    assert_eq!(Paper::A4.default_qr_level(), QrLevel::M);
    assert!(qr_matrix(&c, QrLevel::Q).expect("encode").version() <= 7);
    assert_eq!(qr_matrix(&c, QrLevel::M).expect("encode").version(), 6);
}

/// The matrix itself, drawn straight into a bitmap (no PDF involved), decodes.
#[test]
fn qr_matrix_decodes_without_pdf() {
    let c = code(207, 55);
    let m = qr_matrix(&c, QrLevel::Q).expect("encode");
    let scale = 6;
    let side = m.width_with_quiet_zone() * scale;
    let q = aspk_render::QUIET_ZONE;
    let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        mx >= q && my >= q && m.is_dark(mx - q, my - q)
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, text) = grids[0].decode().expect("decode");
    assert_eq!(text, c);
    assert_eq!(meta.version.0, usize::from(m.version()));
}

/// A pairing link's QR (the SVG drawn from the same matrix) reads back exactly.
#[test]
fn a_link_qr_decodes_back_with_rqrr() {
    let link = "http://192.168.1.10:8080/scan#pair=7730118842";
    let matrix = aspk_render::text_qr_matrix(link).expect("encode");
    let svg = aspk_render::qr_svg(&matrix, 240);
    assert!(svg.starts_with("<svg") && svg.contains("<path"));
    let scale = 6;
    let side = matrix.width_with_quiet_zone() * scale;
    let q = aspk_render::QUIET_ZONE;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= q && my >= q && matrix.is_dark(mx - q, my - q);
        if dark {
            0
        } else {
            255
        }
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().expect("decode");
    assert_eq!(text, link);
}
