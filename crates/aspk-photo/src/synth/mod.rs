//! Synthetic staff photos of e-tickets, for tests and benches.
//!
//! A photo shows one or more phones lying on a desk, each screen showing a ticket's QR
//! code (level M) with its quiet zone, a header bar and caption lines. The phones are
//! rotated, the picture can be blurred and carry a glare spot, and it is encoded as JPEG.
//! Everything is deterministic: the same code and [`Shot`] give the same bytes.

mod noise;
mod phone;
mod scene;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType, RgbImage};

/// How a synthetic photo is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    /// Rotation of the phone in the picture, degrees clockwise (any value).
    pub angle_deg: f32,
    /// Gaussian blur, sigma in pixels of the photo; `0.0` is sharp.
    pub blur: f32,
    /// A bright elliptical glare spot over part of each QR code, away from its finder
    /// patterns: about 6 % of the symbol washed out, its halo within ~15 %.
    pub glare: bool,
    /// Photo width in pixels.
    pub width: u32,
    /// Photo height in pixels.
    pub height: u32,
    /// JPEG quality, 1..=100.
    pub jpeg_quality: u8,
    /// Width of each QR symbol (quiet zone excluded) as a share of the photo's width.
    pub qr_share: f32,
    /// Contrast of the screen: `1.0` is a bright screen, `0.3` a dim, washed-out one.
    pub contrast: f32,
}

impl Shot {
    /// A sharp, straight shot of the given size: QR at 20 % of the width, quality 85.
    pub fn new(width: u32, height: u32) -> Self {
        Shot {
            angle_deg: 0.0,
            blur: 0.0,
            glare: false,
            width,
            height,
            jpeg_quality: 85,
            qr_share: 0.2,
            contrast: 1.0,
        }
    }

    /// A 12-megapixel (4000×3000) phone camera shot, otherwise as [`Shot::new`].
    pub fn twelve_megapixel() -> Self {
        Shot::new(4000, 3000)
    }
}

impl Default for Shot {
    /// A 1600×1200 shot, otherwise as [`Shot::new`].
    fn default() -> Self {
        Shot::new(1600, 1200)
    }
}

/// A photo of a phone screen showing a QR code of `code` (digits), as JPEG bytes.
///
/// # Panics
/// If `code` does not fit in a QR code or the shot's size is zero or over 65535.
pub fn phone_photo(code: &str, shot: &Shot) -> Vec<u8> {
    phones_photo(&[code], shot)
}

/// A photo of several phones side by side, one per code, as JPEG bytes.
///
/// # Panics
/// As [`phone_photo`].
pub fn phones_photo(codes: &[&str], shot: &Shot) -> Vec<u8> {
    encode_jpeg(&phones_image(codes, shot), shot.jpeg_quality)
}

/// The picture of [`phones_photo`] before JPEG encoding (blur applied).
///
/// # Panics
/// As [`phone_photo`].
pub fn phones_image(codes: &[&str], shot: &Shot) -> RgbImage {
    if shot.blur <= 0.0 {
        return scene::render(codes, shot, true);
    }
    // The lens blurs the scene; the sensor's noise comes after, unblurred.
    let sharp = scene::render(codes, shot, false);
    // Through `DynamicImage`: its blur is compiled (and optimized) in `image` itself.
    let mut image = DynamicImage::ImageRgb8(sharp).blur(shot.blur).into_rgb8();
    scene::add_grain(&mut image, codes, shot);
    image
}

/// Encodes an RGB image as baseline JPEG.
///
/// # Panics
/// If the image is empty or larger than JPEG allows (65535 per side).
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("an RGB image of valid size encodes as JPEG");
    out
}
