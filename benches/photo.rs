//! How long a photo's print copy takes to make: what an upload waits for on the staff page
//! (decode, turn upright, shrink to 1000 px, encode JPEG), in-process, one photo at a time.
//!
//! Run by hand: `cargo bench --bench photo` (figures go to BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use kejia_server::export::photo::print_copy;

const RUNS: usize = 20;

fn main() {
    let jpeg = phone_photo();
    let png = screenshot();
    for (name, original) in [
        ("4000x3000 phone JPEG (q88)", &jpeg),
        ("2400x1600 PNG with alpha", &png),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        let mut size = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            size = print_copy(original).expect("print copy").len();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "{name:<28} {:>5.1} MB -> {:>4} KB: min {:.0} ms, median {:.0} ms, max {:.0} ms",
            original.len() as f64 / 1e6,
            size / 1000,
            ms(times[0]),
            ms(times[RUNS / 2]),
            ms(times[RUNS - 1]),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// As benches/ledger.rs makes them: smooth light with a little grain, at a phone's quality.
fn phone_photo() -> Vec<u8> {
    let mut state: u32 = 2_654_435_761;
    let picture = RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state % 24) as u8;
        let r = ((x * 160 / 4000) % 160) as u8 + 40 + grain;
        let g = (y * 120 / 3000) as u8 + 60 + grain;
        let b = ((x + y) * 80 / 7000) as u8 + 90 + grain;
        Rgb([r, g, b])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut out), 88)
        .encode_image(&picture)
        .expect("jpeg");
    out
}

/// A PNG with transparent corners, as a poster or a screenshot might be.
fn screenshot() -> Vec<u8> {
    let picture = RgbaImage::from_fn(2400, 1600, |x, y| {
        let alpha = if !(200..2200).contains(&x) && !(200..1400).contains(&y) {
            0
        } else {
            255
        };
        Rgba([(x % 256) as u8, (y % 256) as u8, 120, alpha])
    });
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("png");
    out
}
