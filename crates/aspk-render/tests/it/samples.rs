//! Saves PNGs to `target/render-samples/` for people to look at: one typical
//! ticket per paper, and one with long texts that must wrap.

use aspk_render::{ticket_pdf, Paper};

use crate::support::{long_ticket, render_png, sample_ticket, samples_dir, write_pdf};

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
        let pdf = ticket_pdf(&[doc], paper).expect("render");
        let path = write_pdf(&dir, &format!("{name}.pdf"), &pdf);
        let png = render_png(&path, 1, 150);
        assert!(png.exists());
        eprintln!("sample: {} ({} bytes of PDF)", png.display(), pdf.len());
    }
}
