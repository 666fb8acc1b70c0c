//! The whole picture: a wooden desk under uneven light, with phones on it.

use image::RgbImage;
use rayon::prelude::*;

use super::noise;
use super::phone::Phone;
use super::Shot;

/// Brownish desk colour before texture and light.
const DESK: [f32; 3] = [150.0, 118.0, 86.0];

/// What depends on the column only, computed once per picture.
struct Column {
    /// Pixel centre.
    px: f32,
    /// Phase of the desk's wavy grain.
    phase: f32,
    /// Horizontal part of the vignette.
    vignette: f32,
    /// Horizontal part of the light gradient.
    gradient: f32,
}

/// Amplitude of the camera's sensor noise, in levels.
const SENSOR_NOISE: f32 = 12.0;

/// Renders the scene of a shot, one phone per code, left to right; with the sensor's
/// noise when `grain` (leave it out to blur first and add it with [`add_grain`]).
///
/// # Panics
/// If a code does not fit in a QR code or the size is zero.
pub(super) fn render(codes: &[&str], shot: &Shot, grain: bool) -> RgbImage {
    assert!(shot.width > 0 && shot.height > 0, "a photo has pixels");
    let seed = seed(codes, shot);
    let phones = place_phones(codes, shot);
    let columns = columns(shot.width);
    let sensor = if grain { SENSOR_NOISE } else { 0.0 };
    let (w, h) = (shot.width as usize, shot.height as usize);
    let mut raw = vec![0u8; w * h * 3];
    raw.par_chunks_mut(w * 3).enumerate().for_each(|(y, row)| {
        let light = Light {
            columns: &columns,
            height: shot.height,
            sensor,
        };
        render_row(row, y as u32, &light, &phones, seed);
    });
    RgbImage::from_raw(shot.width, shot.height, raw).expect("buffer matches the size")
}

/// Adds the sensor's noise to a picture rendered without it (after blurring it).
pub(super) fn add_grain(image: &mut RgbImage, codes: &[&str], shot: &Shot) {
    let seed = seed(codes, shot);
    let w = image.width() as usize;
    image
        .par_chunks_mut(w * 3)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let bits = noise::hash(x as u32, y as u32, seed) >> 16;
                let sensor = noise::centered_bits(bits) * SENSOR_NOISE;
                for c in px {
                    *c = (f32::from(*c) + sensor).clamp(0.0, 255.0) as u8;
                }
            }
        });
}

fn seed(codes: &[&str], shot: &Shot) -> u32 {
    noise::seed_of(&[
        codes.join(",").as_bytes(),
        &shot.angle_deg.to_le_bytes(),
        &shot.width.to_le_bytes(),
        &shot.height.to_le_bytes(),
    ])
}

/// How the scene is lit and seen, shared by all rows.
struct Light<'a> {
    columns: &'a [Column],
    height: u32,
    sensor: f32,
}

fn place_phones(codes: &[&str], shot: &Shot) -> Vec<Phone> {
    let (w, h) = (shot.width as f32, shot.height as f32);
    let cell = w / codes.len().max(1) as f32;
    codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let centre = (cell * (i as f32 + 0.5) + 0.02 * cell, 0.48 * h);
            let phone = Phone::new(code, centre, shot.qr_share * w, shot.angle_deg)
                .with_contrast(shot.contrast);
            if shot.glare {
                phone.with_glare()
            } else {
                phone
            }
        })
        .collect()
}

fn columns(width: u32) -> Vec<Column> {
    (0..width)
        .map(|x| {
            let px = x as f32 + 0.5;
            let fx = px / width as f32;
            Column {
                px,
                phase: 3.0 * (px * 0.0013).sin(),
                vignette: 0.6 * (fx - 0.5) * (fx - 0.5),
                gradient: 0.1 * fx,
            }
        })
        .collect()
}

fn render_row(row: &mut [u8], y: u32, light: &Light, phones: &[Phone], seed: u32) {
    let py = y as f32 + 0.5;
    let fy = py / light.height as f32;
    let vignette = 1.0 - 0.6 * (fy - 0.5) * (fy - 0.5);
    let gradient = 1.04 - 0.06 * fy;
    let on_row: Vec<(&Phone, (f32, f32))> = phones
        .iter()
        .filter_map(|p| Some((p, p.reach_on_row(py)?)))
        .collect();
    for (x, (out, column)) in row.chunks_exact_mut(3).zip(light.columns).enumerate() {
        let px = column.px;
        let grain = noise::hash(x as u32, y, seed);
        let mut glare = 0.0;
        let mut colour = None;
        for (phone, (left, right)) in &on_row {
            if px < *left || px > *right {
                continue;
            }
            glare += phone.glare_at(px, py);
            if colour.is_none() {
                colour = phone.shade(px, py);
            }
        }
        let colour = colour.unwrap_or_else(|| desk(py, column.phase, grain));
        let lit = (vignette - column.vignette) * (gradient - column.gradient);
        let sensor = noise::centered_bits(grain >> 16) * light.sensor;
        for (o, c) in out.iter_mut().zip(colour) {
            *o = (c * lit + glare + sensor).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Wood: slow wavy streaks and fine grain.
fn desk(py: f32, phase: f32, grain: u32) -> [f32; 3] {
    let wave = (py * 0.011 + phase).sin();
    let k = 1.0 + 0.07 * wave + 0.16 * noise::centered_bits(grain & 0xFFFF);
    DESK.map(|c| c * k)
}
