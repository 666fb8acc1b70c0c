//! The box-office device's ESC/POS (`web/box/escpos.js`, printed over WebUSB, WebSerial or Web
//! Bluetooth) against this crate: `web/tools/box-escpos.mjs` renders sample tickets with it in
//! headless Chromium, with the same DejaVu fonts; here the bytes must pass the library's strict
//! parser ([`aspk_render::escpos::parse`], the one the server-side tests use) and have the shape
//! of [`ticket_escpos`]'s for the same ticket: `ESC @`, the header raster, the quiet-zone feed,
//! centre, the QR functions (model 2, the module size Rust picks, ECC Q, store **exactly the
//! code's digits**, print), left, the quiet-zone feed, the body raster, the cut. Every raster
//! band is `dots_per_line / 8` bytes wide, at most 255 rows and has ink; the text images are as
//! tall as Rust's within ±15 %, have as many lines of ink and, dot by dot, mostly the same ink.
//! The simulated printouts of both are written to `target/render-samples/escpos-device-*.png`
//! for people to compare.
//!
//! Needs `node`, `web/node_modules` (playwright-core) and Chromium: without them the test fails
//! under CI and is reported as skipped otherwise.

use aspk_render::escpos::{ticket_escpos, Command as Cmd, EscPosOptions};
use aspk_render::TicketDoc;
use serde_json::Value;

use crate::escpos::{check_rasters, check_ticket, ink_bands, parse, simulate, tickets_of};
use crate::support::samples_dir;

const SCRIPT: &str = "web/tools/box-escpos.mjs";
const LEG: &str = "device ESC/POS cross-check (web/box/escpos.js in Chromium against Rust)";

