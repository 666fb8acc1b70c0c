//! ESC/POS output: the library's strict parser (`aspk_render::escpos::parse`)
//! walks every command of the byte stream written here; raster text is
//! rendered to PNGs for people and checked for ink; CP1125 is cross-checked
//! against Python's codec. (The sender is aspk-app's:
//! `crates/aspk-app/tests/it/printer.rs`.)

use std::process::Command;

use aspk_render::escpos::{
    self, cp1125_encode, ticket_escpos, Command as Cmd, EscPosOptions, TextMode,
};
use aspk_render::{qr_matrix, QrLevel, RenderError, TicketDoc, QUIET_ZONE};
use image::{GrayImage, Luma};

use crate::support::{code, long_ticket, sample_ticket, samples_dir, ticket};

// ---------------------------------------------------------------- parser

/// The library's strict parser; a stream it refuses fails the test.
pub(crate) fn parse(bytes: &[u8]) -> Vec<Cmd> {
    escpos::parse(bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// Splits a job into tickets at each `ESC @`.
pub(crate) fn tickets_of(cmds: &[Cmd]) -> Vec<&[Cmd]> {
    assert_eq!(cmds.first(), Some(&Cmd::Init), "job must start with ESC @");
    escpos::split_tickets(cmds)
}

/// The QR commands of a ticket as (function, params); only QR symbols allowed.
fn qr_functions(ticket: &[Cmd]) -> Vec<(u8, Vec<u8>)> {
    for c in ticket {
        if let Cmd::Symbol { cn, .. } = c {
            assert_eq!(*cn, 49, "2D symbol other than QR: cn {cn}");
        }
    }
    escpos::qr_functions(ticket)
        .into_iter()
        .map(|(f, p)| (f, p.to_vec()))
        .collect()
}

/// Checks everything common to both text modes; returns the QR module size.
pub(crate) fn check_ticket(t: &[Cmd], doc: &TicketDoc, cut: bool) -> u8 {
    assert_eq!(t[0], Cmd::Init);
    let qr = qr_functions(t);
    let names: Vec<u8> = qr.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, b"ACEPQ", "model, size, ECC, store, print, once each");
    assert_eq!(qr[0].1, [50, 0], "model 2");
    let module = qr[1].1[0];
    assert_eq!(qr[1].1.len(), 1);
    assert!((1..=16).contains(&module), "module {module}");
    assert_eq!(
        qr[2].1,
        [50],
        "ECC level Q: fn 169 n = 50 (48 L, 49 M, 50 Q, 51 H)"
    );
    let store = &qr[3].1;
    assert_eq!(store[0], 48, "fn 180 m = 48");
    assert_eq!(
        &store[1..],
        doc.code.as_bytes(),
        "QR data is exactly the code"
    );
    assert_eq!(qr[4].1, [48], "fn 181 m = 48");

    // Centred while printing the symbol, with a quiet-zone feed on both sides.
    let p = t
        .iter()
        .position(|c| matches!(c, Cmd::Symbol { function: b'A', .. }))
        .expect("QR");
    assert_eq!(t[p - 1], Cmd::Justify(1));
    let quiet = QUIET_ZONE as u8 * module;
    assert_eq!(t[p - 2], Cmd::FeedDots(quiet));
    assert_eq!(t[p + 5], Cmd::Justify(0));
    assert_eq!(t[p + 6], Cmd::FeedDots(quiet));

    let last = t.last().expect("non-empty");
    if cut {
        assert_eq!(
            last,
            &Cmd::Cut { m: 66, n: Some(0) },
            "GS V 66 0 ends the ticket"
        );
    } else {
        assert_eq!(last, &Cmd::FeedLines(6));
    }
    let cuts = t.iter().filter(|c| matches!(c, Cmd::Cut { .. })).count();
    assert_eq!(cuts, usize::from(cut));
    module
}

/// Raster commands of a ticket must be consistent; returns them.
pub(crate) fn check_rasters(t: &[Cmd], width_bytes: usize) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    for c in t {
        if let Cmd::Raster {
            mode,
            width_bytes: w,
            rows,
            data,
        } = c
        {
            assert_eq!(*mode, 0, "normal size");
            assert_eq!(*w, width_bytes, "raster width = dots_per_line / 8");
            assert!((1..=255).contains(rows), "band of {rows} rows");
            assert_eq!(data.len(), w * rows);
            assert!(data.iter().any(|&b| b != 0), "raster band without ink");
            out.push((*rows, data.as_slice()));
        }
    }
    out
}

fn tickets3() -> Vec<TicketDoc> {
    vec![
        sample_ticket(),
        ticket(code(40, 2), "0000 0000 0042"),
        long_ticket(),
    ]
}

