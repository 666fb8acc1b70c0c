//! Turns an uploaded file's bytes into a grey image, refusing what is not a JPEG or PNG
//! and what has too many pixels, before the pixels are allocated.

use std::io::Cursor;

use image::error::ImageError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::gray::Gray;

/// Images with more pixels than this are refused (decompression-bomb guard).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Why bytes gave no grey image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadError {
    /// Not a JPEG or PNG, or a broken one.
    NotAnImage,
    /// The header announces more than [`MAX_PIXELS`] pixels.
    TooLarge,
}

/// Decodes a JPEG or PNG (told apart by their signatures) to luminance.
pub(crate) fn load_gray(bytes: &[u8]) -> Result<Gray, LoadError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        load_jpeg(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        load_with_image(bytes, ImageFormat::Png)
    } else {
        Err(LoadError::NotAnImage)
    }
}

fn check_size(width: u64, height: u64) -> Result<(), LoadError> {
    if width == 0 || height == 0 {
        Err(LoadError::NotAnImage)
    } else if width * height > MAX_PIXELS {
        Err(LoadError::TooLarge)
    } else {
        Ok(())
    }
}

/// JPEG straight to luminance: the chroma planes are never upsampled or converted.
/// JPEGs in other colour spaces (CMYK, RGB) go the slower way through `image`.
fn load_jpeg(bytes: &[u8]) -> Result<Gray, LoadError> {
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_strict_mode(false)
        // Any size a JPEG can state passes the decoder; `check_size` decides.
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX));
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|_| LoadError::NotAnImage)?;
    let info = decoder.info().ok_or(LoadError::NotAnImage)?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    check_size(width as u64, height as u64)?;
    if !matches!(
        decoder.input_colorspace(),
        Some(ColorSpace::YCbCr | ColorSpace::Luma)
    ) {
        return load_with_image(bytes, ImageFormat::Jpeg);
    }
    let pixels = decoder.decode().map_err(|_| LoadError::NotAnImage)?;
    if pixels.len() != width * height {
        return Err(LoadError::NotAnImage);
    }
    Ok(Gray {
        width,
        height,
        pixels,
    })
}

/// Any format `image` reads, converted to luminance; the size is checked on the header.
fn load_with_image(bytes: &[u8], format: ImageFormat) -> Result<Gray, LoadError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // 16-bit RGBA at the pixel limit; `check_size` refuses larger images first.
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_size(u64::from(width), u64::from(height))?;
    let luma = DynamicImage::from_decoder(decoder)
        .map_err(decode_error)?
        .into_luma8();
    Ok(Gray {
        width: width as usize,
        height: height as usize,
        pixels: luma.into_raw(),
    })
}

fn decode_error(error: ImageError) -> LoadError {
    match error {
        ImageError::Limits(_) => LoadError::TooLarge,
        _ => LoadError::NotAnImage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_limit_is_inclusive_and_empty_images_are_not_images() {
        assert_eq!(check_size(10_000, 5_000), Ok(()));
        assert_eq!(check_size(10_000, 5_001), Err(LoadError::TooLarge));
        assert_eq!(check_size(65_535, 65_535), Err(LoadError::TooLarge));
        assert_eq!(check_size(0, 100), Err(LoadError::NotAnImage));
    }

    #[test]
    fn only_jpeg_and_png_signatures_are_tried() {
        assert_eq!(load_gray(b"GIF89a...."), Err(LoadError::NotAnImage));
        assert_eq!(load_gray(b"BM\x00\x00"), Err(LoadError::NotAnImage));
        assert_eq!(load_gray(&[0xFF, 0xD8]), Err(LoadError::NotAnImage));
    }
}
