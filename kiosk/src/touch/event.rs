//! The Linux input protocol of a touch panel, as a pure byte-stream decoder: `struct
//! input_event` records in, one [`RawTouch`] per finger put down out. No device in sight.

/// Event types and codes from linux/input-event-codes.h, only those a touch panel needs.
const EV_SYN: u16 = 0x00;
const EV_KEY: u16 = 0x01;
const EV_ABS: u16 = 0x03;
const SYN_REPORT: u16 = 0x00;
/// The kernel's buffer for this reader overflowed and events were lost.
const SYN_DROPPED: u16 = 0x03;
const BTN_TOUCH: u16 = 0x14a;
const ABS_X: u16 = 0x00;
const ABS_Y: u16 = 0x01;
const ABS_MT_SLOT: u16 = 0x2f;
const ABS_MT_POSITION_X: u16 = 0x35;
const ABS_MT_POSITION_Y: u16 = 0x36;
const ABS_MT_TRACKING_ID: u16 = 0x39;

/// The `struct timeval` at the head of every record: two C `long`s, so 16 bytes for a 64-bit
/// process and 8 for a 32-bit one (armv7 Raspberry Pi OS). The kernel writes the layout of the
/// process that reads, even a 32-bit one on a 64-bit kernel, so the pointer width we are built
/// for is the one that counts.
#[cfg(target_pointer_width = "64")]
const TIME_LEN: usize = 16;
#[cfg(not(target_pointer_width = "64"))]
const TIME_LEN: usize = 8;

/// The length of one `struct input_event`: the time, then u16 type, u16 code and i32 value.
pub const RECORD_LEN: usize = TIME_LEN + 8;

/// Where a finger went down, in the panel's own raw units (see `evtest` for their range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTouch {
    pub x: i32,
    pub y: i32,
}

/// Turns the records read from /dev/input/eventN into taps: exactly one [`RawTouch`] per finger
/// put down, none for moving it, because the kiosk has buttons, not things to drag.
///
/// Two kinds of panel are understood. A single-touch panel (resistive ones) reports `BTN_TOUCH`
/// and `ABS_X`/`ABS_Y`. A multi-touch panel of type B (the official Raspberry Pi displays)
/// reports contacts in slots with `ABS_MT_TRACKING_ID`; once a tracking id has been seen, only
/// the contact in slot 0 (the first finger) counts, and a second finger never taps.
///
/// A press is reported at the first `SYN_REPORT` that ends a frame with a known position. The
/// kernel sends a position only when it changes, so the last one is kept across presses: a
/// second tap on the very same spot comes with no position at all.
#[derive(Debug)]
pub struct TouchDecoder {
    time_len: usize,
    /// The start of a record cut off at the end of the last read.
    partial: Vec<u8>,
    /// `BTN_TOUCH` with `ABS_X`/`ABS_Y`.
    single: Contact,
    /// The multi-touch contact in slot 0.
    first_finger: Contact,
    /// Its tracking id; -1 while no finger is in slot 0.
    first_finger_id: i32,
    /// The slot that `ABS_MT_*` events are about. Slot 0 until told otherwise, which is the
    /// kernel's starting slot; a device opened mid-gesture may attribute a few events to the
    /// wrong slot until the next `ABS_MT_SLOT`, and reading the true slot needs an ioctl.
    slot: i32,
    /// Whether the panel speaks multi-touch type B. Such panels usually send the single-touch
    /// events as well; then the slot is the truth, because `BTN_TOUCH` stays down for as long as
    /// any finger is, and would hide the first finger going down again.
    multi_touch: bool,
    /// After `SYN_DROPPED`: the events up to the next `SYN_REPORT` are the remains of a frame
    /// and are not to be trusted.
    discarding: bool,
}

/// One finger as far as the decoder knows it.
#[derive(Debug, Default, Clone, Copy)]
struct Contact {
    down: bool,
    /// It went down and the tap has not been reported yet.
    pressed: bool,
    x: Option<i32>,
    y: Option<i32>,
}

impl Contact {
    fn press(&mut self) {
        self.down = true;
        self.pressed = true;
    }

    fn lift(&mut self) {
        self.down = false;
    }

    /// At the end of a frame: the tap, if a press waits and its place is known.
    fn report(&mut self) -> Option<RawTouch> {
        let tap = match (self.pressed, self.x, self.y) {
            (true, Some(x), Some(y)) => Some(RawTouch { x, y }),
            _ => None,
        };
        // Reported, or the finger is already up again without a place: either way it is done.
        if tap.is_some() || !self.down {
            self.pressed = false;
        }
        tap
    }
}