// ---------------------------------------------------------------- raster

#[test]
fn raster_job_structure() {
    let docs = tickets3();
    let opts = EscPosOptions::default();
    assert_eq!(opts.text, TextMode::Raster);
    assert_eq!((opts.dots_per_line, opts.cut), (576, true));
    let bytes = ticket_escpos(&docs, &opts).expect("render");
    assert!(bytes.starts_with(&[0x1B, 0x40]));
    let cmds = parse(&bytes);
    let tickets = tickets_of(&cmds);
    assert_eq!(tickets.len(), docs.len());
    for (t, doc) in tickets.iter().zip(&docs) {
        check_ticket(t, doc, true);
        let bands = check_rasters(t, 72);
        assert!(bands.len() >= 2, "header and body images");
        assert!(
            !t.iter()
                .any(|c| matches!(c, Cmd::Text(_) | Cmd::CodeTable(_) | Cmd::Lf)),
            "raster mode sends no text"
        );
    }
    // The QR of a 207-digit code is version 7 (45 modules) → 8 dots.
    assert_eq!(check_ticket(tickets[0], &docs[0], true), 8);

    let again = ticket_escpos(&docs, &opts).expect("render");
    assert!(again == bytes, "same input, same bytes");
}

#[test]
fn raster_options() {
    let doc = sample_ticket();
    let narrow = EscPosOptions {
        dots_per_line: 384,
        cut: false,
        ..EscPosOptions::default()
    };
    let bytes = ticket_escpos(std::slice::from_ref(&doc), &narrow).expect("58 mm");
    let cmds = parse(&bytes);
    let t = tickets_of(&cmds);
    assert_eq!(t.len(), 1);
    check_ticket(t[0], &doc, false);
    check_rasters(t[0], 48);

    // Not a multiple of 8: rounded down.
    let odd = EscPosOptions {
        dots_per_line: 580,
        ..EscPosOptions::default()
    };
    let cmds = parse(&ticket_escpos(std::slice::from_ref(&doc), &odd).expect("580"));
    check_rasters(tickets_of(&cmds)[0], 72);

    for dots in [0, 100, 191, 4096] {
        let o = EscPosOptions {
            dots_per_line: dots,
            ..EscPosOptions::default()
        };
        assert!(
            ticket_escpos(std::slice::from_ref(&doc), &o).is_err(),
            "{dots}"
        );
    }
    // A ticket with nothing but a code still prints its QR and cuts, in both modes.
    let bare = TicketDoc {
        code: "0".into(),
        ..TicketDoc::default()
    };
    for text in [TextMode::Raster, TextMode::CodePage1125] {
        let o = EscPosOptions {
            text,
            ..EscPosOptions::default()
        };
        let cmds = parse(&ticket_escpos(std::slice::from_ref(&bare), &o).expect("bare"));
        let t = tickets_of(&cmds);
        check_ticket(t[0], &bare, true);
        if text == TextMode::CodePage1125 {
            assert_eq!(t[0][1], Cmd::CodeTable(17), "default ESC t 17");
        }
    }
    assert_eq!(
        ticket_escpos(&[], &EscPosOptions::default()),
        Err(RenderError::NoTickets)
    );
    let mut bad = sample_ticket();
    bad.code = "12 34".into();
    assert!(matches!(
        ticket_escpos(&[bad], &EscPosOptions::default()),
        Err(RenderError::InvalidCode { .. })
    ));
    let mut long = sample_ticket();
    long.code = code(5000, 3);
    assert!(matches!(
        ticket_escpos(&[long], &EscPosOptions::default()),
        Err(RenderError::CodeTooLong { .. })
    ));
}

/// Simulates the printout of one ticket: raster rows as printed, `ESC J n` as
/// `n` white rows, and the QR as the printer would draw it from our own encoder
/// (the printer may choose another version; this is for looking at).
pub(crate) fn simulate(t: &[Cmd], doc: &TicketDoc, width: u32) -> (GrayImage, Vec<Vec<bool>>) {
    let mut rows: Vec<Vec<bool>> = Vec::new();
    let white = vec![false; width as usize];
    let mut module = 1;
    for c in t {
        match c {
            Cmd::Raster {
                width_bytes, data, ..
            } => {
                for row in data.chunks(*width_bytes) {
                    rows.push(
                        (0..width as usize)
                            .map(|x| row[x / 8] & (0x80 >> (x % 8)) != 0)
                            .collect(),
                    );
                }
            }
            Cmd::FeedDots(n) => rows.extend(std::iter::repeat_n(white.clone(), usize::from(*n))),
            Cmd::Symbol {
                function: b'C',
                params,
                ..
            } => module = usize::from(params[0]),
            Cmd::Symbol { function: b'Q', .. } => {
                let m = qr_matrix(&doc.code, QrLevel::Q).expect("qr");
                let side = m.width() * module;
                let left = (width as usize - side) / 2;
                for y in 0..side {
                    let mut row = white.clone();
                    for (x, dot) in row.iter_mut().enumerate().skip(left).take(side) {
                        *dot = m.is_dark((x - left) / module, y / module);
                    }
                    rows.push(row);
                }
            }
            _ => {}
        }
    }
    let mut img = GrayImage::from_pixel(width, rows.len() as u32, Luma([255]));
    for (y, row) in rows.iter().enumerate() {
        for (x, &dot) in row.iter().enumerate() {
            if dot {
                img.put_pixel(x as u32, y as u32, Luma([0]));
            }
        }
    }
    (img, rows)
}

