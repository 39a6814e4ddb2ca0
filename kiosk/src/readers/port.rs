//! The serial edge of a reader: owns the device, hands its bytes to the protocol parser and
//! sends what comes out. It knows no protocol itself, and it never gives up on a device: USB
//! adapters get unplugged and plugged back while the kiosk runs for months.

use std::io::{self, Read};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits};
use tokio::sync::mpsc::UnboundedSender;

use crate::reopen::{Ended, WAKE_EVERY, pause};

use super::qr::QrParser;
use super::rdm6300::{CardDebouncer, REPEAT_GAP, Rdm6300Parser};
use super::{ReaderKind, ReaderSpec, Scan};

/// How long a read or a pause between retries may block. It bounds how long the thread takes
/// to notice that nobody listens any more, and costs one wake-up per interval when idle.
/// A floor under the retry interval, so that a zero interval cannot spin a core of the Pi on a
/// missing device.
const MIN_RETRY: Duration = Duration::from_millis(10);

/// Runs a reader on its own OS thread for the life of the process: opens the serial device
/// (8N1 at `spec.baud`), reads, parses, debounces cards, and sends each [`Scan`]. If the device
/// cannot be opened or disappears (read error, EOF, unplugged USB adapter), it logs once
/// (`tracing::warn`) and retries opening every `retry` without ever exiting; when the device
/// comes back, it reads again. Stops when the receiver is dropped.
///
/// The device is opened by path each time, so a symlink such as /dev/serial/by-id/… follows the
/// adapter to whatever tty it gets when plugged back in.
pub fn spawn(
    spec: ReaderSpec,
    scans: UnboundedSender<Scan>,
    retry: Duration,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(format!("reader-{}", spec.kind))
        .spawn(move || run(&spec, &scans, retry.max(MIN_RETRY)))
}

fn run(spec: &ReaderSpec, scans: &UnboundedSender<Scan>, retry: Duration) {
    let mut decoder = Decoder::new(spec.kind);
    // Whether this outage has been logged already: one line per outage, not one per retry.
    let mut outage_logged = false;
    loop {
        if scans.is_closed() {
            break;
        }
        match open(spec) {
            Ok(mut port) => {
                tracing::info!(reader = %spec, "reader open");
                // Half a frame from before the device went away means nothing now.
                decoder.restart();
                match read_until_gone(&mut port, &mut decoder, scans) {
                    Ended::ReceiverDropped => break,
                    // A device that was open and went away starts a new outage: always logged.
                    Ended::DeviceGone(error) => {
                        tracing::warn!(
                            reader = %spec, %error, ?retry,
                            "reader device went away; reopening"
                        );
                        outage_logged = true;
                    }
                }
            }
            Err(error) if !outage_logged => {
                tracing::warn!(
                    reader = %spec, %error, ?retry,
                    "cannot open reader device; retrying"
                );
                outage_logged = true;
            }
            Err(_) => {}
        }
        if !pause(retry, scans) {
            break;
        }
    }
    tracing::debug!(reader = %spec, "reader stopped: nobody listens for scans");
}

fn open(spec: &ReaderSpec) -> serialport::Result<Box<dyn SerialPort>> {
    let Some(path) = spec.path.to_str() else {
        return Err(serialport::Error::new(
            serialport::ErrorKind::InvalidInput,
            "the device path is not valid UTF-8",
        ));
    };
    serialport::new(path, spec.baud)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(WAKE_EVERY)
        .open()
}

