//! Photos with several codes, non-ticket codes, PNG input and batches.

use std::io::Cursor;

use aspk_photo::synth::{phone_photo, phones_image, phones_photo, Shot};
use aspk_photo::{read_photo, read_photos, PhotoProblem};

use crate::support::{assert_reads, code, one_code};

#[test]
fn a_photo_with_two_codes_gives_both() {
    let (a, b) = (code(210, 21), code(90, 22));
    let shot = Shot {
        angle_deg: 12.0,
        blur: 0.7,
        ..Shot::default()
    };
    assert_reads(&phones_photo(&[&a, &b], &shot), &[&a, &b], "two phones");
}

#[test]
fn a_qr_code_that_is_not_digits_is_no_ticket_code() {
    let photo = phone_photo("https://example.org/not-a-ticket", &Shot::default());
    let reading = read_photo(&photo);
    assert_eq!(reading.problem, Some(PhotoProblem::NoCodeFound));
    assert!(reading.codes.is_empty());
}

#[test]
fn beside_a_text_qr_code_only_the_ticket_code_is_given() {
    let ticket = code(120, 31);
    let photo = phones_photo(&["HELLO MUSEUM", &ticket], &Shot::default());
    assert_reads(&photo, &[&ticket], "text and ticket");
}

#[test]
fn a_png_photo_decodes_like_a_jpeg() {
    let code = code(100, 41);
    let shot = Shot {
        angle_deg: 33.0,
        ..Shot::default()
    };
    let mut png = Vec::new();
    phones_image(&[&code], &shot)
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode PNG");
    assert_eq!(read_photo(&png), one_code(&code));
}

#[test]
fn a_greyscale_jpeg_decodes() {
    let code = code(140, 42);
    let shot = Shot {
        angle_deg: 100.0,
        blur: 0.6,
        ..Shot::default()
    };
    let grey = image::DynamicImage::ImageRgb8(phones_image(&[&code], &shot)).into_luma8();
    let mut jpeg = Vec::new();
    grey.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .expect("encode JPEG");
    assert_eq!(read_photo(&jpeg), one_code(&code));
}

#[test]
fn a_batch_gives_one_reading_per_file_in_input_order() {
    let codes: Vec<String> = (0..4).map(|i| code(60 + 30 * i, 50 + i as u64)).collect();
    let photos: Vec<Vec<u8>> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let shot = Shot {
                angle_deg: 40.0 * i as f32,
                ..Shot::default()
            };
            phone_photo(c, &shot)
        })
        .collect();
    let garbage = b"not a photo at all".as_slice();
    let files: Vec<&[u8]> = vec![&photos[0], garbage, &photos[1], &photos[2], &photos[3]];
    let readings = read_photos(&files);
    assert_eq!(readings.len(), 5);
    assert_eq!(readings[0], one_code(&codes[0]));
    assert_eq!(readings[1].problem, Some(PhotoProblem::NotAnImage));
    assert_eq!(readings[2], one_code(&codes[1]));
    assert_eq!(readings[3], one_code(&codes[2]));
    assert_eq!(readings[4], one_code(&codes[3]));
}

#[test]
fn synthesis_is_deterministic() {
    let code = code(80, 61);
    let shot = Shot {
        angle_deg: 17.0,
        blur: 1.0,
        glare: true,
        width: 640,
        height: 480,
        ..Shot::default()
    };
    assert_eq!(phone_photo(&code, &shot), phone_photo(&code, &shot));
}
