//! Speed of reading staff photos: 12-megapixel (4000×3000) synthesized phone photos.
//!
//! Target: at least 10 photos/s on a 2-core machine using both cores, i.e. the
//! `read_photos/batch_of_8` throughput. The JPEG decode alone is measured beside it, as
//! the largest fixed part of the budget: luminance-only with zune-jpeg (what `read_photo`
//! does) and a full RGB decode with `image` (what it avoids).

use std::hint::black_box;
use std::time::Duration;

use aspk_photo::synth::{phone_photo, Shot};
use aspk_photo::{read_photo, read_photos};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Eight varied shots: angles, blur, glare, code size and length.
fn photos() -> Vec<(String, Vec<u8>)> {
    let angles = [0.0, 17.0, 90.0, 180.0, 205.0, 30.0, 120.0, 300.0];
    angles
        .iter()
        .enumerate()
        .map(|(i, &angle)| {
            let code: String = (0..60 + 20 * i)
                .map(|k| char::from(b'0' + ((k * 7 + i) % 10) as u8))
                .collect();
            let shot = Shot {
                angle_deg: angle,
                blur: [0.0, 0.5, 1.0, 1.5][i % 4],
                glare: i % 2 == 1,
                qr_share: [0.15, 0.2, 0.25, 0.3][i % 4],
                // Phone cameras save at high quality: 3–6 MB for 12 megapixels.
                jpeg_quality: [92, 95][i % 2],
                ..Shot::twelve_megapixel()
            };
            let photo = phone_photo(&code, &shot);
            let reading = read_photo(&photo);
            assert_eq!(
                reading.codes,
                vec![code.clone()],
                "bench photo {i} must decode: {shot:?}"
            );
            (code, photo)
        })
        .collect()
}

fn luma_decode(bytes: &[u8]) -> usize {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode().map(|p| p.len()).unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let photos = photos();
    let files: Vec<&[u8]> = photos.iter().map(|(_, p)| p.as_slice()).collect();
    let mb = files.iter().map(|f| f.len()).sum::<usize>() as f64 / files.len() as f64 / 1e6;
    eprintln!(
        "{} photos of 4000×3000, {mb:.1} MB JPEG on average",
        files.len()
    );

    let mut jpeg = c.benchmark_group("jpeg_decode_12mp");
    jpeg.sample_size(20);
    jpeg.throughput(Throughput::Elements(1));
    jpeg.bench_function("zune_luma_only", |b| {
        b.iter(|| luma_decode(black_box(files[1])))
    });
    jpeg.bench_function("image_rgb", |b| {
        b.iter(|| {
            image::load_from_memory(black_box(files[1]))
                .map(|i| i.width())
                .ok()
        })
    });
    jpeg.finish();

    let mut read = c.benchmark_group("read_photos");
    read.sample_size(10);
    read.measurement_time(Duration::from_secs(15));
    read.throughput(Throughput::Elements(files.len() as u64));
    read.bench_function("one_core_batch_of_8", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| read_photo(black_box(f)))
                .collect::<Vec<_>>()
        })
    });
    read.bench_function("batch_of_8", |b| b.iter(|| read_photos(black_box(&files))));
    read.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