/// Row ranges with ink, separated by blank rows.
pub(crate) fn ink_bands(rows: &[Vec<bool>]) -> Vec<(usize, usize)> {
    let mut bands = Vec::new();
    let mut start = None;
    for (y, row) in rows.iter().enumerate() {
        match (row.iter().any(|&d| d), start) {
            (true, None) => start = Some(y),
            (false, Some(s)) => {
                bands.push((s, y));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        bands.push((s, rows.len()));
    }
    bands
}

#[test]
fn raster_text_is_legible_and_has_sane_ink() {
    let dir = samples_dir();
    for (name, doc) in [
        ("escpos-ticket", sample_ticket()),
        ("escpos-long", long_ticket()),
    ] {
        let bytes =
            ticket_escpos(std::slice::from_ref(&doc), &EscPosOptions::default()).expect("render");
        let cmds = parse(&bytes);
        let t = tickets_of(&cmds)[0];
        let (img, rows) = simulate(t, &doc, 576);
        let path = dir.join(format!("{name}.png"));
        img.save(&path).expect("save png");
        eprintln!(
            "sample: {} ({} bytes of ESC/POS)",
            path.display(),
            bytes.len()
        );

        // The simulated QR must scan (checks module size and quiet zones).
        let (w, h) = img.dimensions();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                img.get_pixel(x as u32, y as u32)[0]
            });
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "{name}: one QR");
        let (_, text) = grids[0].decode().expect("decode");
        assert_eq!(text, doc.code);

        if name == "escpos-ticket" {
            // Venue (bold, one line), title (one line), then the head rule.
            let bands = ink_bands(&rows);
            let (v0, v1) = bands[0];
            let (t0, t1) = bands[1];
            let (r0, r1) = bands[2];
            assert!((20..=40).contains(&(v1 - v0)), "venue band {v0}..{v1}");
            assert!((15..=35).contains(&(t1 - t0)), "title band {t0}..{t1}");
            assert_eq!(r1 - r0, 3, "head rule is 3 dots");
            assert!(rows[r0][8..568].iter().all(|&d| d), "rule spans the line");
            let ink = |a: usize, b: usize| -> (usize, usize, usize) {
                let mut n = 0;
                let (mut x0, mut x1) = (usize::MAX, 0);
                for row in &rows[a..b] {
                    for (x, &d) in row.iter().enumerate() {
                        if d {
                            n += 1;
                            x0 = x0.min(x);
                            x1 = x1.max(x + 1);
                        }
                    }
                }
                (n, x0, x1)
            };
            let (n, x0, x1) = ink(t0, t1);
            let density = n as f64 / ((x1 - x0) * (t1 - t0)) as f64;
            eprintln!("title band: rows {t0}..{t1}, x {x0}..{x1}, ink {density:.3}");
            assert!(
                (0.12..=0.40).contains(&density),
                "title ink density {density}"
            );
            // Centred: equal white either side within a few dots.
            assert!(
                x0.abs_diff(576 - x1) <= 4,
                "title centred: {x0} / {}",
                576 - x1
            );
            let (vn, vx0, vx1) = ink(v0, v1);
            let venue_density = vn as f64 / ((vx1 - vx0) * (v1 - v0)) as f64;
            assert!(
                venue_density > density,
                "bold venue ({venue_density:.3}) darker than regular title ({density:.3})"
            );
        }
    }
}

// ---------------------------------------------------------------- CP1125