/// Runs the script; none when node, playwright-core or Chromium is missing (the skip is reported).
fn renderings() -> Option<Value> {
    let stdout = aspk_testkit::node_script(LEG, SCRIPT)?;
    let v: Value = serde_json::from_slice(&stdout).expect("the script prints one JSON object");
    if let Some(why) = v["skip"].as_str() {
        aspk_testkit::skip(LEG, why, v["fix"].as_str().unwrap_or("see the script"));
        return None;
    }
    Some(v)
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// The ticket as the script gave it to `ticketEscpos`.
fn doc(v: &Value) -> TicketDoc {
    TicketDoc {
        code: text(&v["code"]),
        number: text(&v["number"]),
        title: text(&v["title"]),
        venue: text(&v["venue"]),
        lines: v["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|row| (text(&row[0]), text(&row[1])))
            .collect(),
        notice: v["notice"].as_str().map(str::to_owned),
        footer: v["footer"].as_str().map(str::to_owned),
        void_mark: None,
    }
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A command's place in the shape of a ticket: runs of raster bands and blank-band feeds are
/// one text image (their band count depends on the image height).
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Image,
    Command(Cmd),
    Qr(u8),
}

fn shape(t: &[Cmd]) -> Vec<Shape> {
    let mut out: Vec<Shape> = Vec::new();
    let p = qr_start(t);
    for (i, c) in t.iter().enumerate() {
        let quiet = i + 2 == p || i == p + 6;
        let s = match c {
            Cmd::Raster { .. } | Cmd::FeedDots(_) if !quiet => Shape::Image,
            Cmd::Symbol { function, .. } => Shape::Qr(*function),
            // The quiet-zone feeds are checked (exactly) by `check_ticket`.
            Cmd::FeedDots(_) => Shape::Command(Cmd::FeedDots(0)),
            other => Shape::Command(other.clone()),
        };
        if !(s == Shape::Image && out.last() == Some(&Shape::Image)) {
            out.push(s);
        }
    }
    out
}

fn qr_start(t: &[Cmd]) -> usize {
    t.iter()
        .position(|c| matches!(c, Cmd::Symbol { function: b'A', .. }))
        .expect("a QR")
}

/// Rows of the header and body images: (raster rows, all rows including blank bands).
fn image_rows(t: &[Cmd]) -> [(usize, usize); 2] {
    let p = qr_start(t);
    let rows = |cmds: &[Cmd]| {
        cmds.iter().fold((0, 0), |(r, all), c| match c {
            Cmd::Raster { rows, .. } => (r + rows, all + rows),
            Cmd::FeedDots(n) => (r, all + usize::from(*n)),
            _ => (r, all),
        })
    };
    [rows(&t[1..p - 2]), rows(&t[p + 7..t.len() - 1])]
}

/// Lines of ink (text lines, rules, the frame's edges) in an image's rows of a printout.
fn ink_lines(rows: &[Vec<bool>]) -> usize {
    ink_bands(rows).len()
}

#[test]
fn device_escpos_has_the_shape_and_layout_of_rust() {
    let Some(v) = renderings() else { return };
    let tickets = v["tickets"].as_array().expect("tickets");
    assert!(tickets.len() >= 3, "too few tickets");
    assert!(
        tickets.iter().any(|t| t["doc"]["notice"].is_string()),
        "one ticket has a document notice"
    );
    eprintln!("Chromium {}", v["chromium"]);
    for entry in tickets {
        let name = text(&entry["name"]);
        let doc = doc(&entry["doc"]);
        let dots =
            u16::try_from(entry["options"]["dots_per_line"].as_u64().expect("dots")).expect("u16");
        let cut = entry["options"]["cut"].as_bool().expect("cut");
        let opts = EscPosOptions {
            dots_per_line: dots,
            cut,
            ..EscPosOptions::default()
        };
        let js_bytes = unhex(&text(&entry["hex"]));
        let rust_bytes = ticket_escpos(std::slice::from_ref(&doc), &opts).expect("Rust renders");

        // The strict parser accepts it: nothing but the subset, nothing cut short.
        let js_cmds = parse(&js_bytes);
        let rust_cmds = parse(&rust_bytes);
        let js = tickets_of(&js_cmds);
        let rust = tickets_of(&rust_cmds);
        assert_eq!(js.len(), 1, "{name}: one ticket");
        let (js, rust) = (js[0], rust[0]);

        // QR functions with exactly the code's digits, quiet zones, centre/left, the cut.
        let module = check_ticket(js, &doc, cut);
        let rust_module = check_ticket(rust, &doc, cut);
        assert_eq!(
            module, rust_module,
            "{name}: the module size Rust's rule picks"
        );
        assert_eq!(shape(js), shape(rust), "{name}: command shape");
        assert!(
            !js.iter()
                .any(|c| matches!(c, Cmd::Text(_) | Cmd::Lf | Cmd::CodeTable(_))),
            "{name}: raster only"
        );

        // Raster bands: full width, ≤ 255 rows, each with ink.
        let width_bytes = usize::from(dots) / 8;
        let bands = check_rasters(js, width_bytes);
        assert!(bands.len() >= 2, "{name}: header and body images");

        // Heights within ±15 % of Rust's, per image and in all.
        let (js_rows, rust_rows) = (image_rows(js), image_rows(rust));
        for (part, (j, r)) in ["header", "body"]
            .iter()
            .zip(js_rows.iter().zip(&rust_rows))
        {
            let ratio = j.1 as f64 / r.1 as f64;
            eprintln!(
                "{name} {part}: {} rows ({} raster) here, {} ({} raster) in Rust: ratio {ratio:.3}",
                j.1, j.0, r.1, r.0
            );
            assert!(
                (0.85..=1.15).contains(&ratio),
                "{name} {part}: height {} against Rust's {}",
                j.1,
                r.1
            );
        }
        let total = |rows: &[(usize, usize); 2]| rows[0].0 + rows[1].0;
        let ratio = total(&js_rows) as f64 / total(&rust_rows) as f64;
        eprintln!(
            "{name}: raster rows {} here, {} in Rust: ratio {ratio:.3}",
            total(&js_rows),
            total(&rust_rows)
        );
        assert!(
            (0.85..=1.15).contains(&ratio),
            "{name}: total raster height"
        );

        // The printouts: as many lines of ink in each image (same wrapping), and pictures.
        let width = u32::from(dots) / 8 * 8;
        let (js_img, js_print) = simulate(js, &doc, width);
        let (rust_img, rust_print) = simulate(rust, &doc, width);
        let dir = samples_dir();
        js_img
            .save(dir.join(format!("escpos-device-{name}.png")))
            .expect("save png");
        rust_img
            .save(dir.join(format!("escpos-device-{name}-rust.png")))
            .expect("save png");
        let split = |print: &[Vec<bool>], rows: &[(usize, usize); 2]| {
            let head = ink_lines(&print[..rows[0].1]);
            let body = ink_lines(&print[print.len() - rows[1].1..]);
            (head, body)
        };
        let js_lines = split(&js_print, &js_rows);
        let rust_lines = split(&rust_print, &rust_rows);
        eprintln!("{name}: lines of ink (header, body) {js_lines:?} here, {rust_lines:?} in Rust");
        assert_eq!(js_lines, rust_lines, "{name}: lines of ink");

        // Dot by dot in the text images, where they are the same size: the canvas rasteriser
        // is not Rust's, but the same glyphs at the same places cover nearly the same dots.
        if js_rows == rust_rows {
            let text_rows = |print: &[Vec<bool>]| -> Vec<Vec<bool>> {
                let body = print.len() - js_rows[1].1;
                print[..js_rows[0].1]
                    .iter()
                    .chain(&print[body..])
                    .cloned()
                    .collect()
            };
            let (mut both, mut either) = (0usize, 0usize);
            for (a, b) in text_rows(&js_print).iter().zip(&text_rows(&rust_print)) {
                for (&x, &y) in a.iter().zip(b) {
                    both += usize::from(x && y);
                    either += usize::from(x || y);
                }
            }
            let overlap = both as f64 / either.max(1) as f64;
            eprintln!("{name}: text ink overlap (shared / either) {overlap:.3}");
            assert!(overlap > 0.8, "{name}: ink overlap {overlap:.3}");
        }
    }
}