impl Default for TouchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl TouchDecoder {
    /// A decoder for the record layout of the platform we are built for.
    pub fn new() -> Self {
        Self::with_time_len(TIME_LEN)
    }

    fn with_time_len(time_len: usize) -> Self {
        TouchDecoder {
            time_len,
            partial: Vec::new(),
            single: Contact::default(),
            first_finger: Contact::default(),
            first_finger_id: -1,
            slot: 0,
            multi_touch: false,
            discarding: false,
        }
    }

    /// Takes the next bytes read from the device, which may end inside a record, and returns
    /// the taps completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<RawTouch> {
        let record_len = self.time_len + 8;
        let mut buffer = std::mem::take(&mut self.partial);
        buffer.extend_from_slice(bytes);
        let mut records = buffer.chunks_exact(record_len);
        let mut taps = Vec::new();
        for record in &mut records {
            if let Some((kind, code, value)) = fields(record, self.time_len)
                && let Some(tap) = self.event(kind, code, value)
            {
                taps.push(tap);
            }
        }
        self.partial = records.remainder().to_vec();
        taps
    }

    fn event(&mut self, kind: u16, code: u16, value: i32) -> Option<RawTouch> {
        if self.discarding {
            if (kind, code) == (EV_SYN, SYN_REPORT) {
                self.discarding = false;
            }
            return None;
        }
        match (kind, code) {
            (EV_SYN, SYN_REPORT) => return self.end_frame(),
            (EV_SYN, SYN_DROPPED) => {
                // Missing a tap is better than reporting one at a place made of two frames.
                self.discarding = true;
                self.single.pressed = false;
                self.first_finger.pressed = false;
            }
            // The kernel sends a key only when it changes, so every 1 is a press, even one whose
            // release was lost; 2 would be auto-repeat, which a touch does not do.
            (EV_KEY, BTN_TOUCH) => match value {
                0 => self.single.lift(),
                1 => self.single.press(),
                _ => {}
            },
            (EV_ABS, ABS_X) => self.single.x = Some(value),
            (EV_ABS, ABS_Y) => self.single.y = Some(value),
            (EV_ABS, ABS_MT_SLOT) => self.slot = value,
            (EV_ABS, ABS_MT_TRACKING_ID) => {
                self.multi_touch = true;
                if self.slot == 0 {
                    self.track_first_finger(value);
                }
            }
            (EV_ABS, ABS_MT_POSITION_X) if self.slot == 0 => self.first_finger.x = Some(value),
            (EV_ABS, ABS_MT_POSITION_Y) if self.slot == 0 => self.first_finger.y = Some(value),
            _ => {}
        }
        None
    }

    fn track_first_finger(&mut self, id: i32) {
        if id < 0 {
            self.first_finger.lift();
        } else if id != self.first_finger_id {
            // A new id is a new finger, even if the lift of the old one was never seen.
            self.first_finger.press();
        }
        self.first_finger_id = id;
    }

    fn end_frame(&mut self) -> Option<RawTouch> {
        if self.multi_touch {
            self.first_finger.report()
        } else {
            self.single.report()
        }
    }
}

/// The type, code and value of one whole record; its time is of no use to a tap.
fn fields(record: &[u8], time_len: usize) -> Option<(u16, u16, i32)> {
    // The kernel writes the struct in the host's own byte order: little-endian on every Pi.
    let &[t0, t1, c0, c1, v0, v1, v2, v3] = record.get(time_len..)? else {
        return None;
    };
    Some((
        u16::from_ne_bytes([t0, t1]),
        u16::from_ne_bytes([c0, c1]),
        i32::from_ne_bytes([v0, v1, v2, v3]),
    ))
}

/// Encodes records the way the kernel writes them, for tests elsewhere in `touch`.
#[cfg(test)]
pub(super) mod encode {
    use super::*;