fn python_cp1125(args: &[&str], script: &str) -> Option<Vec<u8>> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[test]
fn cp1125_encoding_matches_reference() {
    let text = "Квиток: Ґанок, Їжак, Єнот, Ігор, і ї є ґ";
    let expected: [u8; 40] = [
        138, 162, 168, 226, 174, 170, 58, 32, 242, 160, 173, 174, 170, 44, 32, 248, 166, 160, 170,
        44, 32, 244, 173, 174, 226, 44, 32, 246, 163, 174, 224, 44, 32, 247, 32, 249, 32, 245, 32,
        243,
    ];
    let ours = cp1125_encode(text).expect("encodable");
    assert_eq!(ours, expected);

    let encode = "import sys; sys.stdout.buffer.write(sys.argv[1].encode('cp1125'))";
    let table =
        "import sys; sys.stdout.buffer.write(bytes(range(256)).decode('cp1125').encode('utf-8'))";
    match python_cp1125(&[text], encode) {
        Some(py) => {
            assert_eq!(ours, py, "Python's cp1125 codec disagrees");
            // The whole table: Python's decoding of 0x00..=0xFF encodes back
            // to the same bytes with ours.
            let chars = python_cp1125(&[], table).expect("python3 ran before");
            let chars = String::from_utf8(chars).expect("utf-8");
            assert_eq!(chars.chars().count(), 256);
            let all: Vec<u8> = (0..=255).collect();
            assert_eq!(cp1125_encode(&chars).expect("table"), all);
        }
        None => aspk_testkit::skip(
            "cp1125 cross-check with Python",
            "python3 is not installed (checked against the hard-coded bytes only)",
            "apt-get install -y python3",
        ),
    }
}

#[test]
fn cp1125_rejects_unencodable() {
    for (text, bad) in [
        ("Straße", "U+00DF"),
        ("€ 5", "U+20AC"),
        ("10–11", "U+2013"),
        ("з’їзд", "U+2019"),
        ("ok 😀", "U+1F600"),
        ("ў", "U+045E"),
    ] {
        let err = cp1125_encode(text).expect_err(text);
        let msg = err.to_string();
        assert!(msg.contains(bad) && msg.contains("CP1125"), "{text}: {msg}");
    }
    assert_eq!(cp1125_encode("").expect("empty"), b"");
    assert_eq!(cp1125_encode("№ 7").expect("№"), [0xFC, b' ', b'7']);
}

#[test]
fn cp1125_job_structure() {
    let docs = tickets3();
    let opts = EscPosOptions {
        text: TextMode::CodePage1125,
        codepage_number: 44,
        ..EscPosOptions::default()
    };
    let bytes = ticket_escpos(&docs, &opts).expect("typographic quotes and dashes become plain");
    let cmds = parse(&bytes);
    let tickets = tickets_of(&cmds);
    assert_eq!(tickets.len(), 3);
    for (t, doc) in tickets.iter().zip(&docs) {
        check_ticket(t, doc, true);
        assert_eq!(t[1], Cmd::CodeTable(44), "ESC t n right after ESC @");
        assert!(!t.iter().any(|c| matches!(c, Cmd::Raster { .. })));
        // Text, and every line within the columns of its font and size:
        // font A 576 / 12 = 48, font B 576 / 9 = 64, double width 24.
        let mut text = Vec::new();
        let (mut font_b, mut double, mut line) = (false, false, 0);
        for c in t.iter() {
            match c {
                Cmd::Font(n) => font_b = *n == 1,
                Cmd::Size(n) => double = n & 0xF0 != 0,
                Cmd::Text(b) => {
                    text.extend_from_slice(b);
                    line += b.len();
                    let cols = match (font_b, double) {
                        (true, _) => 64,
                        (false, true) => 24,
                        (false, false) => 48,
                    };
                    assert!(line <= cols, "{line} > {cols} columns");
                }
                Cmd::Lf => {
                    text.push(b'\n');
                    line = 0;
                }
                _ => {}
            }
        }
        let has = |s: &str| {
            let needle = cp1125_encode(s).expect("encodable");
            text.windows(needle.len()).any(|w| w == needle)
        };
        assert!(has(&doc.number), "number");
        assert!(has("Категорія / Category") && has("Дорослий / Adult"));
        assert!(has("Ґалерея їжі та з'їздів, є ґанок"), "’ printed as '");
        assert!(has("10:00-11:00"), "– printed as -");
    }
    let first = tickets[0];
    assert!(
        first
            .windows(3)
            .any(|w| w == [Cmd::Bold(1), Cmd::Size(0x11), w[2].clone()]
                && matches!(&w[2], Cmd::Text(b) if *b == docs[0].number.as_bytes())),
        "number bold, double width and height"
    );

    let mut bad = sample_ticket();
    bad.lines[1].1 = "Straße".into();
    let err = ticket_escpos(&[bad], &opts).expect_err("ß");
    let msg = err.to_string();
    assert!(
        msg.contains("line 1 value") && msg.contains("U+00DF"),
        "{msg}"
    );
}
