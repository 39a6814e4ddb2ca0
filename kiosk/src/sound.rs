//! A short tone at the door: two rising notes when a member is checked in, one low note when
//! they are not. Played through ALSA's `aplay` (Debian's `alsa-utils`) when the box has a sound
//! card; with none, or without `aplay`, the kiosk stays silent and nothing else changes.
//!
//! The tone is made here as a small WAV and piped to `aplay`, which is started per tone and not
//! waited for: a missing or busy device must never hold up the next scan.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::screens::Screen;

/// What the member hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Checked in (or already checked in): two short rising notes.
    Success,
    /// Not checked in (unknown, suspended, not open, no answer): one low note.
    Failure,
}

/// Samples a second; plenty for a beep, and every ALSA device takes it.
pub const SAMPLE_RATE: u32 = 16_000;

/// A note: pitch in hertz and length in milliseconds.
struct Note {
    hertz: u32,
    millis: u32,
}

impl Tone {
    fn notes(self) -> &'static [Note] {
        match self {
            Self::Success => &[
                Note {
                    hertz: 880,
                    millis: 90,
                },
                Note {
                    hertz: 1320,
                    millis: 140,
                },
            ],
            Self::Failure => &[Note {
                hertz: 330,
                millis: 320,
            }],
        }
    }

    /// The tone as 16-bit mono PCM samples, each note faded in and out so it does not click.
    pub fn samples(self) -> Vec<i16> {
        const AMPLITUDE: f32 = 9_000.0;
        const FADE: usize = 160; // 10 ms at 16 kHz
        let mut out = Vec::new();
        for note in self.notes() {
            let count = (SAMPLE_RATE * note.millis / 1000) as usize;
            for n in 0..count {
                let fade = (n.min(count - 1 - n).min(FADE) as f32) / FADE as f32;
                let phase =
                    std::f32::consts::TAU * note.hertz as f32 * n as f32 / SAMPLE_RATE as f32;
                out.push((phase.sin() * AMPLITUDE * fade) as i16);
            }
        }
        out
    }

    /// The tone as a WAV file (RIFF, PCM, 16-bit mono), as `aplay` reads it from a pipe.
    pub fn wav(self) -> Vec<u8> {
        let samples = self.samples();
        let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
        let mut wav = Vec::with_capacity(44 + samples.len() * 2);
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data_len).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
        wav.extend_from_slice(&1u16.to_le_bytes()); // mono
        wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
        wav.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes a second
        wav.extend_from_slice(&2u16.to_le_bytes()); // bytes a frame
        wav.extend_from_slice(&16u16.to_le_bytes()); // bits a sample
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&data_len.to_le_bytes());
        for sample in samples {
            wav.extend_from_slice(&sample.to_le_bytes());
        }
        wav
    }
}

/// The tone a screen sounds when it appears: only the answers to a scan have one.
pub fn tone_for(screen: &Screen) -> Option<Tone> {
    match screen {
        Screen::CheckedIn { .. } | Screen::AlreadyCheckedIn { .. } | Screen::Visit { .. } => {
            Some(Tone::Success)
        }
        Screen::Unknown { .. }
        | Screen::Suspended { .. }
        | Screen::NotOpen { .. }
        | Screen::Failed { .. } => Some(Tone::Failure),
        Screen::Idle(_)
        | Screen::Choose { .. }
        | Screen::Matches { .. }
        | Screen::Keypad { .. } => None,
    }
}

/// Plays tones, or stays silent when the box cannot.
#[derive(Debug, Clone)]
pub struct Speaker {
    /// The ALSA device to open (`default`), or `None` for silence.
    device: Option<String>,
    aplay: PathBuf,
}

impl Speaker {
    /// ALSA's default device if the kernel lists a sound card, else silence.
    pub fn detect() -> Self {
        Self::detect_in(Path::new("/proc/asound/cards"))
    }

    /// As [`Speaker::detect`], reading the kernel's list of cards from `cards`.
    pub fn detect_in(cards: &Path) -> Self {
        let present = std::fs::read_to_string(cards).is_ok_and(|text| has_a_card(&text));
        Self {
            device: present.then(|| "default".to_owned()),
            aplay: PathBuf::from("aplay"),
        }
    }

    /// A speaker on a named ALSA device (`null`, say), whatever the kernel lists.
    pub fn on_device(device: &str) -> Self {
        Self {
            device: Some(device.to_owned()),
            aplay: PathBuf::from("aplay"),
        }
    }

    /// With `aplay` at another path (a test's missing program, say).
    pub fn with_player(mut self, aplay: impl Into<PathBuf>) -> Self {
        self.aplay = aplay.into();
        self
    }

    pub fn is_silent(&self) -> bool {
        self.device.is_none()
    }

