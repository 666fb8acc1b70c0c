//! The text in the PDF is real text: pdftotext gives back the Ukrainian strings.

use aspk_render::{ticket_pdf, Paper};

use crate::support::{
    lines, pdf_text, sample_ticket, squash, write_pdf, FOOTER, NOTICE, TITLE, VENUE,
};

fn extracted(paper: Paper) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(&[sample_ticket()], paper).expect("render");
    squash(&pdf_text(&write_pdf(dir.path(), "t.pdf", &pdf)))
}

fn assert_all_strings(paper: Paper) {
    let text = extracted(paper);
    let mut expected = vec![VENUE, TITLE, "4821 0937 5526", NOTICE, FOOTER];
    let lines = lines();
    for (l, v) in &lines {
        expected.push(l);
        expected.push(v);
    }
    for s in expected {
        assert!(
            text.contains(&squash(s)),
            "{paper:?}: {s:?} not in extracted text:\n{text}"
        );
    }
    for c in ['і', 'ї', 'є', 'ґ', 'Ґ', '’', '№', '–', '—', '«'] {
        assert!(text.contains(c), "{paper:?}: {c:?} missing");
    }
    assert!(
        !text.contains('\u{FFFD}'),
        "{paper:?}: replacement char in output"
    );
}

#[test]
fn a4_text_is_extractable_exactly() {
    assert_all_strings(Paper::A4);
}

#[test]
fn roll_text_is_extractable_exactly() {
    assert_all_strings(Paper::Roll80mm);
}

#[test]
fn the_code_digits_are_not_printed_as_text() {
    let doc = sample_ticket();
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(std::slice::from_ref(&doc), Paper::A4).expect("render");
    let text = pdf_text(&write_pdf(dir.path(), "t.pdf", &pdf));
    assert!(!text.contains(&doc.code[..40]));
}

#[test]
fn missing_glyphs_become_replacement_chars() {
    let mut doc = sample_ticket();
    doc.title = "Квиток \u{1F3AB} / Ticket".into(); // 🎫 is not in DejaVu Sans
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = ticket_pdf(&[doc], Paper::A4).expect("render");
    let text = pdf_text(&write_pdf(dir.path(), "t.pdf", &pdf));
    assert!(text.contains("Квиток \u{FFFD} / Ticket"), "{text}");
}

/// A cancelled ticket carries its mark in large type; a valid one does not.
#[test]
fn a_void_ticket_is_marked_cancelled_and_a_valid_one_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mark = "СКАСОВАНО / CANCELLED";
    for paper in [Paper::A4, Paper::Roll80mm] {
        let mut void = sample_ticket();
        void.void_mark = Some(mark.into());
        let pdf = ticket_pdf(&[void], paper).expect("render");
        let text = pdf_text(&write_pdf(dir.path(), "void.pdf", &pdf));
        for part in ["СКАСОВАНО", "CANCELLED"] {
            assert!(text.contains(part), "{paper:?}: {part} missing in\n{text}");
        }
        let valid = extracted(paper);
        assert!(
            !valid.contains("СКАСОВАНО") && !valid.contains("CANCELLED"),
            "{paper:?}: a valid ticket is marked: {valid}"
        );
    }
}
