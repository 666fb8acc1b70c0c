//! Files that give no code: not images, blank images, images too large to decode.

use std::io::Cursor;

use aspk_photo::synth::{encode_jpeg, phone_photo, Shot};
use aspk_photo::{read_photo, PhotoProblem, PhotoReading};
use image::{ImageFormat, Rgb, RgbImage};

use crate::support::code;

fn problem(bytes: &[u8]) -> Option<PhotoProblem> {
    let reading = read_photo(bytes);
    assert!(
        reading.problem.is_none() || reading.codes.is_empty(),
        "{reading:?}"
    );
    reading.problem
}

#[test]
fn garbage_bytes_are_not_an_image() {
    assert_eq!(
        read_photo(b"GIF89a or rather nothing"),
        PhotoReading {
            codes: Vec::new(),
            problem: Some(PhotoProblem::NotAnImage)
        }
    );
    assert_eq!(problem(b""), Some(PhotoProblem::NotAnImage));
    assert_eq!(
        problem(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 1, 2, 3]),
        Some(PhotoProblem::NotAnImage)
    );
    assert_eq!(
        problem(b"\x89PNG\r\n\x1a\nbroken"),
        Some(PhotoProblem::NotAnImage)
    );
}

#[test]
fn a_truncated_photo_is_a_problem_not_a_panic() {
    let photo = phone_photo(&code(90, 1), &Shot::new(640, 480));
    for cut in [3, 200, photo.len() / 3] {
        assert!(problem(&photo[..cut]).is_some(), "cut at {cut}");
    }
}

#[test]
fn a_blank_image_has_no_code() {
    let grey = RgbImage::from_pixel(1200, 900, Rgb([128, 128, 128]));
    assert_eq!(
        problem(&encode_jpeg(&grey, 85)),
        Some(PhotoProblem::NoCodeFound)
    );
    let white = RgbImage::from_pixel(800, 600, Rgb([255, 255, 255]));
    let mut png = Vec::new();
    white
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("encode PNG");
    assert_eq!(problem(&png), Some(PhotoProblem::NoCodeFound));
}

#[test]
fn tiny_and_thin_images_have_no_code() {
    for (w, h) in [(1, 1), (1, 5000), (5000, 2), (30, 30)] {
        let image = RgbImage::from_pixel(w, h, Rgb([200, 200, 200]));
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .expect("encode PNG");
        assert_eq!(
            problem(&png),
            Some(PhotoProblem::NoCodeFound),
            "{w}×{h} PNG"
        );
        let jpeg = encode_jpeg(&image, 80);
        assert_eq!(
            problem(&jpeg),
            Some(PhotoProblem::NoCodeFound),
            "{w}×{h} JPEG"
        );
    }
}

#[test]
fn a_png_claiming_60000_by_60000_is_too_large_and_never_decoded() {
    // 3.6 gigapixels of RGB would need 10.8 GB: reaching the decoder would fail loudly.
    assert_eq!(
        problem(&png_header_only(60_000, 60_000)),
        Some(PhotoProblem::TooLarge)
    );
}

#[test]
fn a_png_just_over_50_megapixels_is_too_large() {
    assert_eq!(
        problem(&png_header_only(8000, 6251)),
        Some(PhotoProblem::TooLarge)
    );
}

#[test]
fn a_jpeg_claiming_60000_by_60000_is_too_large() {
    let mut jpeg = encode_jpeg(&RgbImage::from_pixel(64, 48, Rgb([9, 9, 9])), 90);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG has an SOF0 marker");
    // SOF0: marker, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    assert_eq!(problem(&jpeg), Some(PhotoProblem::TooLarge));
}

/// A PNG signature, an IHDR for an RGB image of the given size, a scrap of IDAT, IEND.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    push_chunk(&mut png, b"IHDR", &ihdr);
    push_chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    push_chunk(&mut png, b"IEND", &[]);
    png
}

fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
