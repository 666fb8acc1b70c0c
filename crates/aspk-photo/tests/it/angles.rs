//! Phone photos at the required angles, sharp and blurred with glare, at both sizes.

use aspk_photo::read_photo;
use aspk_photo::synth::{phone_photo, Shot};

use crate::support::{code, one_code};

const ANGLES: [f32; 5] = [0.0, 17.0, 90.0, 180.0, 205.0];
/// Blur per angle for the blurred runs: all of 0–1.5 px is covered.
const BLURS: [f32; 5] = [1.5, 1.0, 0.5, 1.5, 1.2];
/// Code length per angle: short, middle and the longest tickets.
const LENGTHS: [usize; 5] = [210, 60, 120, 210, 90];

fn check_all(width: u32, height: u32, blurred: bool) {
    for (i, angle) in ANGLES.into_iter().enumerate() {
        let code = code(LENGTHS[i], i as u64 + u64::from(width));
        let mut shot = Shot::new(width, height);
        shot.angle_deg = angle;
        if blurred {
            shot.blur = BLURS[i];
            shot.glare = true;
        }
        let reading = read_photo(&phone_photo(&code, &shot));
        assert_eq!(reading, one_code(&code), "{shot:?}");
    }
}

#[test]
fn sharp_photos_of_1600x1200_decode_at_every_angle() {
    check_all(1600, 1200, false);
}

#[test]
fn blurred_photos_with_glare_of_1600x1200_decode_at_every_angle() {
    check_all(1600, 1200, true);
}

#[test]
fn sharp_12_megapixel_photos_decode_at_every_angle() {
    check_all(4000, 3000, false);
}

#[test]
fn blurred_12_megapixel_photos_with_glare_decode_at_every_angle() {
    check_all(4000, 3000, true);
}

#[test]
fn small_and_large_codes_in_12_megapixel_photos_decode() {
    for (share, angle) in [(0.1, 17.0), (0.3, 250.0)] {
        let code = code(210, 7);
        let shot = Shot {
            qr_share: share,
            angle_deg: angle,
            blur: 1.0,
            ..Shot::twelve_megapixel()
        };
        let reading = read_photo(&phone_photo(&code, &shot));
        assert_eq!(reading, one_code(&code), "{shot:?}");
    }
}

#[test]
fn a_dim_low_contrast_screen_decodes() {
    let code = code(150, 11);
    let shot = Shot {
        contrast: 0.3,
        angle_deg: 28.0,
        blur: 0.8,
        jpeg_quality: 70,
        ..Shot::default()
    };
    let reading = read_photo(&phone_photo(&code, &shot));
    assert_eq!(reading, one_code(&code), "{shot:?}");
}
