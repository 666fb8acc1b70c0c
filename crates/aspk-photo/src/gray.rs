//! A plain 8-bit grey image and the cheap operations the scan needs on it.

/// Row-major 8-bit luminance, `pixels.len() == width * height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gray {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Vec<u8>,
}

impl Gray {
    /// Longer side in pixels.
    pub(crate) fn long_side(&self) -> usize {
        self.width.max(self.height)
    }

    /// Shrinks by an integer factor, each output pixel the mean of a `factor`² block.
    /// Leftover columns and rows at the right and bottom edge are dropped.
    pub(crate) fn shrink(&self, factor: usize) -> Gray {
        if factor <= 1 {
            return self.clone();
        }
        let (w, h) = (self.width / factor, self.height / factor);
        let mut pixels = Vec::with_capacity(w * h);
        let mut sums = vec![0u32; w];
        let area = (factor * factor) as u32;
        for band in self.pixels.chunks_exact(self.width * factor).take(h) {
            sums.fill(0);
            for row in band.chunks_exact(self.width) {
                for (sum, block) in sums.iter_mut().zip(row.chunks_exact(factor)) {
                    *sum += block.iter().map(|&p| u32::from(p)).sum::<u32>();
                }
            }
            pixels.extend(sums.iter().map(|&s| ((s + area / 2) / area) as u8));
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }

    /// Twice the size, bilinear: gives rqrr more pixels per module on small codes.
    pub(crate) fn enlarge2(&self) -> Gray {
        let (w, h) = (self.width * 2, self.height * 2);
        let mut pixels = Vec::with_capacity(w * h);
        for y in 0..h {
            let (y0, y1, fy) = source_pair(y, self.height);
            let (r0, r1) = (self.row(y0), self.row(y1));
            for x in 0..w {
                let (x0, x1, fx) = source_pair(x, self.width);
                let top = u32::from(r0[x0]) * (4 - fx) + u32::from(r0[x1]) * fx;
                let bottom = u32::from(r1[x0]) * (4 - fx) + u32::from(r1[x1]) * fx;
                pixels.push(((top * (4 - fy) + bottom * fy + 8) / 16) as u8);
            }
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }

    fn row(&self, y: usize) -> &[u8] {
        &self.pixels[y * self.width..(y + 1) * self.width]
    }

    /// Turned a quarter clockwise.
    pub(crate) fn rotate90(&self) -> Gray {
        let (w, h) = (self.height, self.width);
        let mut pixels = vec![0u8; w * h];
        for (y, row) in self.pixels.chunks_exact(self.width).enumerate() {
            for (x, &p) in row.iter().enumerate() {
                pixels[x * w + (w - 1 - y)] = p;
            }
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }

    /// Levels stretched so the 1st percentile becomes black and the 99th white.
    pub(crate) fn stretched(&self) -> Gray {
        let mut histogram = [0usize; 256];
        for &p in &self.pixels {
            histogram[usize::from(p)] += 1;
        }
        let total = self.pixels.len();
        let low = percentile(&histogram, total / 100);
        let high = percentile(&histogram, total - total / 100);
        if high <= low {
            return self.clone();
        }
        let span = f32::from(high - low);
        let table: Vec<u8> = (0..=255u8)
            .map(|p| (f32::from(p.saturating_sub(low)) * 255.0 / span).min(255.0) as u8)
            .collect();
        Gray {
            width: self.width,
            height: self.height,
            pixels: self.pixels.iter().map(|&p| table[usize::from(p)]).collect(),
        }
    }

    /// Dark/light map by comparing each pixel to the mean of a square window around it
    /// (`radius` pixels each way): dark when below the mean by more than `margin`.
    pub(crate) fn local_threshold(&self, radius: usize, margin: u32) -> Vec<bool> {
        let (w, h) = (self.width, self.height);
        let integral = self.integral();
        let stride = w + 1;
        let mut dark = Vec::with_capacity(w * h);
        for y in 0..h {
            let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
            for x in 0..w {
                let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                    - integral[y0 * stride + x1]
                    - integral[y1 * stride + x0];
                let count = ((y1 - y0) * (x1 - x0)) as u64;
                let pixel = u64::from(self.pixels[y * w + x]);
                dark.push((pixel + u64::from(margin)) * count < sum);
            }
        }
        dark
    }

    /// Summed-area table with a zero first row and column, `(w + 1) * (h + 1)` entries.
    fn integral(&self) -> Vec<u64> {
        let stride = self.width + 1;
        let mut table = vec![0u64; stride * (self.height + 1)];
        for (y, row) in self.pixels.chunks_exact(self.width).enumerate() {
            let mut run = 0u64;
            for (x, &p) in row.iter().enumerate() {
                run += u64::from(p);
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + run;
            }
        }
        table
    }
}

/// For output index `i` of a 2× enlargement of `len` samples: the two source samples
/// and the weight of the second in quarters (pixel centres at `(i + 0.5) / 2 - 0.5`).
fn source_pair(i: usize, len: usize) -> (usize, usize, u32) {
    let last = len - 1;
    let base = i / 2;
    if i.is_multiple_of(2) {
        (
            base.saturating_sub(1),
            base.min(last),
            if base == 0 { 4 } else { 3 },
        )
    } else {
        (base.min(last), (base + 1).min(last), 1)
    }
}

/// Smallest level whose cumulative count exceeds `rank`.
fn percentile(histogram: &[usize; 256], rank: usize) -> u8 {
    let mut seen = 0;
    for (level, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen > rank {
            return level as u8;
        }
    }
    255
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(width: usize, height: usize, pixels: &[u8]) -> Gray {
        Gray {
            width,
            height,
            pixels: pixels.to_vec(),
        }
    }

    #[test]
    fn shrink_averages_blocks_and_drops_the_ragged_edge() {
        let image = gray(5, 2, &[0, 10, 100, 200, 7, 20, 30, 50, 50, 7]);
        assert_eq!(image.shrink(2), gray(2, 1, &[15, 100]));
        assert_eq!(image.shrink(1), image);
    }

    #[test]
    fn rotate90_turns_clockwise() {
        // 1 2 3      4 1
        // 4 5 6  ->  5 2
        //            6 3
        let image = gray(3, 2, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(image.rotate90(), gray(2, 3, &[4, 1, 5, 2, 6, 3]));
    }

    #[test]
    fn stretched_spreads_a_narrow_range_and_leaves_a_flat_image() {
        let pixels: Vec<u8> = (0..100).map(|i| 100 + (i % 21) as u8).collect();
        let stretched = gray(10, 10, &pixels).stretched();
        assert_eq!(stretched.pixels.iter().min(), Some(&0));
        assert_eq!(stretched.pixels.iter().max(), Some(&255));
        let flat = gray(4, 4, &[255; 16]);
        assert_eq!(flat.stretched(), flat);
    }

    #[test]
    fn local_threshold_finds_a_dim_dark_spot_on_a_gradient() {
        let (w, h) = (40, 10);
        let mut pixels: Vec<u8> = (0..w * h).map(|i| 100 + (i % w) as u8).collect();
        pixels[5 * w + 30] -= 20;
        let dark = gray(w, h, &pixels).local_threshold(4, 4);
        assert!(dark[5 * w + 30]);
        assert_eq!(dark.iter().filter(|&&d| d).count(), 1);
    }

    #[test]
    fn enlarge2_doubles_the_size_and_keeps_flat_areas_and_order() {
        let image = gray(3, 2, &[10, 20, 30, 10, 20, 30]);
        let large = image.enlarge2();
        assert_eq!((large.width, large.height), (6, 4));
        for row in large.pixels.chunks_exact(6) {
            assert_eq!(row[0], 10);
            assert_eq!(row[5], 30);
            assert!(row.windows(2).all(|p| p[0] <= p[1]), "{row:?}");
        }
    }
}
