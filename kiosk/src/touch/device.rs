//! The device edge of touch: owns /dev/input/eventN, hands its bytes to the decoder, places the
//! taps on the screen and sends them. It never gives up on the device: a USB panel gets
//! unplugged and plugged back, and a DSI panel's driver may load after the kiosk starts.

use std::fs::File;
use std::io::{self, Read};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use embedded_graphics::prelude::{Point, Size};
use tokio::sync::mpsc::UnboundedSender;

use crate::reopen::{Ended, pause};

use super::TouchSpec;
use super::calibrate::Calibration;
use super::event::{RECORD_LEN, TouchDecoder};

/// How long a pause between retries may block before it checks whether anyone still listens.
/// A floor under the retry interval, so that a zero interval cannot spin a core of the Pi on a
/// missing device.
const MIN_RETRY: Duration = Duration::from_millis(10);
/// Records per read. The kernel hands out whole records only, and at least one must fit.
const RECORDS_PER_READ: usize = 64;

/// Runs the touch panel on its own OS thread for the life of the process: opens `spec.path`
/// read-only, reads `input_event` records, and sends one [`Point`] on a `screen`-sized picture
/// per tap. If the device cannot be opened or goes away (read error or end of file), it logs
/// once (`tracing::warn`) and retries opening every `retry` without ever exiting.
///
/// Stops when the receiver is dropped. A read blocks until the panel reports something, so the
/// thread notices only at the next touch, end of file or retry; until then it costs nothing.
pub fn spawn(
    spec: TouchSpec,
    screen: Size,
    touches: UnboundedSender<Point>,
    retry: Duration,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("touch".to_owned())
        .spawn(move || run(&spec, screen, &touches, retry.max(MIN_RETRY)))
}

fn run(spec: &TouchSpec, screen: Size, touches: &UnboundedSender<Point>, retry: Duration) {
    let place = Place {
        calibration: spec.calibration(screen),
        screen,
    };
    // Whether this outage has been logged already: one line per outage, not one per retry.
    let mut outage_logged = false;
    loop {
        if touches.is_closed() {
            break;
        }
        match File::open(&spec.path) {
            Ok(mut device) => {
                tracing::info!(touch = %spec, "touch device open");
                // Half a record from a device that went away would misalign every record of
                // the new one, and its finger is long gone: start afresh.
                let mut decoder = TouchDecoder::new();
                match read_until_gone(&mut device, &mut decoder, &place, touches) {
                    Ended::ReceiverDropped => break,
                    // A device that was open and went away starts a new outage: always logged.
                    Ended::DeviceGone(error) => {
                        tracing::warn!(
                            touch = %spec, %error, ?retry,
                            "touch device went away; reopening"
                        );
                        outage_logged = true;
                    }
                }
            }
            Err(error) if !outage_logged => {
                tracing::warn!(
                    touch = %spec, %error, ?retry, hint = hint(&error),
                    "cannot open touch device; retrying"
                );
                outage_logged = true;
            }
            Err(_) => {}
        }
        if !pause(retry, touches) {
            break;
        }
    }
    tracing::debug!(touch = %spec, "touch stopped: nobody listens for touches");
}

/// What the staffer can do about a device that does not open.
fn hint(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::PermissionDenied => "add the kiosk's user to the `input` group",
        io::ErrorKind::NotFound => "see /proc/bus/input/devices for the panel's eventN",
        _ => "",
    }
}

/// Where taps land on the screen.
struct Place {
    calibration: Calibration,
    screen: Size,
}

