//! How long a photo's print copy takes to make: what an upload waits for on the staff page
//! (decode, turn upright, shrink to 1000 px, encode JPEG), in-process, one photo at a time.
//!
//! Run by hand: `cargo bench --bench photo` (figures go to BENCHMARKS.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgba, RgbaImage};
use kejia_server::export::photo::print_copy;

mod support;

use support::phone_photo;

const RUNS: usize = 20;

fn main() {
    let jpeg = phone_photo(1);
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