    /// Starts the tone and returns at once; the player is reaped on its own thread. Answers
    /// whether a player was started (false when silent or when `aplay` cannot run).
    pub fn play(&self, tone: Tone) -> Option<std::thread::JoinHandle<bool>> {
        let device = self.device.as_deref()?;
        let spawned = Command::new(&self.aplay)
            .args(["-q", "-D", device, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                tracing::debug!(%error, "no sound: aplay could not start");
                return None;
            }
        };
        let wav = tone.wav();
        Some(std::thread::spawn(move || {
            let written = child
                .stdin
                .take()
                .is_some_and(|mut stdin| stdin.write_all(&wav).is_ok());
            // Closing stdin (dropped above) ends the file; then wait so no zombie is left.
            let played = child.wait().is_ok_and(|status| status.success());
            written && played
        }))
    }
}

/// `/proc/asound/cards` lists one card per numbered line, or says there is none.
fn has_a_card(cards: &str) -> bool {
    cards.lines().any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|first| first.parse::<u32>().is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upward zero crossings a second: the pitch of a pure tone.
    fn pitch(samples: &[i16]) -> f32 {
        let crossings = samples.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
        crossings as f32 * SAMPLE_RATE as f32 / samples.len() as f32
    }

    #[test]
    fn success_rises_and_failure_is_one_low_note() {
        let success = Tone::Success.samples();
        let first = (SAMPLE_RATE * 90 / 1000) as usize;
        assert!((pitch(&success[..first]) - 880.0).abs() < 20.0);
        assert!((pitch(&success[first..]) - 1320.0).abs() < 20.0);
        let failure = Tone::Failure.samples();
        assert_eq!(failure.len(), (SAMPLE_RATE * 320 / 1000) as usize);
        assert!((pitch(&failure) - 330.0).abs() < 10.0);
    }

    #[test]
    fn notes_fade_in_and_out_so_they_do_not_click() {
        let samples = Tone::Failure.samples();
        assert_eq!(samples[0], 0);
        assert!(samples[samples.len() - 1].abs() < 100);
        assert!(samples.iter().any(|s| s.abs() > 8_000));
    }

    #[test]
    fn only_the_answers_to_a_scan_sound() {
        let checked_in = Screen::CheckedIn {
            name: "张*".into(),
            employer: String::new(),
            activity: "讲座".into(),
            position: 3,
        };
        assert_eq!(tone_for(&checked_in), Some(Tone::Success));
        assert_eq!(
            tone_for(&Screen::Unknown { phone_url: None }),
            Some(Tone::Failure)
        );
        assert_eq!(
            tone_for(&Screen::Failed {
                message: "网络故障".into()
            }),
            Some(Tone::Failure)
        );
        assert_eq!(
            tone_for(&Screen::Keypad {
                digits: "12".into()
            }),
            None
        );
    }

    #[test]
    fn the_wav_header_describes_the_samples() {
        let wav = Tone::Success.wav();
        let samples = Tone::Success.samples().len();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes(wav[24..28].try_into().unwrap()),
            SAMPLE_RATE
        );
        assert_eq!(u16::from_le_bytes(wav[34..36].try_into().unwrap()), 16);
        let data_len = u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize;
        assert_eq!(data_len, samples * 2);
        assert_eq!(wav.len(), 44 + data_len);
    }

    #[test]
    fn no_sound_card_means_silence() {
        let dir = tempfile::tempdir().unwrap();
        let none = dir.path().join("cards");
        std::fs::write(&none, "--- no soundcards ---\n").unwrap();
        let speaker = Speaker::detect_in(&none);
        assert!(speaker.is_silent());
        assert!(speaker.play(Tone::Success).is_none());
        // No /proc/asound at all (a kernel without sound).
        assert!(Speaker::detect_in(&dir.path().join("missing")).is_silent());
        let one = dir.path().join("one");
        std::fs::write(
            &one,
            " 0 [vc4hdmi        ]: vc4-hdmi - vc4-hdmi\n                      vc4-hdmi\n",
        )
        .unwrap();
        assert!(!Speaker::detect_in(&one).is_silent());
    }

    #[test]
    fn a_missing_player_is_harmless() {
        let speaker = Speaker::on_device("default").with_player("/nonexistent/aplay");
        // Where the C library reports a failed exec late (some posix_spawn builds), a handle
        // comes back; it must then say that nothing played, and never panic.
        if let Some(player) = speaker.play(Tone::Failure) {
            assert!(
                !player.join().unwrap(),
                "a missing player cannot have played"
            );
        }
    }

    /// Through real ALSA: `aplay` on ALSA's `null` device, which takes the sound and drops it
    /// (no card needed). Skipped with a message where alsa-utils is not installed, except under
    /// CI, which installs it.
    #[test]
    fn a_tone_plays_through_alsa() {
        let installed = Command::new("aplay")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "aplay (alsa-utils) is missing under CI"
            );
            eprintln!("skipped: aplay (alsa-utils) is not installed");
            return;
        }
        for tone in [Tone::Success, Tone::Failure] {
            let player = Speaker::on_device("null").play(tone).expect("aplay starts");
            assert!(player.join().unwrap(), "aplay played the {tone:?} tone");
        }
    }
}