    /// One record with a made-up time, in the given layout.
    pub fn record(time_len: usize, kind: u16, code: u16, value: i32) -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..time_len).map(|i| 0xA0 | i as u8).collect();
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&code.to_ne_bytes());
        bytes.extend_from_slice(&value.to_ne_bytes());
        bytes
    }

    /// A whole single-touch tap at `(x, y)` in the native layout: down, report, up, report.
    pub fn tap(x: i32, y: i32) -> Vec<u8> {
        [
            (EV_KEY, BTN_TOUCH, 1),
            (EV_ABS, ABS_X, x),
            (EV_ABS, ABS_Y, y),
            (EV_SYN, SYN_REPORT, 0),
            (EV_KEY, BTN_TOUCH, 0),
            (EV_SYN, SYN_REPORT, 0),
        ]
        .into_iter()
        .flat_map(|(kind, code, value)| record(TIME_LEN, kind, code, value))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::encode::record;
    use super::*;

    const EV_REL: u16 = 0x02;
    const EV_MSC: u16 = 0x04;
    const MSC_TIMESTAMP: u16 = 0x05;
    const SYN_MT_REPORT: u16 = 0x02;
    const BTN_TOOL_FINGER: u16 = 0x145;
    const ABS_PRESSURE: u16 = 0x18;

    type Events = &'static [(u16, u16, i32)];
    type Taps = &'static [(i32, i32)];

    const SYN: (u16, u16, i32) = (EV_SYN, SYN_REPORT, 0);
    const fn touch(down: bool) -> (u16, u16, i32) {
        (EV_KEY, BTN_TOUCH, down as i32)
    }
    const fn x(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_X, value)
    }
    const fn y(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_Y, value)
    }
    const fn slot(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_MT_SLOT, value)
    }
    const fn id(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_MT_TRACKING_ID, value)
    }
    const fn mt_x(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_MT_POSITION_X, value)
    }
    const fn mt_y(value: i32) -> (u16, u16, i32) {
        (EV_ABS, ABS_MT_POSITION_Y, value)
    }

    /// (what happens, the events, the taps expected)
    const CASES: &[(&str, Events, Taps)] = &[
        (
            "a single-touch tap",
            &[touch(true), x(100), y(200), SYN, touch(false), SYN],
            &[(100, 200)],
        ),
        (
            "a multi-touch tap with a tracking id",
            &[id(7), mt_x(300), mt_y(400), SYN, id(-1), SYN],
            &[(300, 400)],
        ),
        (
            // The official display's driver sends the emulated single-touch events too.
            "a multi-touch tap with single-touch emulation",
            &[
                slot(0),
                id(12),
                mt_x(640),
                mt_y(360),
                touch(true),
                x(640),
                y(360),
                SYN,
                id(-1),
                touch(false),
                SYN,
            ],
            &[(640, 360)],
        ),
        (
            "a single-touch drag is one tap where it began",
            &[
                touch(true),
                x(10),
                y(10),
                SYN,
                x(20),
                y(25),
                SYN,
                x(30),
                SYN,
                touch(false),
                SYN,
            ],
            &[(10, 10)],
        ),
        (
            "a multi-touch drag is one tap where it began",
            &[
                id(1),
                mt_x(10),
                mt_y(10),
                SYN,
                mt_x(200),
                SYN,
                mt_y(300),
                SYN,
                id(-1),
                SYN,
            ],
            &[(10, 10)],
        ),
        (
            "two single-touch taps are two",
            &[
                touch(true),
                x(1),
                y(2),
                SYN,
                touch(false),
                SYN,
                touch(true),
                x(3),
                y(4),
                SYN,
                touch(false),
                SYN,
            ],
            &[(1, 2), (3, 4)],
        ),
        (
            "two multi-touch taps are two",
            &[
                id(1),
                mt_x(1),
                mt_y(2),
                SYN,
                id(-1),
                SYN,
                id(2),
                mt_x(3),
                mt_y(4),
                SYN,
                id(-1),
                SYN,
            ],
            &[(1, 2), (3, 4)],
        ),
        (
            // The kernel sends no position that did not change.
            "a second tap on the same spot comes without a position",
            &[
                touch(true),
                x(5),
                y(6),
                SYN,
                touch(false),
                SYN,
                touch(true),
                SYN,
                touch(false),
                SYN,
            ],
            &[(5, 6), (5, 6)],
        ),
        (
            "a press is reported at the first report with a known position",
            &[
                touch(true),
                SYN,
                x(7),
                SYN,
                y(8),
                SYN,
                x(9),
                SYN,
                touch(false),
                SYN,
            ],
            &[(7, 8)],
        ),
        (
            "a press that ends before any position is known is nothing",
            &[touch(true), SYN, touch(false), SYN, x(1), y(1), SYN],
            &[],
        ),
        (
            "a press and release within one frame is still a tap",
            &[touch(true), x(11), y(12), touch(false), SYN],
            &[(11, 12)],
        ),
        (
            // A finger already down when the device was opened.
            "moves without a press are nothing",
            &[x(1), y(1), SYN, x(2), SYN, mt_x(3), mt_y(3), SYN],
            &[],
        ),
        (
            "a second finger does not tap",
            &[
                id(1),
                mt_x(10),
                mt_y(10),
                SYN,
                slot(1),
                id(2),
                mt_x(500),
                mt_y(400),
                SYN,
                id(-1),
                SYN,
                slot(0),
                id(-1),
                SYN,
            ],
            &[(10, 10)],
        ),
        (
            "the first finger going down again while a second stays is a tap",
            &[
                id(1),
                mt_x(10),
                mt_y(10),
                touch(true),
                SYN,
                slot(1),
                id(2),
                mt_x(500),
                mt_y(400),
                SYN,
                slot(0),
                id(-1),
                SYN,
                id(3),
                mt_x(20),
                mt_y(30),
                SYN,
            ],
            &[(10, 10), (20, 30)],
        ),
        (
            "a new tracking id without a lift is a new finger",
            &[id(1), mt_x(1), mt_y(1), SYN, id(2), mt_x(2), mt_y(2), SYN],
            &[(1, 1), (2, 2)],
        ),
        (
            "a repeated tracking id is the same finger",
            &[id(4), mt_x(1), mt_y(1), SYN, id(4), mt_x(2), SYN],
            &[(1, 1)],
        ),
        (
            "unknown types and codes are ignored",
            &[
                (EV_MSC, MSC_TIMESTAMP, 1234),
                (EV_REL, 0, 5),
                (0x7fff, 0xffff, -1),
                (0x1f, 0x00, 1),
                (EV_KEY, BTN_TOOL_FINGER, 1),
                touch(true),
                (EV_ABS, ABS_PRESSURE, 200),
                x(40),
                y(50),
                (EV_SYN, SYN_MT_REPORT, 0),
                (EV_ABS, 0x3f, 9),
                SYN,
                (EV_KEY, 0x110, 1),
                (0xffff, 0xffff, i32::MIN),
                touch(false),
                SYN,
            ],
            &[(40, 50)],
        ),
        (
            "garbage alone is nothing",
            &[
                (0xffff, 0xffff, -1),
                (EV_MSC, MSC_TIMESTAMP, 99),
                (EV_KEY, 0x14b, 1),
                (EV_ABS, 0x35, 7),
                SYN,
                (0x2222, 0x1111, 0x3333),
                SYN,
            ],
            &[],
        ),
        (
            "events after SYN_DROPPED up to the next report are dropped with the press",
            &[
                touch(true),
                (EV_SYN, SYN_DROPPED, 0),
                x(1),
                y(1),
                SYN,
                touch(false),
                SYN,
                touch(true),
                x(2),
                y(3),
                SYN,
            ],
            &[(2, 3)],
        ),
    ];

    fn stream(time_len: usize, events: Events) -> Vec<u8> {
        events
            .iter()
            .flat_map(|&(kind, code, value)| record(time_len, kind, code, value))
            .collect()
    }

    fn taps(expected: &[(i32, i32)]) -> Vec<RawTouch> {
        expected.iter().map(|&(x, y)| RawTouch { x, y }).collect()
    }

    /// Both layouts: the 64-bit one and the 32-bit armv7 one, whichever we are built for.
    const TIME_LENS: [usize; 2] = [16, 8];

    #[test]
    fn events_decode_to_taps() {
        for time_len in TIME_LENS {
            for &(name, events, expected) in CASES {
                let mut decoder = TouchDecoder::with_time_len(time_len);
                assert_eq!(
                    decoder.push(&stream(time_len, events)),
                    taps(expected),
                    "{name} (time {time_len} bytes)"
                );
            }
        }
    }

    #[test]
    fn records_split_at_every_byte_give_the_same_taps() {
        for time_len in TIME_LENS {
            for &(name, events, expected) in CASES {
                let bytes = stream(time_len, events);
                for cut in 0..=bytes.len() {
                    let mut decoder = TouchDecoder::with_time_len(time_len);
                    let (head, tail) = bytes.split_at(cut);
                    let mut got = decoder.push(head);
                    got.extend(decoder.push(tail));
                    assert_eq!(got, taps(expected), "{name} cut at {cut}");
                }
                let mut decoder = TouchDecoder::with_time_len(time_len);
                let got: Vec<_> = bytes.iter().flat_map(|b| decoder.push(&[*b])).collect();
                assert_eq!(got, taps(expected), "{name} byte by byte");
            }
        }
    }

    #[test]
    fn the_native_layout_matches_the_pointer_width() {
        assert_eq!(RECORD_LEN, 8 + 2 * std::mem::size_of::<usize>());
        let mut decoder = TouchDecoder::new();
        assert_eq!(decoder.push(&encode::tap(3, 4)), taps(&[(3, 4)]));
    }

    #[test]
    fn a_cut_record_waits_for_its_end() {
        let bytes = encode::tap(30, 40);
        let mut decoder = TouchDecoder::new();
        // Up to the last byte of the first report: the press is known, the frame is not over.
        assert_eq!(decoder.push(&bytes[..4 * RECORD_LEN - 1]), vec![]);
        assert_eq!(
            decoder.push(&bytes[4 * RECORD_LEN - 1..]),
            taps(&[(30, 40)])
        );
    }
}
