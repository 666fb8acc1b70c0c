//! The ticket PDF, end to end: API → PDF → PNG (pdftoppm) → an independent QR decoder.

use std::process::Command;

use crate::kit::{tool, TestApp};

fn decode_qr(png: &std::path::Path) -> Vec<String> {
    let image = image::open(png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ticket_pdfs_carry_a_qr_that_decodes_to_the_exact_code() {
    let pdftoppm = tool("pdftoppm", "poppler-utils");
    let pdftotext = tool("pdftotext", "poppler-utils");
    let app = TestApp::spawn(crate::kit::Backend::Sqlite).await;
    let admin = app.admin().await;
    let slot = app.open_slot(&admin, 10).await;
    let (_, order) = app.sell(&admin, "reduced", &slot, 1).await;
    let ticket = &order["tickets"][0];
    let (number, code) = (
        ticket["number"].as_str().unwrap(),
        ticket["code"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    for paper in ["a4", "80mm"] {
        let response = app
            .client
            .get(format!(
                "{}/api/v1/tickets/{number}/pdf?paper={paper}",
                app.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let pdf = dir.path().join(format!("{paper}.pdf"));
        std::fs::write(&pdf, response.bytes().await.unwrap()).unwrap();
        let prefix = dir.path().join(paper);
        let ok = Command::new(&pdftoppm)
            .args(["-r", "200", "-png", "-singlefile"])
            .arg(&pdf)
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(ok.success());
        assert_eq!(
            decode_qr(&prefix.with_extension("png")),
            vec![code.to_owned()],
            "{paper}: the QR decodes to exactly the code"
        );
        let text = Command::new(&pdftotext)
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        for expected in [
            "Квиток / Ticket",
            "Демонстраційний музей",
            "Пільговий",
            "125,00",
            "Пред’явіть при вході",
            ticket["number_display"].as_str().unwrap(),
        ] {
            assert!(
                text.contains(expected),
                "{paper}: '{expected}' in the PDF text:\n{text}"
            );
        }
        if let Ok(artefacts) = std::env::var("ASPK_TEST_ARTIFACTS") {
            let _ = std::fs::create_dir_all(&artefacts);
            let _ = std::fs::copy(
                prefix.with_extension("png"),
                format!("{artefacts}/ticket-{paper}.png"),
            );
        }
    }
    let missing = app
        .client
        .get(format!(
            "{}/api/v1/tickets/{}/pdf",
            app.base,
            aspk_ticket::HumanNumber::from_serial(10_000_000_001).digits()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
