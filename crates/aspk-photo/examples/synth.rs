//! Writes a synthetic phone photo of a ticket QR code to a JPEG file (or a PNG one, to
//! look at the picture without JPEG artefacts, when the name ends in `.png`).
//!
//! `cargo run -p aspk-photo --example synth -- CODE OUT.jpg [ANGLE_DEG] [OPTION=VALUE…]`
//!
//! Options: `size=4000x3000` (the default), `quality=85`, `blur=0`, `glare=1`,
//! `share=0.2` (QR width / photo width), `contrast=1`.

use std::process::ExitCode;
use std::str::FromStr;

use aspk_photo::synth::{phone_photo, phones_image, Shot};

const USAGE: &str = "usage: synth CODE OUT.jpg [ANGLE_DEG] [size=WxH] [quality=1..100] \
                     [blur=PX] [glare=0|1] [share=0..1] [contrast=0..1]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let [code, out, rest @ ..] = args else {
        return Err("expected a code and an output file".into());
    };
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 1000 {
        return Err(format!("the code must be 1 to 1000 digits, got {code:?}"));
    }
    let mut shot = Shot::twelve_megapixel();
    for (i, arg) in rest.iter().enumerate() {
        match arg.split_once('=') {
            None if i == 0 => shot.angle_deg = parse(arg, "angle", -3600.0..=3600.0)?,
            None => return Err(format!("unexpected argument {arg:?}")),
            Some((key, value)) => set_option(&mut shot, key, value)?,
        }
    }
    if out.ends_with(".png") {
        return phones_image(&[code], &shot)
            .save(out)
            .map_err(|e| format!("writing {out}: {e}"));
    }
    std::fs::write(out, phone_photo(code, &shot)).map_err(|e| format!("writing {out}: {e}"))
}

fn set_option(shot: &mut Shot, key: &str, value: &str) -> Result<(), String> {
    match key {
        "size" => {
            let (w, h) = value
                .split_once('x')
                .ok_or_else(|| format!("bad size {value:?}, expected e.g. 4000x3000"))?;
            shot.width = parse(w, "width", 16..=20_000)?;
            shot.height = parse(h, "height", 16..=20_000)?;
        }
        "quality" => shot.jpeg_quality = parse(value, key, 1..=100)?,
        "blur" => shot.blur = parse(value, key, 0.0..=20.0)?,
        "glare" => shot.glare = parse::<u8>(value, key, 0..=1)? == 1,
        "share" => shot.qr_share = parse(value, key, 0.01..=1.0)?,
        "contrast" => shot.contrast = parse(value, key, 0.05..=1.0)?,
        _ => return Err(format!("unknown option {key:?}")),
    }
    Ok(())
}

fn parse<T: FromStr + PartialOrd>(
    text: &str,
    what: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, String> {
    text.parse()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| format!("bad {what} {text:?}"))
}
