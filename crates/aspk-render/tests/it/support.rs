//! Shared fixtures and wrappers around the external tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aspk_render::TicketDoc;

/// A digits-only code of `len` digits that starts with zeros (numeric mode
/// must keep them) and does not repeat with a short period.
pub fn code(len: usize, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut s = String::from("00");
    while s.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push(char::from(b'0' + ((x >> 33) % 10) as u8));
    }
    s.truncate(len);
    s
}

pub const VENUE: &str = "Демо-музей / Demo museum";
pub const TITLE: &str = "Квиток / Ticket";
pub const NOTICE: &str =
    "Пред'явіть документ, що дає право на пільгу / Show the document for the reduced price";
pub const FOOTER: &str = "Квиток дійсний для одного відвідування у вказаний час. Повернення — за правилами музею; ґрунтовні відповіді на з’їзді в «Їжі» є. / Valid for one visit at the time shown.";

/// Label → value rows covering і, ї, є, ґ, ’, №, –.
pub fn lines() -> Vec<(String, String)> {
    [
        ("Категорія / Category", "Дорослий / Adult"),
        ("Час / Time", "27.11.2026 10:00–11:00"),
        ("Ціна / Price", "250,00 грн"),
        ("Замовлення / Order", "№ 1234 5678 9012"),
        ("Зал / Hall", "Ґалерея їжі та з’їздів, є ґанок"),
    ]
    .into_iter()
    .map(|(l, v)| (l.to_owned(), v.to_owned()))
    .collect()
}

pub fn ticket(code: String, number: &str) -> TicketDoc {
    TicketDoc {
        code,
        number: number.to_owned(),
        title: TITLE.to_owned(),
        venue: VENUE.to_owned(),
        lines: lines(),
        notice: Some(NOTICE.to_owned()),
        footer: Some(FOOTER.to_owned()),
        void_mark: None,
    }
}

pub fn sample_ticket() -> TicketDoc {
    ticket(code(207, 1), "4821 0937 5526")
}

/// A ticket whose venue, title and rows need several lines each, plus a
/// word longer than any column.
pub fn long_ticket() -> TicketDoc {
    let mut t = sample_ticket();
    t.venue = "Національний музей історії українського ґрунтознавства імені В. В. Докучаєва / National Museum of Ukrainian Soil Science".into();
    t.title = "Квиток на тимчасову виставку з екскурсією / Temporary exhibition ticket with a guided tour".into();
    t.lines.push((
        "Екскурсія з гідом українською мовою / Guided tour in Ukrainian".into(),
        "Так, збір біля головного входу за 10 хвилин до початку / Yes, meet at the main entrance 10 minutes before".into(),
    ));
    t.lines
        .push(("Примітка / Note".into(), "Довгийрядокбезпробілів".repeat(4)));
    t
}

/// Runs a poppler tool; a missing binary fails the test with the install hint.
pub fn poppler(tool: &str, args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            panic!("`{tool}` not found: these tests need poppler-utils (apt-get install poppler-utils)");
        }
        panic!("running {tool}: {e}");
    });
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes `pdf` into `dir` and returns its path.
pub fn write_pdf(dir: &Path, name: &str, pdf: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pdf).expect("write pdf");
    path
}

/// Renders page `page` (1-based) of `pdf` to a PNG at `dpi` with pdftoppm.
pub fn render_png(pdf: &Path, page: usize, dpi: u32) -> PathBuf {
    let stem = pdf.with_extension("");
    let page_s = page.to_string();
    let dpi_s = dpi.to_string();
    poppler(
        "pdftoppm",
        &[
            "-r".as_ref(),
            dpi_s.as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            "-f".as_ref(),
            page_s.as_ref(),
            "-l".as_ref(),
            page_s.as_ref(),
            pdf.as_os_str(),
            stem.as_os_str(),
        ],
    );
    stem.with_extension("png")
}

/// Text of the whole document via pdftotext (UTF-8, content-stream order).
pub fn pdf_text(pdf: &Path) -> String {
    let out = poppler(
        "pdftotext",
        &[
            "-enc".as_ref(),
            "UTF-8".as_ref(),
            "-raw".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    );
    String::from_utf8(out.stdout).expect("pdftotext output is UTF-8")
}

/// `pdfinfo` output for all pages (`Page N size:` lines included).
pub fn pdf_info(pdf: &Path) -> String {
    let out = poppler(
        "pdfinfo",
        &[
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "9999".as_ref(),
            pdf.as_os_str(),
        ],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Collapses every whitespace run to one space.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where sample renderings for humans go: `<target>/render-samples/`.
pub fn samples_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("render-samples");
    std::fs::create_dir_all(&dir).expect("create render-samples dir");
    dir
}

/// Every QR symbol in a greyscale image, read by rqrr (an independent decoder): its version
/// and text, or why it could not be read.
pub fn qr_symbols(img: &image::GrayImage) -> Vec<Result<(usize, String), rqrr::DeQRError>> {
    let (w, h) = img.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            img.get_pixel(x as u32, y as u32).0[0]
        });
    prepared
        .detect_grids()
        .into_iter()
        .map(|grid| grid.decode().map(|(meta, text)| (meta.version.0, text)))
        .collect()
}