/// Reads until the device fails or nobody listens. A read that times out is a quiet reader,
/// not a failure; EOF and every other error mean the device is gone.
fn read_until_gone(
    port: &mut impl Read,
    decoder: &mut Decoder,
    scans: &UnboundedSender<Scan>,
) -> Ended {
    let mut buffer = [0u8; 256];
    loop {
        if scans.is_closed() {
            return Ended::ReceiverDropped;
        }
        match port.read(&mut buffer) {
            Ok(0) => return Ended::DeviceGone(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => {
                for scan in decoder.push(&buffer[..read], Instant::now()) {
                    if scans.send(scan).is_err() {
                        return Ended::ReceiverDropped;
                    }
                }
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => return Ended::DeviceGone(error),
        }
    }
}

/// The protocol side of one reader. The card debouncer outlives reopening the device, so a
/// card lying on a reader whose adapter hiccups is not counted twice.
enum Decoder {
    Card {
        frames: Rdm6300Parser,
        debouncer: CardDebouncer,
    },
    Qr(QrParser),
}

impl Decoder {
    fn new(kind: ReaderKind) -> Self {
        match kind {
            ReaderKind::Rdm6300 => Decoder::Card {
                frames: Rdm6300Parser::new(),
                debouncer: CardDebouncer::new(REPEAT_GAP),
            },
            ReaderKind::Qr => Decoder::Qr(QrParser::new()),
        }
    }

    fn restart(&mut self) {
        match self {
            Decoder::Card { frames, .. } => *frames = Rdm6300Parser::new(),
            Decoder::Qr(lines) => *lines = QrParser::new(),
        }
    }

    fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<Scan> {
        match self {
            Decoder::Card { frames, debouncer } => frames
                .push(bytes)
                .into_iter()
                .filter(|uid| debouncer.accept(uid, now))
                .map(Scan::Card)
                .collect(),
            Decoder::Qr(lines) => lines.push(bytes).into_iter().map(Scan::Qr).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    /// Waits up to `within` for the next scan.
    fn next_scan(scans: &mut UnboundedReceiver<Scan>, within: Duration) -> Option<Scan> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(within, scans.recv())
                .await
                .ok()
                .flatten()
        })
    }

    /// Generous, because a loaded CI machine may be slow to schedule the reader thread; a
    /// passing test never waits this long.
    const ARRIVES: Duration = Duration::from_secs(5);

    fn frame(uid: &str) -> Vec<u8> {
        let xor = (0..5)
            .map(|i| u8::from_str_radix(&uid[2 * i..2 * i + 2], 16).unwrap())
            .fold(0, |acc, byte| acc ^ byte);
        format!("\x02{uid}{xor:02X}\x03").into_bytes()
    }

    fn wait_until_finished(handle: &JoinHandle<()>) {
        let deadline = Instant::now() + ARRIVES;
        while !handle.is_finished() {
            assert!(Instant::now() < deadline, "the reader thread did not stop");
            thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_stream_that_ends_is_a_device_gone_after_its_scans() {
        let (sender, mut scans) = unbounded_channel();
        let mut decoder = Decoder::new(ReaderKind::Qr);
        let mut port = io::Cursor::new(b"first\r\nsecond\r\nthird-cut".to_vec());
        let ended = read_until_gone(&mut port, &mut decoder, &sender);
        assert!(
            matches!(ended, Ended::DeviceGone(ref e) if e.kind() == io::ErrorKind::UnexpectedEof)
        );
        assert_eq!(scans.try_recv().ok(), Some(Scan::Qr("first".into())));
        assert_eq!(scans.try_recv().ok(), Some(Scan::Qr("second".into())));
        assert!(scans.try_recv().is_err());
        // The half line from the old device must not prefix the first line of the new one.
        decoder.restart();
        assert_eq!(
            decoder.push(b"fresh\n", Instant::now()),
            vec![Scan::Qr("fresh".into())]
        );
    }

    #[test]
    fn the_card_debouncer_survives_a_reopen() {
        let now = Instant::now();
        let mut decoder = Decoder::new(ReaderKind::Rdm6300);
        assert_eq!(
            decoder.push(&frame("0A1B2C3D4E"), now),
            vec![Scan::Card("0A1B2C3D4E".into())]
        );
        decoder.restart();
        assert_eq!(
            decoder.push(&frame("0A1B2C3D4E"), now + Duration::from_millis(100)),
            vec![]
        );
    }

    #[test]
    fn the_thread_stops_when_the_receiver_is_dropped_while_waiting_for_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ReaderSpec {
            kind: ReaderKind::Qr,
            path: dir.path().join("absent"),
            baud: 9600,
        };
        let (sender, scans) = unbounded_channel();
        let handle = spawn(spec, sender, Duration::from_secs(3600)).unwrap();
        drop(scans);
        wait_until_finished(&handle);
    }

    #[cfg(unix)]
    mod pty {
        use std::io::Write;
        use std::os::unix::fs::symlink;
        use std::path::PathBuf;
        use std::sync::Mutex;

        use serialport::TTYPort;

        use super::*;

        /// `TTYPort::pair` is not thread-safe (serialport-rs's FIXME): make pairs one at a time.
        static PAIRS: Mutex<()> = Mutex::new(());

        /// A pseudo-terminal: the master stands in for the reader module, the slave's path for
        /// its device. The slave is returned to keep it open, as a real tty's driver would be,
        /// so bytes written before the reader opens it wait in its buffer.
        fn pty() -> (TTYPort, TTYPort, PathBuf) {
            let _one_at_a_time = PAIRS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let (master, slave) = TTYPort::pair().unwrap();
            let path = PathBuf::from(slave.name().unwrap());
            (master, slave, path)
        }

        #[test]
        fn a_card_frame_and_a_qr_line_arrive_as_scans() {
            let (mut card, _card_slave, card_path) = pty();
            let (mut qr, _qr_slave, qr_path) = pty();
            let (sender, mut scans) = unbounded_channel();
            let retry = Duration::from_millis(20);
            let card_reader = spawn(
                ReaderSpec {
                    kind: ReaderKind::Rdm6300,
                    path: card_path,
                    baud: 9600,
                },
                sender.clone(),
                retry,
            )
            .unwrap();
            let qr_reader = spawn(
                ReaderSpec {
                    kind: ReaderKind::Qr,
                    path: qr_path,
                    baud: 115_200,
                },
                sender,
                retry,
            )
            .unwrap();

            // Noise, then the card lying on the coil for a few frames: one scan.
            card.write_all(b"\xff\x00noise\x03").unwrap();
            for _ in 0..3 {
                card.write_all(&frame("0A1B2C3D4E")).unwrap();
            }
            assert_eq!(
                next_scan(&mut scans, ARRIVES),
                Some(Scan::Card("0A1B2C3D4E".into()))
            );

            qr.write_all("https://kejia.example/c/张三?x=1\r\n".as_bytes())
                .unwrap();
            assert_eq!(
                next_scan(&mut scans, ARRIVES),
                Some(Scan::Qr("https://kejia.example/c/张三?x=1".into()))
            );
            // The repeats of the card were folded into its one scan.
            assert_eq!(next_scan(&mut scans, Duration::from_millis(150)), None);

            drop(scans);
            wait_until_finished(&card_reader);
            wait_until_finished(&qr_reader);
        }

        #[test]
        fn a_reader_waits_for_its_device_and_reopens_it_after_it_goes_away() {
            let dir = tempfile::tempdir().unwrap();
            let link = dir.path().join("ttyREADER");
            let (sender, mut scans) = unbounded_channel();
            let spec = ReaderSpec {
                kind: ReaderKind::Rdm6300,
                path: link.clone(),
                baud: 9600,
            };
            let reader = spawn(spec, sender, Duration::from_millis(20)).unwrap();
            // No device yet: the reader waits rather than ending.
            assert_eq!(next_scan(&mut scans, Duration::from_millis(60)), None);
            assert!(!reader.is_finished());

            let (mut first, first_slave, first_path) = pty();
            symlink(&first_path, &link).unwrap();
            first.write_all(&frame("0A1B2C3D4E")).unwrap();
            assert_eq!(
                next_scan(&mut scans, ARRIVES),
                Some(Scan::Card("0A1B2C3D4E".into()))
            );

            // The adapter is unplugged: its node goes, and so does the tty behind it.
            std::fs::remove_file(&link).unwrap();
            drop(first);
            drop(first_slave);

            // It comes back as another tty under the same name.
            let (mut second, _second_slave, second_path) = pty();
            symlink(&second_path, &link).unwrap();
            second.write_all(&frame("62E3086CED")).unwrap();
            assert_eq!(
                next_scan(&mut scans, ARRIVES),
                Some(Scan::Card("62E3086CED".into()))
            );
            assert!(!reader.is_finished());

            drop(scans);
            wait_until_finished(&reader);
        }
    }
}
