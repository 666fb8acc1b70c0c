//! Public API behaviour that needs no external tool.

use aspk_render::{qr_matrix, ticket_pdf, Paper, QrLevel, RenderError};

use crate::support::{code, long_ticket, sample_ticket};

#[test]
fn output_is_deterministic() {
    for paper in [Paper::A4, Paper::Roll80mm] {
        let a = ticket_pdf(&[sample_ticket(), sample_ticket()], paper).expect("render");
        let b = ticket_pdf(&[sample_ticket(), sample_ticket()], paper).expect("render");
        assert!(a == b, "{paper:?}: two renders differ");
        assert!(a.starts_with(b"%PDF-1."));
        assert!(!a.windows(12).any(|w| w == b"CreationDate"));
    }
}

#[test]
fn empty_slice_is_an_error() {
    assert_eq!(ticket_pdf(&[], Paper::A4), Err(RenderError::NoTickets));
}

#[test]
fn bad_codes_are_rejected() {
    for bad in ["", "12 34", "12-34", "٣٤٥"] {
        let mut t = sample_ticket();
        t.code = bad.to_owned();
        let err = ticket_pdf(&[t], Paper::A4).expect_err(bad);
        assert!(
            matches!(err, RenderError::InvalidCode { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let mut t = sample_ticket();
    t.code = code(5000, 1);
    let err = ticket_pdf(&[t], Paper::Roll80mm).expect_err("too long");
    assert!(
        matches!(
            err,
            RenderError::CodeTooLong {
                len: 5000,
                level: "Q"
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a4_overflow_is_an_error_but_roll_grows() {
    let mut t = sample_ticket();
    t.lines = (0..80)
        .map(|i| (format!("Рядок {i}"), "значення / value".to_owned()))
        .collect();
    let err = ticket_pdf(std::slice::from_ref(&t), Paper::A4).expect_err("too tall for A4");
    assert!(
        matches!(err, RenderError::PageOverflow { index: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not fit"));
    assert!(ticket_pdf(std::slice::from_ref(&t), Paper::Roll80mm).is_ok());
    // ...up to the 200-inch limit of a PDF page.
    t.footer = Some("дуже довгий текст / very long text ".repeat(3000));
    let err = ticket_pdf(&[t], Paper::Roll80mm).expect_err("over 200 in");
    assert!(
        matches!(err, RenderError::PageOverflow { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn long_a4_ticket_still_fits_one_page() {
    // Too tall in the regular style: laid out again in the compact one.
    let pdf = ticket_pdf(&[long_ticket()], Paper::A4).expect("compact fallback fits");
    assert!(pdf.len() < 50_000);
}

#[test]
fn minimal_ticket_renders() {
    let t = aspk_render::TicketDoc {
        code: "0".into(),
        ..Default::default()
    };
    for paper in [Paper::A4, Paper::Roll80mm] {
        assert!(ticket_pdf(std::slice::from_ref(&t), paper).is_ok());
    }
}

#[test]
fn qr_matrix_api() {
    let m = qr_matrix(&code(207, 9), QrLevel::Q).expect("encode");
    assert!(m.version() <= 7);
    assert_eq!(m.width(), 45);
    assert_eq!(m.width_with_quiet_zone(), 53);
    assert_eq!(m.modules().len(), 45 * 45);
    // Finder pattern corners are dark.
    assert!(m.is_dark(0, 0) && m.is_dark(44, 0) && m.is_dark(0, 44));
    assert!(!m.is_dark(45, 0), "outside the symbol reads light");
}
