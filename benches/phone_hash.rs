//! What one guess at a phone hash costs, and what a dictionary of 10^7 numbers (every number of
//! one three-digit prefix and the next digit) then takes: the figure behind the hub's threat
//! model (README, "Sync with the association").
//!
//! Run by hand: `cargo bench --bench phone_hash` (figures go to BENCHMARKS.md, "Phone hashes").
//! It hashes with the code the homes use, on one thread and then on every core at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::time::Instant;

use kejia_server::wire::phone::{LANES, MEMORY_KIB, PASSES, phone_hash};

/// Guesses timed per thread.
const GUESSES: u64 = 60;
/// The tester's dictionary.
const DICTIONARY: f64 = 1e7;

fn guesses(thread: u64) {
    let key = [7u8; 32];
    for n in 0..GUESSES {
        let number = format!("139{:08}", thread * GUESSES + n);
        std::hint::black_box(phone_hash(&key, &number).unwrap());
    }
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    println!(
        "argon2id m = {MEMORY_KIB} KiB, t = {PASSES}, p = {LANES}; {cores} cores; {GUESSES} guesses per thread"
    );
    guesses(0); // warm-up
    let start = Instant::now();
    guesses(0);
    let one = start.elapsed().as_secs_f64() / GUESSES as f64;
    println!(
        "one thread: {:.1} ms a guess; 10^7 guesses take {:.1} core-hours ({:.1} days of one core)",
        one * 1e3,
        one * DICTIONARY / 3600.0,
        one * DICTIONARY / 86_400.0
    );
    let start = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..cores {
            scope.spawn(move || guesses(thread));
        }
    });
    let rate = (cores * GUESSES) as f64 / start.elapsed().as_secs_f64();
    println!(
        "{cores} threads: {rate:.1} guesses a second; 10^7 guesses take {:.1} hours on this machine",
        DICTIONARY / rate / 3600.0
    );
}