/// Reads until the device fails or nobody listens. End of file means the device is gone too:
/// an input device never ends while it exists, and a FIFO standing in for one ends when its
/// writer leaves.
fn read_until_gone(
    device: &mut impl Read,
    decoder: &mut TouchDecoder,
    place: &Place,
    touches: &UnboundedSender<Point>,
) -> Ended {
    let mut buffer = [0u8; RECORD_LEN * RECORDS_PER_READ];
    loop {
        if touches.is_closed() {
            return Ended::ReceiverDropped;
        }
        match device.read(&mut buffer) {
            Ok(0) => return Ended::DeviceGone(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => {
                for raw in decoder.push(&buffer[..read]) {
                    let Some(point) = place.calibration.to_screen(raw, place.screen) else {
                        tracing::debug!(?raw, "touch not placed: the calibration is degenerate");
                        continue;
                    };
                    if touches.send(point).is_err() {
                        return Ended::ReceiverDropped;
                    }
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Ended::DeviceGone(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::encode;
    use super::*;
    use std::time::Instant;
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    const SCREEN: Size = Size::new(800, 480);

    /// Generous, because a loaded CI machine may be slow to schedule the touch thread; a
    /// passing test never waits this long.
    const ARRIVES: Duration = Duration::from_secs(5);

    /// Waits up to `within` for the next point.
    fn next_point(touches: &mut UnboundedReceiver<Point>, within: Duration) -> Option<Point> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(within, touches.recv())
                .await
                .ok()
                .flatten()
        })
    }

    fn wait_until_finished(handle: &JoinHandle<()>) {
        let deadline = Instant::now() + ARRIVES;
        while !handle.is_finished() {
            assert!(Instant::now() < deadline, "the touch thread did not stop");
            thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_stream_that_ends_is_a_device_gone_after_its_points() {
        let (sender, mut touches) = unbounded_channel();
        let spec: TouchSpec = "/dev/input/event0:rotate=180".parse().unwrap();
        let place = Place {
            calibration: spec.calibration(SCREEN),
            screen: SCREEN,
        };
        let mut bytes = encode::tap(0, 0);
        bytes.extend(encode::tap(800, 480));
        // Half a record, cut off by the device going away.
        bytes.extend(&encode::tap(1, 1)[..RECORD_LEN / 2]);
        let mut device = io::Cursor::new(bytes);
        let ended = read_until_gone(&mut device, &mut TouchDecoder::new(), &place, &sender);
        assert!(
            matches!(ended, Ended::DeviceGone(ref e) if e.kind() == io::ErrorKind::UnexpectedEof)
        );
        assert_eq!(touches.try_recv().ok(), Some(Point::new(799, 479)));
        assert_eq!(touches.try_recv().ok(), Some(Point::new(0, 0)));
        assert!(touches.try_recv().is_err());
    }

    #[test]
    fn the_thread_stops_when_the_receiver_is_dropped_while_waiting_for_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let (sender, touches) = unbounded_channel();
        let handle = spawn(
            TouchSpec::new(dir.path().join("absent")),
            SCREEN,
            sender,
            Duration::from_secs(3600),
        )
        .unwrap();
        drop(touches);
        wait_until_finished(&handle);
    }

    #[cfg(unix)]
    mod fifo {
        use std::fs::OpenOptions;
        use std::io::Write;
        use std::path::Path;
        use std::process::Command;

        use super::*;

        /// A FIFO stands in for /dev/input/eventN: reads block until something is written, and
        /// end when the writer leaves, as an unplugged device's reads fail.
        fn mkfifo(path: &Path) {
            let status = Command::new("mkfifo").arg(path).status().unwrap();
            assert!(status.success(), "mkfifo failed");
        }

        /// Opens the FIFO for writing; this waits until the touch thread has opened it to read.
        fn writer(path: &Path) -> File {
            OpenOptions::new().write(true).open(path).unwrap()
        }

        #[test]
        fn taps_arrive_as_points_and_the_device_is_reopened_after_it_goes_away() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("event0");
            mkfifo(&path);
            let spec: TouchSpec = format!("{}:rotate=180", path.display()).parse().unwrap();
            let (sender, mut touches) = unbounded_channel();
            let handle = spawn(spec, SCREEN, sender, Duration::from_millis(20)).unwrap();

            let mut panel = writer(&path);
            panel.write_all(&encode::tap(0, 0)).unwrap();
            assert_eq!(
                next_point(&mut touches, ARRIVES),
                Some(Point::new(799, 479))
            );

            // A drag, written a few bytes at a time: one tap where it began.
            let mut drag = encode::tap(400, 240);
            let release = drag.split_off(4 * RECORD_LEN);
            for x in [410, 420, 430] {
                drag.extend(encode::tap(x, 240)[RECORD_LEN..4 * RECORD_LEN].iter());
            }
            drag.extend(release);
            for piece in drag.chunks(7) {
                panel.write_all(piece).unwrap();
            }
            assert_eq!(
                next_point(&mut touches, ARRIVES),
                Some(Point::new(400, 240))
            );
            assert_eq!(next_point(&mut touches, Duration::from_millis(150)), None);

            // The panel goes away, node and all, and comes back under the same name: only
            // reopening by path finds the new one.
            drop(panel);
            std::fs::remove_file(&path).unwrap();
            mkfifo(&path);
            let mut panel = writer(&path);
            panel.write_all(&encode::tap(800, 0)).unwrap();
            assert_eq!(next_point(&mut touches, ARRIVES), Some(Point::new(0, 479)));
            assert!(!handle.is_finished());

            // Nobody listens any more; the next end of the stream lets the thread see it.
            drop(touches);
            drop(panel);
            wait_until_finished(&handle);
        }
    }
}
